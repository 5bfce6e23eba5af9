//! The `trace` command: wire targets, kernel, capture, pipeline and output together.
use std::io::Write;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::capture::priority;
use crate::capture::reader::{Reader, ReaderStats, Waker};
use crate::cli::{Format, TraceArgs};
use crate::decode::syscalls::Selection;
use crate::enrich::{fds, Annotate};
use crate::error::{user, Kind};
use crate::kernel::counters::Counters;
use crate::kernel::features::Features;
use crate::kernel::tracer_skel::TracerSkel;
use crate::kernel::{loader, preflight};
use crate::launch;
use crate::output::stats::{self, Stats};
use crate::output::{summary, Clock, Formatter};
use crate::pipeline::Pipeline;
use crate::scope;

/// After Ctrl-C/SIGTERM, how long a launched command gets to exit while we keep tracing.
const STOP_GRACE: Duration = Duration::from_millis(500);

/// What to trace.
enum Target {
    Command(Vec<std::ffi::OsString>),
    Pids(Vec<u32>),
    Comm([u8; 16]),
    All,
}

fn target(args: &TraceArgs) -> anyhow::Result<Target> {
    let modes = [
        !args.command.is_empty(),
        !args.pid.is_empty(),
        args.comm.is_some(),
        args.all,
    ];
    match modes.iter().filter(|&&m| m).count() {
        0 => {
            return Err(user(
                Kind::Usage,
                "nothing to trace: give a command after --, or --pid, --comm or --all",
            ))
        }
        1 => {}
        _ => {
            return Err(user(
                Kind::Usage,
                "give only one of: a command, --pid, --comm, --all",
            ))
        }
    }
    if args.follow && (!args.command.is_empty() || args.all) {
        eprintln!("ai-forensics: note: --follow is implied for a launched command and meaningless with --all");
    }
    if !args.command.is_empty() {
        return Ok(Target::Command(args.command.clone()));
    }
    if !args.pid.is_empty() {
        return scope::resolve_pids(&args.pid).map(Target::Pids);
    }
    if let Some(name) = &args.comm {
        return scope::comm_filter(name).map(Target::Comm);
    }
    Ok(Target::All)
}

/// The processes registered at start (attach modes).
fn watched_pids(target: &Target) -> Vec<u32> {
    match target {
        Target::Pids(pids) => pids.clone(),
        Target::Comm(comm) => scope::pids_with_comm(comm),
        Target::Command(_) | Target::All => vec![],
    }
}

/// Marks every thread of running watched processes in task storage. Runs
/// after attach: threads forked from then on are marked by the kernel.
fn mark_running_threads(
    skel: &crate::kernel::tracer_skel::TracerSkel<'_>,
    pids: &[u32],
) -> anyhow::Result<()> {
    for &pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue; // exited meanwhile
        };
        // Idempotent; covers a --comm match that started since the first scan.
        loader::watch(skel, pid)?;
        for tid in tasks.filter_map(|t| t.ok()?.file_name().to_str()?.parse::<u32>().ok()) {
            match loader::mark_watched(skel, tid, true) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {} // exited meanwhile
                Err(e) => return Err(e).context("marking the threads of watched processes"),
            }
        }
    }
    Ok(())
}

/// The `-c`/`-C` summary, after the events on the same output.
fn write_summary(
    format: Format,
    rows: &[stats::SyscallCount],
    mut out: Box<dyn Write + Send>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    match format {
        Format::Json => summary::json(rows, &mut buf),
        Format::Text => summary::text(rows, &mut buf)?,
    }
    out.write_all(&buf)?;
    out.flush()
}

fn open_output(args: &TraceArgs) -> anyhow::Result<Box<dyn Write + Send>> {
    match &args.output {
        None => Ok(Box::new(std::io::stdout())),
        Some(path) => {
            let f = crate::output::open_file(path, false)?;
            Ok(Box::new(std::io::BufWriter::with_capacity(1 << 16, f)))
        }
    }
}

fn check_ring_size(bytes: u64) -> anyhow::Result<u32> {
    let page = u64::from(crate::capture::ring::page_size());
    if bytes < page || !bytes.is_power_of_two() || bytes > (1 << 30) {
        return Err(user(
            Kind::Usage,
            format!(
                "--buffer-size {bytes}: must be a power of two between {page} and 1G (e.g. 64M)"
            ),
        ));
    }
    Ok(bytes as u32)
}

/// Half the CPUs (at most 4): the other half runs the traced workload and the reader.
fn default_workers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cpus / 2).clamp(1, 4)
}

/// The loader configuration for this target and these options.
fn config(
    args: &TraceArgs,
    target: &Target,
    selection: &Selection,
    ring_bytes: u32,
    features: Features,
) -> loader::Config {
    loader::Config {
        tracer_tgid: std::process::id(),
        trace_all: matches!(target, Target::All),
        follow_children: matches!(target, Target::Command(_)) || args.follow,
        comm: match target {
            Target::Comm(c) => Some(*c),
            _ => None,
        },
        syscall_filter: selection.words(),
        capture: !args.raw,
        string_limit: args.string_limit,
        ring_bytes,
        features,
        storage_marks_watched: match target {
            Target::Command(_) => true,
            Target::Pids(_) | Target::Comm(_) => features.pidfd_thread,
            Target::All => false,
        },
    }
}

/// Forks a launched command, held at its gate (started before the BPF
/// programs load, so its fork overlaps with loading).
fn spawn(target: &Target) -> anyhow::Result<Option<launch::Held>> {
    let Target::Command(argv) = target else {
        return Ok(None);
    };
    launch::become_subreaper()?;
    launch::spawn_held(argv).map(Some)
}

/// Registers what to watch, before the programs are attached so nothing is
/// missed; a launched command must be waiting at its gate.
fn register(
    skel: &TracerSkel<'_>,
    target: &Target,
    held: Option<&launch::Held>,
    features: Features,
) -> anyhow::Result<()> {
    match target {
        Target::Command(_) => {
            let child = held.context("the launched command was not started")?;
            child.wait_at_gate()?;
            loader::watch(skel, child.pid)?;
            if features.task_btf {
                loader::mark_watched(skel, child.pid, false)
                    .context("marking the launched command")?;
            }
        }
        Target::Pids(pids) => {
            for &pid in pids {
                loader::watch(skel, pid)?;
            }
        }
        Target::Comm(comm) => {
            for pid in scope::pids_with_comm(comm) {
                loader::watch(skel, pid)?;
            }
        }
        Target::All => {}
    }
    Ok(())
}

fn formatter(args: &TraceArgs) -> Formatter {
    let f = Formatter::new(args.format, Clock::new(), args.string_limit as usize);
    if args.summary_only {
        f.without_events()
    } else {
        f
    }
}

fn announce(target: &Target, args: &TraceArgs) {
    match target {
        Target::Pids(p) => eprintln!("ai-forensics: tracing pid {p:?} (Ctrl-C to stop)"),
        Target::Comm(_) => eprintln!(
            "ai-forensics: tracing processes named {:?} (Ctrl-C to stop)",
            args.comm.as_deref().unwrap_or_default()
        ),
        Target::All => eprintln!("ai-forensics: tracing all processes (Ctrl-C to stop)"),
        Target::Command(_) => {}
    }
}

/// The -y descriptor tracker; a launched command starts in our directory
/// with our standard descriptors.
fn tracker(args: &TraceArgs, launched: Option<u32>) -> Option<fds::Tracker> {
    let mut t = args
        .decode_fds
        .then(|| fds::Tracker::new(Some("/proc".into())))?;
    if let Some(pid) = launched {
        if let Ok(cwd) = std::env::current_dir() {
            t.set_cwd(pid, &cwd.to_string_lossy());
        }
        t.inherit_std_fds(pid);
    }
    Some(t)
}

/// When the drain loop ends: the output failed; the launched command and
/// its descendants are gone (or Ctrl-C, after a grace period for them);
/// Ctrl-C otherwise; every attached process exited.
struct StopPolicy<'a> {
    write_failed: Arc<AtomicBool>,
    interrupted: Arc<AtomicBool>,
    reaper: Option<&'a launch::ReapState>,
    /// --pid: stop when the kernel's watched set is empty.
    watched: Option<&'a libbpf_rs::MapHandle>,
    interrupted_at: Option<Instant>,
    last_watch_check: Instant,
}

impl StopPolicy<'_> {
    fn should_stop(&mut self) -> bool {
        if self.write_failed.load(Ordering::SeqCst) {
            return true;
        }
        if let Some(state) = self.reaper {
            if state.all_gone.load(Ordering::SeqCst) {
                return true;
            }
            if self.interrupted.load(Ordering::SeqCst) {
                let t = *self.interrupted_at.get_or_insert_with(Instant::now);
                return t.elapsed() >= STOP_GRACE;
            }
            return false;
        }
        if self.interrupted.load(Ordering::SeqCst) {
            return true;
        }
        if let Some(watched) = self.watched {
            if self.last_watch_check.elapsed() >= Duration::from_millis(100) {
                self.last_watch_check = Instant::now();
                return !loader::any_watched(watched);
            }
        }
        false
    }
}

/// CPU the tracer had used when tracing started, and when.
struct Start {
    at: Instant,
    setup_ns: u64,
    cpu: (u64, u64),
}

/// The final statistics to stderr (and --stats-file).
fn report(
    args: &TraceArgs,
    start: &Start,
    counts: &stats::Counts,
    rstats: &ReaderStats,
    per_syscall: Vec<stats::SyscallCount>,
) -> anyhow::Result<()> {
    let elapsed = start.at.elapsed();
    let (cpu_user_ns, cpu_system_ns) = stats::cpu_times();
    let (peak_rss_kb, private_rss_kb) = stats::memory_kb();
    let st = Stats {
        events: counts.events(),
        syscalls: counts.syscalls,
        execs: counts.execs,
        forks: counts.forks,
        exits: counts.exits,
        lost: rstats.order.lost,
        kernel_lost: rstats.kernel.lost,
        hidden: counts.hidden,
        kernel_events: rstats.kernel.next_seq,
        late: rstats.order.late,
        malformed: counts.malformed + rstats.order.malformed,
        watch_map_full: rstats.kernel.watch_map_full,
        inflight_map_full: rstats.kernel.inflight_map_full,
        wakeups: rstats.wakeups,
        timed_polls: rstats.timeouts,
        elapsed_ns: elapsed.as_nanos() as u64,
        setup_ns: start.setup_ns,
        cpu_user_ns: cpu_user_ns.saturating_sub(start.cpu.0),
        cpu_system_ns: cpu_system_ns.saturating_sub(start.cpu.1),
        peak_rss_kb,
        private_rss_kb,
        per_syscall,
    };
    let mut text = Vec::new();
    st.write_text(&mut text)?;
    std::io::stderr().write_all(&text)?;
    if let Some(path) = &args.stats_file {
        let json = serde_json::to_vec(&st)?;
        std::fs::write(path, json).map_err(|e| {
            user(
                Kind::Output,
                format!("cannot write statistics to {}: {e}", path.display()),
            )
        })?;
    }
    Ok(())
}

/// The tracer's exit status: the command's, 141 when our reader went away,
/// 130 when stopped by a signal while the command still runs (it is left
/// running), 0 for attach modes.
fn exit_status(
    write_result: std::io::Result<()>,
    reaper: Option<(Arc<launch::ReapState>, std::thread::JoinHandle<()>)>,
) -> anyhow::Result<u8> {
    if let Err(e) = write_result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(user(Kind::Output, format!("writing events failed: {e}")));
        }
        // The reader of our output went away (`| head`): stop like a writer
        // killed by SIGPIPE would, whatever the command is doing.
        return Ok(128 + libc::SIGPIPE as u8);
    }
    let Some((state, handle)) = reaper else {
        return Ok(0);
    };
    if state.all_gone.load(Ordering::SeqCst) {
        let _ = handle.join();
        return Ok(launch::exit_code_of(state.status.load(Ordering::SeqCst)));
    }
    Ok(130)
}

pub fn run(args: TraceArgs) -> anyhow::Result<u8> {
    let target = target(&args)?;
    let selection =
        Selection::parse(&args.syscalls).map_err(|e| user(Kind::Usage, e.to_string()))?;
    if selection.is_empty() {
        return Err(user(
            Kind::Usage,
            format!("--syscalls {:?} selects no syscall", args.syscalls),
        ));
    }
    let ring_bytes = check_ring_size(args.buffer_size)?;
    preflight::check()?;
    let out = open_output(&args)?;
    let setup_started = Instant::now();
    // The command's fork and the ring's creation overlap with preparing and
    // loading the programs (see loader::PendingRing).
    let held = spawn(&target)?;
    loader::set_verbose(args.verbose);
    priority::raise();
    let mut ring = loader::spawn_ring(ring_bytes);

    let mut features = Features::probe();
    if args.no_task_storage {
        // A kernel before 5.11 has none of these (bpf_loop came in 5.17).
        features.task_btf = false;
        features.pidfd_thread = false;
        features.bpf_loop = false;
    }
    // -y under a selection: the kernel also traces what keeps the
    // descriptor tables right; only the selection is shown.
    let (selection, shown) = if args.decode_fds {
        let traced = selection.union(&fds::tracked());
        let shown = (traced != selection).then_some(selection);
        (traced, shown)
    } else {
        (selection, None)
    };
    let cfg = config(&args, &target, &selection, ring_bytes, features);
    let mut objects: loader::Slots = [MaybeUninit::uninit(), MaybeUninit::uninit()];
    let loader::Loaded { skel, cache_writer } =
        loader::prepare_and_load(&mut objects, &cfg, &mut ring)?;
    let ring = ring.finish()?;
    register(&skel, &target, held.as_ref(), features)?;
    let links = loader::attach(&skel)?;
    if cfg.storage_marks_watched {
        mark_running_threads(&skel, &watched_pids(&target))?;
    }

    let waker = Waker::new()?;
    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let (interrupted, waker) = (Arc::clone(&interrupted), waker.clone());
        ctrlc::set_handler(move || {
            interrupted.store(true, Ordering::SeqCst);
            waker.wake();
        })
        .context("installing the Ctrl-C/SIGTERM handler")?;
    }
    let write_failed = Arc::new(AtomicBool::new(false));
    let pipeline = Pipeline::start(
        args.workers.unwrap_or_else(default_workers),
        formatter(&args),
        out,
        Arc::clone(&write_failed),
    )?;
    announce(&target, &args);
    let start = Start {
        at: Instant::now(),
        setup_ns: setup_started.elapsed().as_nanos() as u64,
        cpu: stats::cpu_times(),
    };
    let tracker = tracker(&args, held.as_ref().map(|c| c.pid));
    let bss: *const crate::kernel::types::bss = skel
        .maps
        .bss_data
        .as_deref()
        .context("BPF object has no .bss")?;
    // SAFETY: the skeleton (and so its .bss mapping) outlives `reader`.
    let counters = unsafe { Counters::new(bss) };
    let watched = loader::handle(&skel.maps.watched)?;
    let sink = Annotate::new(pipeline.sink(), tracker, shown);
    let mut reader = Reader::new(ring, counters, sink, waker.clone())?;
    let mut reaper = None;
    if let Some(child) = held {
        reaper = Some(launch::spawn_reaper(child.pid, move || waker.wake())?);
        child.release()?;
    }
    let mut policy = StopPolicy {
        write_failed,
        interrupted,
        reaper: reaper.as_ref().map(|(state, _)| &**state),
        watched: matches!(target, Target::Pids(_)).then_some(&watched),
        interrupted_at: None,
        last_watch_check: Instant::now(),
    };
    reader.run(|| policy.should_stop());
    loader::detach(links);
    let rstats = reader.finish();
    let finished = pipeline.finish()?;
    let mut write_result = finished.result;
    let per_syscall = Stats::per_syscall_from(&finished.counts);
    if (args.summary || args.summary_only) && write_result.is_ok() {
        write_result = write_summary(args.format, &per_syscall, finished.out);
    }
    report(&args, &start, &finished.counts, &rstats, per_syscall)?;
    if let Some(writer) = cache_writer {
        let _ = writer.join();
    }
    exit_status(write_result, reaper)
}
