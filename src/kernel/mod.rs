//! Kernel side: the generated skeletons, pre-flight checks, and configure/load/attach.
pub mod counters;
pub mod features;
pub mod loader;
pub mod preflight;

/// The skeleton generated from `bpf/tracer.bpf.c` (types come from `bpf/events.h`).
#[allow(
    clippy::all,
    clippy::pedantic,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    dead_code,
    unused_imports,
    unsafe_op_in_unsafe_fn
)]
pub mod tracer_skel {
    include!(concat!(env!("OUT_DIR"), "/tracer.skel.rs"));
}

/// The do-nothing benchmark floor skeleton (`bpf/floor.bpf.c`).
#[allow(
    clippy::all,
    clippy::pedantic,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    dead_code,
    unused_imports,
    unsafe_op_in_unsafe_fn
)]
pub mod floor_skel {
    include!(concat!(env!("OUT_DIR"), "/floor.skel.rs"));
}

pub use tracer_skel::types;
