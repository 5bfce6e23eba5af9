//! Kernel feature probes that pick between program variants.
use libbpf_rs::MapType;

/// What the running kernel offers that the tracer can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Task-local storage for tracing programs and bpf_get_current_task_btf(),
    /// which arrived together in Linux 5.11. (libbpf cannot probe helpers of
    /// tracing programs, so the map type stands for both.)
    pub task_btf: bool,
}

impl Features {
    pub fn probe() -> Self {
        Features {
            task_btf: MapType::TaskStorage.is_supported().unwrap_or(false),
        }
    }
}
