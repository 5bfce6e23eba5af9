//! Opens the tracer skeleton, writes its configuration into rodata, loads and attaches it.
use std::mem::MaybeUninit;

use anyhow::Context;
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject};

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use super::tracer_skel::{types, OpenTracerSkel, TracerSkel, TracerSkelBuilder};
use super::{core_btf, tp_btf};
use crate::capture::ring::{create_map, page_size, Ring};
use crate::decode::{self, syscalls, table};
use crate::error::{user, Kind};
use libbpf_rs::libbpf_sys as sys;
use libbpf_rs::AsRawLibbpf;

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

/// --verbose: libbpf's messages and our notes on starting up.
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// A note on stderr with --verbose.
pub fn note(msg: std::fmt::Arguments<'_>) {
    if VERBOSE.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("ai-forensics: {msg}");
    }
}

/// Routes libbpf's own messages to stderr only when asked to.
pub fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, std::sync::atomic::Ordering::Relaxed);
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

/// The event ring, being created and mapped on its own thread.
///
/// The kernel allocates, zeroes and charges every page of a ring buffer when
/// it creates it: about 3 ms for the default 16 MiB on this cgroup-v1 VM, and
/// 0.5 ms more to map it. Creating it overlaps with preparing the object (see
/// `prepare_and_load`); loading the programs needs only the map, so mapping
/// it overlaps with the verifier.
pub struct PendingRing {
    /// The map, sent as soon as it exists (or why it could not be made).
    created: std::sync::mpsc::Receiver<anyhow::Result<OwnedFd>>,
    /// Taken from `created`.
    map: Option<OwnedFd>,
    /// The mapped ring; None if the map was not made.
    thread: std::thread::JoinHandle<Option<anyhow::Result<Ring>>>,
}

/// Starts creating a ring buffer of `bytes` (a checked power of two).
pub fn spawn_ring(bytes: u32) -> PendingRing {
    let (tx, created) = std::sync::mpsc::sync_channel(1);
    let thread = std::thread::spawn(move || {
        let fd = match create_map(bytes) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = tx.send(Err(e));
                return None;
            }
        };
        let _ = tx.send(fd.try_clone().context("duplicating the ring buffer map"));
        Some(Ring::of_created(fd, bytes))
    });
    PendingRing {
        created,
        map: None,
        thread,
    }
}

impl PendingRing {
    /// The ring's map, once the kernel has made it.
    pub fn map(&mut self) -> anyhow::Result<BorrowedFd<'_>> {
        if self.map.is_none() {
            let fd = self
                .created
                .recv()
                .context("the ring buffer thread ended")??;
            self.map = Some(fd);
        }
        Ok(self.map.as_ref().expect("set above").as_fd())
    }

    /// The mapped ring.
    pub fn finish(mut self) -> anyhow::Result<Ring> {
        self.map()?;
        match self.thread.join() {
            Ok(Some(ring)) => ring,
            Ok(None) | Err(_) => anyhow::bail!("the ring buffer thread failed"),
        }
    }
}

/// The loaded tracer, and the thread writing the kernel-type cache if this
/// start makes it: it takes a few milliseconds, and is joined before the
/// tracer exits so that even a short trace leaves the cache behind.
pub struct Loaded<'obj> {
    pub skel: TracerSkel<'obj>,
    pub cache_writer: Option<std::thread::JoinHandle<()>>,
}

/// Room for the tracer object: a start whose cached kernel types fail
/// opens it a second time without them.
pub type Slots = [MaybeUninit<OpenObject>; 2];

/// Opens, configures, prepares and loads the tracer (nothing attached yet).
///
/// With the per-boot cache (see `core_btf`), CO-RE relocates against its
/// kernel types and the programs load against its attach IDs (see `tp_btf`);
/// libbpf then never parses the kernel's BTF. Without it, or if it fails, the
/// object is opened again the usual way and the cache is written in the
/// background for next time. The event ring is needed only at load.
pub fn prepare_and_load<'obj>(
    slots: &'obj mut Slots,
    cfg: &Config,
    ring: &mut PendingRing,
) -> anyhow::Result<Loaded<'obj>> {
    let [first, second] = slots;
    let cache = core_btf::Cache::locate();
    let mut stale = None;
    if let Some(path) = cache.as_ref().and_then(core_btf::Cache::existing) {
        // Registered while this object is opened and loaded.
        let (handler, task_struct) = match core_btf::kernel_ids(&path) {
            Some(ids) => {
                let cast = ids.task_cast;
                let handler = tp_btf::Handler::register(ids.attach, cast.map(|c| c.kfunc));
                // The programs cast only if the handler patches their calls.
                let task_struct = cast.filter(|_| handler.is_some()).map(|c| c.task_struct);
                (handler, task_struct)
            }
            None => (None, None),
        };
        let attached_by_id = handler.is_some();
        let from_cache = FromCache {
            types: &path,
            task_struct,
        };
        let loaded = match prepare_with(first, cfg, Some(from_cache)) {
            Ok(open) => load_into(open, ring.map()?),
            Err(e) => Err(e),
        };
        drop(handler);
        match loaded {
            Ok(skel) => {
                note(format_args!(
                    "kernel types{} from {}{}",
                    if attached_by_id {
                        " and attach IDs"
                    } else {
                        ""
                    },
                    path.to_string_lossy(),
                    if task_struct.is_some() {
                        "; the task's fields read through bpf_rdonly_cast"
                    } else {
                        ""
                    }
                ));
                return Ok(Loaded {
                    skel,
                    cache_writer: None,
                });
            }
            Err(e) => stale = Some((path, e)),
        }
    }
    let mut open = prepare_with(second, cfg, None)?;
    if let Some((path, e)) = stale {
        eprintln!(
            "ai-forensics: note: the per-boot kernel type cache {} did not load ({e:#}); made anew",
            path.to_string_lossy()
        );
    }
    let cache_writer = cache.map(|cache| {
        let object = open.open_object_mut();
        let tracepoints = tp_btf::tracepoints(object.progs().map(|p| p.section()));
        let obj = object.as_libbpf_object().as_ptr();
        // SAFETY: the object's own BTF, valid while the object is.
        let names = unsafe { core_btf::local_names(sys::bpf_object__btf(obj)) };
        std::thread::spawn(move || match cache.write(&names, &tracepoints) {
            Ok(()) => note(format_args!(
                "kernel types cached in {}",
                cache.path().display()
            )),
            Err(e) => {
                note(format_args!("kernel types not cached: {e:#}"));
                cache.discard();
            }
        })
    });
    let skel = load_into(open, ring.map()?)?;
    Ok(Loaded { skel, cache_writer })
}

/// What the per-boot cache gives a load: the kernel types to relocate
/// against and, when the `tp_btf` handler patches the programs' read-only
/// task casts, the kernel BTF ID of `struct task_struct` they cast to.
#[derive(Clone, Copy)]
struct FromCache<'p> {
    types: &'p std::ffi::CStr,
    task_struct: Option<u32>,
}

/// Opens and prepares the tracer (BTF relocated, maps created) around a
/// one-page stand-in event ring.
fn prepare_with<'obj>(
    object: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
    cache: Option<FromCache<'_>>,
) -> anyhow::Result<OpenTracerSkel<'obj>> {
    let mut open = open(object, cfg, page_size(), cache)?;
    let obj = open.open_object_mut().as_libbpf_object().as_ptr();
    // SAFETY: an opened object, not prepared yet; load() goes on from the
    // prepared state.
    let rc = unsafe { sys::bpf_object__prepare(obj) };
    if rc != 0 {
        let err = libbpf_rs::Error::from_raw_os_error(-rc);
        return Err(kernel_error("loading the BPF programs", err));
    }
    Ok(open)
}

/// Installs the event ring in a prepared object and loads the programs: they
/// refer to the map by the descriptor number libbpf gave it, so the ring
/// takes that number (the stand-in is closed, and the kernel frees it).
fn load_into<'obj>(
    open: OpenTracerSkel<'obj>,
    ring: BorrowedFd<'_>,
) -> anyhow::Result<TracerSkel<'obj>> {
    // SAFETY: a map of a prepared object: its descriptor is open.
    let slot = unsafe { sys::bpf_map__fd(open.maps.events.as_libbpf_object().as_ptr()) };
    // SAFETY: dup3 onto a descriptor libbpf owns and goes on owning.
    if slot < 0 || unsafe { libc::dup3(ring.as_raw_fd(), slot, libc::O_CLOEXEC) } < 0 {
        return Err(std::io::Error::last_os_error()).context("installing the ring buffer");
    }
    open.load()
        .map_err(|e| kernel_error("loading the BPF programs", e))
}

/// Opens, configures and loads the tracer with a ring of `cfg.ring_bytes`;
/// nothing is attached yet.
pub fn load<'obj>(
    object: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
) -> anyhow::Result<TracerSkel<'obj>> {
    open(object, cfg, cfg.ring_bytes, None)?
        .load()
        .map_err(|e| kernel_error("loading the BPF programs", e))
}

/// Opens the tracer and writes its configuration, with an event ring of
/// `ring_bytes`, relocated against the cache's types if given rather than
/// the kernel's own.
fn open<'obj>(
    object: &'obj mut MaybeUninit<OpenObject>,
    cfg: &Config,
    ring_bytes: u32,
    cache: Option<FromCache<'_>>,
) -> anyhow::Result<OpenTracerSkel<'obj>> {
    let opts = sys::bpf_object_open_opts {
        sz: std::mem::size_of::<sys::bpf_object_open_opts>() as _,
        // libbpf copies the path.
        btf_custom_path: cache.map_or(std::ptr::null(), |c| c.types.as_ptr()),
        ..Default::default()
    };
    let mut open = TracerSkelBuilder::default()
        .open_opts(opts, object)
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
    rodata.task_struct_id = cache.and_then(|c| c.task_struct).unwrap_or(0);
    // The calls that never return, reported at entry (this architecture's numbers).
    rodata.nr_exit = syscalls::number("exit").unwrap_or(u32::MAX);
    rodata.nr_exit_group = syscalls::number("exit_group").unwrap_or(u32::MAX);
    // Wake the consumer early only when half the ring is waiting (it is then
    // falling behind); otherwise its timer drains the ring.
    rodata.wakeup_bytes = u64::from(cfg.ring_bytes / 2);
    // Records carry each call's own arguments only.
    for (nr, n) in rodata.syscall_nargs.iter_mut().enumerate() {
        *n = decode::arity(nr as u32) as u8;
    }
    if cfg.capture {
        rodata.capture_enabled = true;
        rodata.string_limit = cfg.string_limit;
        for (nr, caps) in table::plan() {
            if let Some(slot) = rodata.capture_plan.get_mut(nr as usize) {
                rodata.capture_count[nr as usize] = caps.len().min(slot.len()) as u8;
                rodata.exit_path[nr as usize] = if table::one_buffer(nr, &caps, cfg.string_limit) {
                    EXIT_ONE_BUFFER
                } else {
                    EXIT_CAPTURES
                };
                for (dst, src) in slot.iter_mut().zip(caps) {
                    *dst = src;
                }
            }
        }
        for (nr, reads) in table::entry_plan() {
            if let Some(slot) = rodata.entry_reads.get_mut(nr as usize) {
                // Entry reads go with the general record.
                rodata.exit_path[nr as usize] = EXIT_CAPTURES;
                for (dst, src) in slot.iter_mut().zip(reads) {
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
        .set_max_entries(ring_bytes)
        .map_err(|e| kernel_error("sizing the ring buffer", e))?;
    Ok(open)
}

/// The attached programs; dropping them detaches.
pub struct Links {
    _held: Vec<libbpf_rs::Link>,
}

/// Attaches every program, in the object's order (tp_btf: no tracefs
/// needed). Each is attached here, not by the skeleton, which skips the
/// programs loaded against cached attach IDs (see `tp_btf`).
pub fn attach(skel: &TracerSkel<'_>) -> anyhow::Result<Links> {
    skel.object()
        .progs_mut()
        .map(|prog| {
            prog.attach_trace()
                .map_err(|e| kernel_error("attaching to the syscall and scheduler tracepoints", e))
        })
        .collect::<anyhow::Result<_>>()
        .map(|held| Links { _held: held })
}

/// Detaches every program; events already in the ring stay readable.
pub fn detach(links: Links) {
    drop(links);
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

const EXIT_CAPTURES: u8 = types::exit_path::EXIT_CAPTURES.0 as u8;
const EXIT_ONE_BUFFER: u8 = types::exit_path::EXIT_ONE_BUFFER.0 as u8;

#[cfg(test)]
mod tests {
    use super::*;

    /// The calls whose exit writes their one buffer in place.
    fn one_buffer_calls(string_limit: u32) -> Vec<&'static str> {
        table::plan()
            .into_iter()
            .filter(|(nr, plan)| table::one_buffer(*nr, plan, string_limit))
            .filter_map(|(nr, _)| syscalls::name(nr))
            .collect()
    }

    #[test]
    fn one_buffer_serves_plain_buffers_up_to_its_limit() {
        let calls = one_buffer_calls(32);
        for name in ["read", "write", "pread64", "pwrite64"] {
            assert!(calls.contains(&name), "{name} in {calls:?}");
        }
        // Paths, iovec arrays and structs keep the general record.
        for name in ["openat", "readv", "newfstatat", "recvmsg"] {
            assert!(!calls.contains(&name), "{name} in {calls:?}");
        }
        assert_eq!(one_buffer_calls(table::ONE_BUFFER_MAX), calls);
        assert!(one_buffer_calls(table::ONE_BUFFER_MAX + 1).is_empty());
    }
}
