//! pH (process homeostasis): per-executable syscall-pair profiles, anomalies, and the daemon.
//!
//! docs/ph.md specifies the algorithm that both the kernel engine
//! (bpf/ph.bpf.c) and the user-space engine (`engine`) implement.
pub mod commands;
pub mod control;
pub mod daemon;
pub mod engine;
pub mod eval;
pub mod profile;
pub mod store;
#[cfg(test)]
mod testdir;
pub mod traces;
