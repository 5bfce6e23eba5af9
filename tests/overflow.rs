//! Ring-buffer overflow: losses are reported in-band, exactly.
mod common;

use common::*;
use serde_json::Value;

const STORM: u64 = 200_000;

/// Walks the stream: every sequence number from 0 to the end is either an
/// event or inside exactly one lost record; returns the next sequence number.
fn check_accounting(all: &[Value]) -> u64 {
    let mut next = 0u64;
    for e in all {
        let seq = u(e, "seq");
        if e["type"] == "lost" {
            let count = u(e, "count");
            assert!(count >= 1, "{e}");
            assert_eq!(
                seq, next,
                "lost record must start at the first missing seq {next}: {e}"
            );
            next = seq + count;
        } else {
            assert_eq!(
                seq,
                next,
                "seq {seq} follows {} without a lost record covering the gap: {e}",
                next.wrapping_sub(1)
            );
            next = seq + 1;
        }
    }
    next
}

/// Traces fixture `fx` run with `args`, with the tracer options `opts`;
/// returns the run (exit code 0 checked) and its --stats-file statistics.
fn traced_with_stats(fx: &Fixture, opts: &[&str], args: &[&str]) -> (Run, Value) {
    let stats_path = fx.dir().join("stats.json");
    let mut opts = opts.to_vec();
    opts.extend(["--stats-file", stats_path.to_str().unwrap()]);
    let mut cmd = vec![fx.path()];
    cmd.extend(args);
    let run = trace_cmd(&opts, &cmd);
    run.assert_code(0);
    (run, read_stats(&stats_path))
}

/// Traces `storm STORM` selecting only getppid, with `extra` options.
fn storm_getppid(extra: &[&str]) -> (Run, Value) {
    let mut opts = extra.to_vec();
    opts.extend(["--syscalls", "getppid"]);
    traced_with_stats(&Fixture::build("storm"), &opts, &[&STORM.to_string()])
}

#[test]
fn tiny_buffer_loses_events_and_accounts_for_every_one() {
    let (run, st) = storm_getppid(&["--buffer-size", "4096"]);
    let ev = run.events();
    let lost = ev.of_type("lost");
    assert!(
        !lost.is_empty(),
        "a 4 KiB ring cannot hold {STORM} events: want lost records"
    );
    let lost_sum = ev.lost_total();
    let delivered_getppid = ev.count("getppid") as u64;
    assert_eq!(
        ev.names().into_iter().collect::<Vec<_>>(),
        ["getppid"],
        "only getppid selected"
    );
    let delivered = (ev.all.len() - lost.len()) as u64;
    let lifecycle = delivered - delivered_getppid;
    assert!(lifecycle <= 2, "at most exec + exit besides getppid");

    // The kernel numbered STORM getppid + exec + exit; each is delivered or lost.
    let total = check_accounting(&ev.all);
    assert_eq!(delivered + lost_sum, total);
    assert_eq!(
        delivered_getppid + lifecycle + lost_sum,
        STORM + 2,
        "delivered getppid {delivered_getppid} + lifecycle {lifecycle} + lost {lost_sum}"
    );
    assert_eq!(total, STORM + 2);

    let kernel_events = u(&st, "kernel_events");
    assert_eq!(kernel_events, STORM + 2, "stats: {st}");
    assert_eq!(
        u(&st, "events") + u(&st, "lost"),
        kernel_events,
        "stats: {st}"
    );
    assert_eq!(u(&st, "events"), delivered, "stats: {st}");
    assert_eq!(u(&st, "lost"), lost_sum, "stats: {st}");
    assert_eq!(u(&st, "syscalls"), delivered_getppid, "stats: {st}");
    assert_eq!(u(&st, "malformed"), 0, "stats: {st}");
    assert!(u(&st, "kernel_lost") >= 1, "stats: {st}");
    assert!(u(&st, "kernel_lost") <= lost_sum, "stats: {st}");
}

#[test]
fn tiny_buffer_accounts_for_records_written_in_place() {
    // One-byte writes through a pipe: their buffers are written straight
    // into the ring (EXIT_ONE_BUFFER), a path with its own reservation.
    const PAIRS: u64 = 50_000;
    let (run, st) = traced_with_stats(
        &Fixture::workload("rw"),
        &["--buffer-size", "4096", "--syscalls", "write"],
        &[&PAIRS.to_string()],
    );
    let ev = run.events();
    assert!(
        ev.lost_total() >= 1,
        "a 4 KiB ring cannot hold {PAIRS} writes"
    );
    let writes = ev.named("write");
    assert!(!writes.is_empty());
    for w in &writes {
        assert_eq!(w["args"]["buf"], "x", "{w}");
    }
    // The kernel numbered PAIRS writes, exec and exit; each is delivered or lost.
    let total = check_accounting(&ev.all);
    assert_eq!(total, PAIRS + 2);
    assert_eq!(u(&st, "kernel_events"), total, "stats: {st}");
    assert_eq!(u(&st, "events") + u(&st, "lost"), total, "stats: {st}");
    assert_eq!(u(&st, "malformed"), 0, "stats: {st}");
}

#[test]
fn default_buffer_loses_nothing() {
    let (run, st) = storm_getppid(&[]);
    let ev = run.events();
    assert!(
        ev.of_type("lost").is_empty(),
        "no lost records with the default buffer"
    );
    assert_eq!(ev.count("getppid") as u64, STORM);
    assert_eq!(ev.execs().len(), 1);
    assert_eq!(ev.exits().len(), 1);
    assert_eq!(check_accounting(&ev.all), STORM + 2);

    assert_eq!(u(&st, "kernel_events"), STORM + 2, "stats: {st}");
    assert_eq!(u(&st, "events"), STORM + 2, "stats: {st}");
    assert_eq!(u(&st, "lost"), 0, "stats: {st}");
    assert_eq!(u(&st, "kernel_lost"), 0, "stats: {st}");
    assert_eq!(u(&st, "late"), 0, "stats: {st}");
    assert_eq!(u(&st, "syscalls"), STORM, "stats: {st}");
    assert_eq!(u(&st, "execs"), 1, "stats: {st}");
    assert_eq!(u(&st, "exits"), 1, "stats: {st}");
    assert_eq!(u(&st, "forks"), 0, "stats: {st}");
    let per = st["per_syscall"]
        .as_array()
        .unwrap_or_else(|| panic!("per_syscall missing: {st}"));
    assert_eq!(per.len(), 1, "{per:?}");
    assert_eq!(per[0]["syscall"], "getppid");
    assert_eq!(u(&per[0], "calls"), STORM);
    assert_eq!(u(&per[0], "errors"), 0);
}

#[test]
fn stats_file_has_every_documented_key() {
    let stats_dir = TempDir::new("stats");
    let path = stats_dir.join("s.json");
    let run = trace_cmd(&["--stats-file", path.to_str().unwrap()], &["/bin/true"]);
    run.assert_code(0);
    let st = read_stats(&path);
    for key in [
        "events",
        "syscalls",
        "execs",
        "forks",
        "exits",
        "lost",
        "kernel_lost",
        "kernel_events",
        "hidden",
        "late",
        "malformed",
        "watch_map_full",
        "inflight_map_full",
        "wakeups",
        "timed_polls",
        "elapsed_ns",
        "cpu_user_ns",
        "cpu_system_ns",
        "peak_rss_kb",
        "private_rss_kb",
    ] {
        assert!(
            st[key].is_u64(),
            "stats key {key:?} missing or not a count: {st}"
        );
    }
    assert!(st["per_syscall"].is_array(), "{st}");
    let ev = run.events();
    assert_eq!(u(&st, "events"), ev.all.len() as u64);
    assert_eq!(u(&st, "syscalls"), ev.syscalls().len() as u64);
    let calls: u64 = st["per_syscall"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| u(p, "calls"))
        .sum();
    assert_eq!(calls, ev.syscalls().len() as u64);
}

#[test]
fn concurrent_threads_keep_seq_order_and_exact_accounting() {
    // Four threads on two CPUs: records reach the ring out of sequence order
    // and must leave in order, with any loss reported exactly.
    const K: u64 = 20_000;
    let (run, st) = traced_with_stats(&Fixture::build("threads"), &[], &["4", &K.to_string()]);
    let ev = run.events();
    let total = check_accounting(&ev.all);
    assert_eq!(u(&st, "kernel_events"), total, "stats: {st}");
    assert_eq!(u(&st, "events") + u(&st, "lost"), total, "stats: {st}");
    assert_eq!(u(&st, "lost"), ev.lost_total(), "stats: {st}");
    if ev.lost_total() == 0 {
        assert_eq!(ev.count("getpid") as u64, 4 * K);
        assert_eq!(ev.count("gettid") as u64, 4 * K + 1 + 2 + 3 + 4);
    }
}
