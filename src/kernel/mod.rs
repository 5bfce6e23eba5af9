//! Kernel side: the generated skeletons, pre-flight checks, and configure/load/attach.
pub mod core_btf;
pub mod counters;
pub mod features;
pub mod loader;
pub mod ph;
pub mod preflight;
pub mod tp_btf;

/// Includes a generated skeleton as a module, out of the reach of our lints.
macro_rules! skeleton {
    ($(#[$doc:meta])* $name:ident, $file:literal) => {
        $(#[$doc])*
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
        pub mod $name {
            include!(concat!(env!("OUT_DIR"), "/", $file));
        }
    };
}

skeleton!(
    /// The skeleton generated from `bpf/tracer.bpf.c` (types come from `bpf/events.h`).
    tracer_skel,
    "tracer.skel.rs"
);
skeleton!(
    /// The pH engine (`bpf/ph.bpf.c`; types from `bpf/ph.h`).
    ph_skel,
    "ph.skel.rs"
);
skeleton!(
    /// The do-nothing benchmark floor skeleton (`bpf/floor.bpf.c`).
    floor_skel,
    "floor.skel.rs"
);
skeleton!(
    /// Feature-probe programs (`bpf/probe.bpf.c`), loaded one at a time.
    probe_skel,
    "probe.skel.rs"
);

pub use tracer_skel::types;
