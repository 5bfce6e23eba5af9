//! Kernel feature probes that pick between program variants.
use libbpf_rs::{MapType, ProgramType};

/// What the running kernel offers that the tracer can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// Task-local storage for tracing programs and bpf_get_current_task_btf(),
    /// which arrived together in Linux 5.11. (libbpf cannot probe helpers of
    /// tracing programs, so the map type stands for both.)
    pub task_btf: bool,
    /// pidfd_open(2) takes thread ids (PIDFD_THREAD, Linux 6.9+), so every
    /// thread of a running process can be marked in task storage.
    pub pidfd_thread: bool,
    /// The bpf_loop() helper (Linux 5.17+): iovec data is captured in its
    /// callback; without it only the iovec arrays are.
    pub bpf_loop: bool,
}

/// PIDFD_THREAD from <linux/pidfd.h> (equal to O_EXCL).
pub const PIDFD_THREAD: libc::c_int = libc::O_EXCL;

/// A pidfd for a process (`thread` false) or any thread (`thread` true).
pub fn pidfd_open(tid: u32, thread: bool) -> std::io::Result<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    let flags = if thread { PIDFD_THREAD } else { 0 };
    // SAFETY: pidfd_open takes a pid and flags; the result is checked.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, tid as libc::c_int, flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor we own.
    Ok(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

impl Features {
    pub fn probe() -> Self {
        Features {
            task_btf: MapType::TaskStorage.is_supported().unwrap_or(false),
            pidfd_thread: pidfd_open(std::process::id(), true).is_ok(),
            bpf_loop: ProgramType::Tracepoint
                .is_helper_supported(libbpf_rs::libbpf_sys::BPF_FUNC_loop)
                .unwrap_or(false),
        }
    }
}
