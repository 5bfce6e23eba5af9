//! `ai-forensics trace --pid`: attaching to running processes.
mod common;

use common::*;
use serde_json::Value;

#[test]
fn attach_sees_the_process_and_ends_when_it_is_killed() {
    let fx = Fixture::build("sleeper");
    let mut sleeper = Background::start(fx.path(), &[]);
    let pid = sleeper.pid() as u64;
    let pid_s = pid.to_string();
    let mut tracer = Tracer::spawn(&["trace", "--pid", &pid_s]);
    tracer.wait_ready();
    // A few of its periodic calls, then kill it.
    for _ in 0..3 {
        tracer.wait_for_event("a getppid", |e| e["syscall"] == "getppid");
    }
    let seen = tracer.wait_for_event("a nanosleep", |e| {
        e["syscall"] == "nanosleep" || e["syscall"] == "clock_nanosleep"
    });
    assert_eq!(u(&seen, "pid"), pid);
    sleeper.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    assert!(
        run.stderr.contains("(Ctrl-C to stop)"),
        "stderr: {}",
        run.stderr
    );
    let ev = run.events();
    assert!(ev.count("getppid") >= 3);
    for e in &ev.all {
        assert_eq!(u(e, "pid"), pid, "only the attached process: {e}");
        assert_eq!(u(e, "ppid"), std::process::id() as u64, "{e}");
    }
    for g in ev.named("getppid") {
        assert_eq!(i(g, "ret"), std::process::id() as i64, "{g}");
    }
    assert!(ev.execs().is_empty(), "attached after its exec");
    let exit = ev.exit_of(pid);
    assert_eq!(s(exit, "signal"), "SIGKILL", "{exit}");
    assert_eq!(ev.all.last().unwrap(), exit, "exit is the last event");
}

#[test]
fn sigint_stops_a_pid_trace_with_status_zero() {
    let fx = Fixture::build("sleeper");
    let sleeper = Background::start(fx.path(), &[]);
    let pid_s = sleeper.pid().to_string();
    let mut tracer = Tracer::spawn(&["trace", "--pid", &pid_s]);
    tracer.wait_ready();
    tracer.wait_for_event("a getppid", |e| e["syscall"] == "getppid");
    tracer.signal(libc::SIGINT);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    assert!(ev.count("getppid") >= 1);
    assert!(!common::process_gone(sleeper.pid()), "the target keeps running");
}

/// Starts the sleeper, attaches (with or without --follow), makes it fork a
/// child (SIGUSR1) and returns (tracer, sleeper, the fork event).
fn attach_and_fork(follow: bool) -> (Tracer, Background, Value) {
    let fx = Fixture::build("sleeper");
    let sleeper = Background::start(fx.path(), &[]);
    let pid = sleeper.pid() as u64;
    let pid_s = pid.to_string();
    let mut args = vec!["trace", "--pid", &pid_s];
    if follow {
        args.push("--follow");
    }
    let mut tracer = Tracer::spawn(&args);
    tracer.wait_ready();
    tracer.wait_for_event("a getppid", |e| e["syscall"] == "getppid");
    send_signal(sleeper.pid(), libc::SIGUSR1);
    let fork = tracer.wait_for_event("the fork", |e| e["type"] == "fork" && e["pid"] == pid);
    // The fixture directory may go now: the binary is running.
    drop(fx);
    (tracer, sleeper, fork)
}

#[test]
fn follow_traces_a_child_forked_after_attach() {
    let (mut tracer, mut sleeper, fork) = attach_and_fork(true);
    let pid = sleeper.pid() as u64;
    assert_eq!(fork["thread"], false);
    let child = u(&fork, "child_pid");
    tracer.wait_for_event("the child's exit", |e| {
        e["type"] == "exit" && e["pid"] == child
    });
    sleeper.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    let mine = ev.of_pid(child);
    let getuid: Vec<&&Value> = mine.iter().filter(|e| e["syscall"] == "getuid").collect();
    assert_eq!(getuid.len(), 5, "the child's getuid calls: {mine:?}");
    for e in &mine {
        assert_eq!(u(e, "ppid"), pid, "{e}");
        assert!(u(e, "seq") > u(&fork, "seq"), "{e}");
    }
    assert_eq!(u(ev.exit_of(child), "exit_code"), 4);
    assert_eq!(s(ev.exit_of(pid), "signal"), "SIGKILL");
}

#[test]
fn without_follow_a_later_child_is_not_traced() {
    let (tracer, mut sleeper, fork) = attach_and_fork(false);
    let child = u(&fork, "child_pid");
    assert_eq!(fork["thread"], false);
    // Let the child do all its work (it is the sleeper's; it gets reaped there).
    wait_gone(child as u32);
    sleeper.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    let from_child = ev.of_pid(child);
    assert!(
        from_child.is_empty(),
        "events from an unfollowed child: {from_child:?}"
    );
    // The parent's fork event is there, once.
    let forks: Vec<&Value> = ev
        .forks()
        .iter()
        .filter(|f| f["child_pid"] == child)
        .collect();
    assert_eq!(forks.len(), 1);
}

#[test]
fn attach_to_a_nonexistent_pid_gives_66() {
    let pid = dead_pid().to_string();
    let run = trace(&["trace", "--pid", &pid]);
    run.assert_one_line_error(66, &pid);
}

#[test]
fn attach_to_several_pids_ends_when_all_are_gone() {
    let fx = Fixture::build("sleeper");
    let mut a = Background::start(fx.path(), &[]);
    let mut b = Background::start(fx.path(), &[]);
    let (pa, pb) = (a.pid() as u64, b.pid() as u64);
    let list = format!("{pa},{pb}");
    let mut tracer = Tracer::spawn(&["trace", "-p", &list]);
    tracer.wait_ready();
    tracer.wait_for_event("a getppid from a", |e| {
        e["syscall"] == "getppid" && e["pid"] == pa
    });
    tracer.wait_for_event("a getppid from b", |e| {
        e["syscall"] == "getppid" && e["pid"] == pb
    });
    a.kill_with(libc::SIGTERM);
    tracer.wait_for_event("a's exit", |e| e["type"] == "exit" && e["pid"] == pa);
    b.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    assert_eq!(s(ev.exit_of(pa), "signal"), "SIGTERM");
    assert_eq!(s(ev.exit_of(pb), "signal"), "SIGKILL");
    for e in &ev.all {
        assert!(e["pid"] == pa || e["pid"] == pb, "{e}");
    }
}
