//! Opens the tracer skeleton, writes its configuration into rodata, loads and attaches it.
use std::mem::MaybeUninit;

use anyhow::Context;
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject};

use std::os::fd::AsRawFd;

use super::tracer_skel::{types, TracerSkel, TracerSkelBuilder};
use crate::decode::{syscalls, table};
use crate::error::{user, Kind};

/// Everything the kernel programs need to know before load.
#[derive(Debug, Clone)]
pub struct Config {
    /// Our own process, never traced.
    pub tracer_tgid: u32,
    pub trace_all: bool,
    pub follow_children: bool,
    /// NUL-padded command name for --comm.
    pub comm: Option<[u8; 16]>,
    pub syscall_filter: [u64; 16],
    /// Read the user memory the decoders need (paths, buffers, structs).
    pub capture: bool,
    /// Bytes of buffer data read per argument (-s).
    pub string_limit: u32,
    pub ring_bytes: u32,
    pub features: super::features::Features,
    /// Watched tasks are marked in task storage (launch mode with task_btf):
    /// unwatched tasks never touch the watched hash.
    pub storage_marks_watched: bool,
}

/// Routes libbpf's own messages to stderr only when asked to.
pub fn set_verbose(verbose: bool) {
    if verbose {
        libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Debug, |_, msg: String| {
            eprint!("libbpf: {msg}")
        })));
    } else {
        libbpf_rs::set_print(None);
    }
}

pub(crate) fn kernel_error(what: &str, err: libbpf_rs::Error) -> anyhow::Error {
    let errno = err.kind();
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if matches!(errno, libbpf_rs::ErrorKind::PermissionDenied) && root {
        // Root is refused only by the verifier (or a lockdown, which the
        // preflight reports before we get here).
        return user(
            Kind::Kernel,
            format!(
                "{what}: the kernel's verifier rejected a program on this kernel \
                 (run with --verbose for its log, and report it with `ai-forensics probe`)"
            ),
        );
    }
    if matches!(errno, libbpf_rs::ErrorKind::PermissionDenied) {
        return user(
            Kind::Permission,
            format!(
                "{what}: permission denied: needs root, or CAP_BPF and CAP_PERFMON \
                 (and a kernel.unprivileged_bpf_disabled/lockdown setting that allows tracing)"
            ),
        );
    }
    user(
        Kind::Kernel,
        format!("{what}: {err} (run with --verbose for the kernel's verifier log)"),
    )
}

/// Opens, configures and loads the tracer; nothing is attached yet.
pub fn load<'obj>(
    object: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
) -> anyhow::Result<TracerSkel<'obj>> {
    let mut open = TracerSkelBuilder::default()
        .open(object)
        .map_err(|e| kernel_error("opening the BPF object", e))?;
    let rodata = open
        .maps
        .rodata_data
        .as_deref_mut()
        .context("BPF object has no .rodata")?;
    rodata.tracer_tgid = cfg.tracer_tgid;
    rodata.trace_all = cfg.trace_all;
    rodata.follow_children = cfg.follow_children;
    if let Some(comm) = cfg.comm {
        rodata.comm_mode = true;
        for (dst, src) in rodata.comm_filter.iter_mut().zip(comm) {
            *dst = src as i8;
        }
    }
    rodata.syscall_filter = cfg.syscall_filter;
    // The calls that never return, reported at entry (this architecture's numbers).
    rodata.nr_exit = syscalls::number("exit").unwrap_or(u32::MAX);
    rodata.nr_exit_group = syscalls::number("exit_group").unwrap_or(u32::MAX);
    // Wake the consumer early only when half the ring is waiting (it is then
    // falling behind); otherwise its timer drains the ring.
    rodata.wakeup_bytes = u64::from(cfg.ring_bytes / 2);
    if cfg.capture {
        rodata.capture_enabled = true;
        rodata.string_limit = cfg.string_limit;
        for (nr, caps) in table::plan() {
            if let Some(slot) = rodata.capture_plan.get_mut(nr as usize) {
                for (dst, src) in slot.iter_mut().zip(caps) {
                    *dst = src;
                }
            }
        }
    }
    rodata.have_bpf_loop = cfg.features.bpf_loop;
    rodata.use_task_btf = cfg.features.task_btf;
    rodata.storage_marks_watched = cfg.storage_marks_watched && cfg.features.task_btf;
    let unused = if cfg.features.task_btf {
        // Task storage holds the entry state: the hash needs no room.
        open.maps.inflight.set_max_entries(1)
    } else {
        open.maps.inflight_task.set_autocreate(false)
    };
    unused.map_err(|e| kernel_error("configuring the entry-state map", e))?;
    open.maps
        .events
        .set_max_entries(cfg.ring_bytes)
        .map_err(|e| kernel_error("sizing the ring buffer", e))?;
    open.load()
        .map_err(|e| kernel_error("loading the BPF programs", e))
}

/// Attaches every program (tp_btf: no tracefs needed).
pub fn attach(skel: &mut TracerSkel<'_>) -> anyhow::Result<()> {
    skel.attach()
        .map_err(|e| kernel_error("attaching to the syscall and scheduler tracepoints", e))
}

/// Detaches every program; events already in the ring stay readable.
pub fn detach(skel: &mut TracerSkel<'_>) {
    skel.links = Default::default();
}

/// Marks a process (tgid) as watched.
pub fn watch(skel: &TracerSkel<'_>, tgid: u32) -> anyhow::Result<()> {
    skel.maps
        .watched
        .update(&tgid.to_ne_bytes(), &[1u8], MapFlags::ANY)
        .with_context(|| format!("adding pid {tgid} to the watched set"))
}

/// Marks a task as watched in task storage (see `storage_marks_watched`);
/// tasks forked later are marked by the kernel programs. `thread` asks for
/// a thread id (needs `Features::pidfd_thread`), otherwise `tid` is a process.
pub fn mark_watched(skel: &TracerSkel<'_>, tid: u32, thread: bool) -> std::io::Result<()> {
    let state = types::inflight {
        watched: 1,
        ..Default::default()
    };
    // SAFETY: `inflight` is a C struct of integers without padding.
    let value = unsafe { plain::as_bytes(&state) };
    set_task_storage(&skel.maps.inflight_task, tid, thread, value)
}

/// Sets the value of task `tid` in a task-storage map (keyed by a pidfd).
/// `thread` asks for a thread id (needs `Features::pidfd_thread`).
pub fn set_task_storage(
    map: &impl MapCore,
    tid: u32,
    thread: bool,
    value: &[u8],
) -> std::io::Result<()> {
    let pidfd = super::features::pidfd_open(tid, thread)?;
    map.update(&pidfd.as_raw_fd().to_ne_bytes(), value, MapFlags::ANY)
        .map_err(|e| std::io::Error::other(format!("marking task {tid}: {e}")))
}

/// An owned handle on a map, usable after the skeleton is borrowed mutably.
pub fn handle(map: &libbpf_rs::MapMut<'_>) -> anyhow::Result<libbpf_rs::MapHandle> {
    libbpf_rs::MapHandle::try_from(map).context("duplicating a BPF map handle")
}

/// True while at least one watched process is alive (the kernel removes them at exit).
pub fn any_watched(watched: &libbpf_rs::MapHandle) -> bool {
    watched.keys().next().is_some()
}
