//! `--syscalls` (`-e`) selection, done in the kernel, and the tracer never
//! tracing itself.
mod common;

use std::collections::BTreeSet;

use common::*;

/// Lifecycle events are never filtered: exec and exit are always there.
fn assert_lifecycle(ev: &Events, exit_code: u64) {
    assert_eq!(ev.execs().len(), 1, "{:?}", ev.execs());
    let pid = u(&ev.execs()[0], "pid");
    assert_eq!(u(ev.exit_of(pid), "exit_code"), exit_code);
}

#[test]
fn only_the_selected_syscall() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["--syscalls", "getppid"], &[fx.path(), "7"]);
    run.assert_code(3);
    let ev = run.events();
    assert_eq!(ev.names(), BTreeSet::from(["getppid".to_string()]));
    assert_eq!(ev.count("getppid"), 7);
    assert_lifecycle(&ev, 3);
    // With seq counted in the kernel, a filtered run has no gaps either.
    assert_eq!(ev.lost_total(), 0);
    for (n, e) in ev.all.iter().enumerate() {
        assert_eq!(u(e, "seq"), n as u64, "no holes in seq: {e}");
    }
}

#[test]
fn short_option_and_list() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["-e", "getppid,write"], &[fx.path(), "4"]);
    run.assert_code(3);
    let ev = run.events();
    assert_eq!(
        ev.names(),
        BTreeSet::from(["getppid".to_string(), "write".to_string()])
    );
    assert_eq!(ev.count("getppid"), 4);
    assert_eq!(ev.count("write"), 1);
    assert_lifecycle(&ev, 3);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn syscall_numbers_select_too() {
    // 110 is getppid on x86_64.
    let fx = Fixture::build("known");
    let run = trace_cmd(&["--syscalls", "110"], &[fx.path(), "6"]);
    run.assert_code(3);
    let ev = run.events();
    assert_eq!(ev.names(), BTreeSet::from(["getppid".to_string()]));
    assert_eq!(ev.count("getppid"), 6);
    assert!(ev.syscalls().iter().all(|e| u(e, "nr") == 110));
}

#[test]
fn file_class_has_openat_not_getppid() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["--syscalls", "%file"], &[fx.path(), "5"]);
    run.assert_code(3);
    let ev = run.events();
    let names = ev.names();
    assert!(names.contains("openat"), "{names:?}");
    for not_file in ["getppid", "write", "close", "mmap", "brk", "exit_group"] {
        assert!(!names.contains(not_file), "%file has {not_file}: {names:?}");
    }
    // The fixture's failed open (O_RDONLY, unlike the loader's O_CLOEXEC ones).
    let enoent: Vec<_> = ev
        .named("openat")
        .into_iter()
        .filter(|e| e["errno"] == "ENOENT" && e["raw_args"][2] == "0x0")
        .collect();
    assert_eq!(enoent.len(), 1, "{enoent:?}");
    assert_lifecycle(&ev, 3);
}

#[test]
fn negation_excludes() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["--syscalls", "!getppid"], &[fx.path(), "5"]);
    run.assert_code(3);
    let ev = run.events();
    let names = ev.names();
    assert!(!names.contains("getppid"), "{names:?}");
    for present in ["execve", "openat", "write", "close", "exit_group"] {
        assert!(names.contains(present), "{present} missing: {names:?}");
    }
    assert_lifecycle(&ev, 3);
}

#[test]
fn unknown_name_is_a_usage_error_with_a_suggestion() {
    let run = trace_cmd(&["--syscalls", "opneat"], &["/bin/true"]);
    run.assert_one_line_error(64, r#"unknown syscall "opneat" (did you mean "openat"?)"#);
}

#[test]
fn lifecycle_events_are_not_filtered() {
    // A selection the workload never calls: only exec/fork/exit remain.
    let fx = Fixture::build("forker");
    let run = trace_cmd(&["--syscalls", "reboot"], &[fx.path()]);
    run.assert_code(5);
    let ev = run.events();
    assert!(ev.syscalls().is_empty(), "{:?}", ev.syscalls());
    assert_eq!(ev.execs().len(), 2, "forker and its /bin/true child");
    assert_eq!(ev.forks().len(), 4);
    assert_eq!(ev.exits().len(), 5);
}

#[test]
fn the_tracer_never_traces_itself() {
    let storm = Fixture::build("storm");
    let out = storm.dir().join("all.jsonl");
    let out_s = out.to_str().unwrap();
    // Syscalls the tracer itself makes all the time while draining and writing.
    let set = "getppid,write,read,epoll_wait,epoll_pwait,futex,openat,close,mmap,munmap";
    let mut tracer = Tracer::spawn(&["trace", "--all", "--syscalls", set, "-o", out_s]);
    tracer.wait_ready();
    let tracer_pid = tracer.pid() as u64;
    // A workload while it runs.
    let st = std::process::Command::new(storm.path())
        .arg("3000")
        .status()
        .unwrap();
    assert!(st.success());
    // Let the ring drain at least once more, then stop it.
    std::thread::sleep(std::time::Duration::from_millis(300));
    tracer.signal(libc::SIGINT);
    let run = tracer.finish();
    run.assert_code(0);
    assert!(run.stdout.is_empty(), "with -o, stdout stays empty");
    let text = std::fs::read_to_string(&out).unwrap();
    let ev = Events::parse(&text);
    let mine = ev.of_pid(tracer_pid);
    assert!(
        mine.is_empty(),
        "{} events from the tracer itself (pid {tracer_pid}), e.g. {:?}",
        mine.len(),
        &mine[..mine.len().min(5)]
    );
    // The workload was seen, so the run did trace the system.
    let storm_pids: BTreeSet<u64> = ev
        .execs()
        .iter()
        .filter(|e| e["filename"] == storm.path())
        .map(|e| u(e, "pid"))
        .collect();
    assert_eq!(storm_pids.len(), 1, "the workload's exec: {storm_pids:?}");
    let p = *storm_pids.iter().next().unwrap();
    let n = ev
        .named("getppid")
        .into_iter()
        .filter(|e| e["pid"] == p)
        .count();
    if ev.lost_total() == 0 {
        assert_eq!(n, 3000, "the workload's getppid calls");
    } else {
        assert!(n > 0 && n <= 3000, "the workload's getppid calls: {n}");
    }
}

#[test]
fn sigterm_stops_an_all_trace_with_status_zero() {
    let mut tracer = Tracer::spawn(&["trace", "--all", "--syscalls", "reboot"]);
    tracer.wait_ready();
    tracer.signal(libc::SIGTERM);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    assert!(ev.syscalls().is_empty(), "{:?}", ev.syscalls());
    assert!(ev.of_pid(run.pid as u64).is_empty());
}
