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
    assert!(
        !common::process_gone(sleeper.pid()),
        "the target keeps running"
    );
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

#[test]
fn comm_traces_processes_by_name_now_and_after_exec() {
    let fx = Fixture::build("sleeper");
    // A name no other process has (comm keeps 15 bytes).
    let name = format!("aifc{}", std::process::id() % 100_000_000);
    let named = fx.dir().join(&name);
    std::fs::copy(fx.path(), &named).unwrap();
    let named_s = named.to_str().unwrap().to_string();
    let mut before = Background::start(&named_s, &[]);
    let other = Background::start(fx.path(), &[]);
    let mut tracer = Tracer::spawn(&["trace", "--comm", &name]);
    tracer.wait_ready();
    let mut after = Background::start(&named_s, &[]);
    let (pb, pa, po) = (before.pid() as u64, after.pid() as u64, other.pid() as u64);
    tracer.wait_for_event("a call from the earlier process", |e| {
        e["pid"] == pb && e["syscall"] == "getppid"
    });
    tracer.wait_for_event("a call from the later process", |e| {
        e["pid"] == pa && e["syscall"] == "getppid"
    });
    before.kill_with(libc::SIGKILL);
    after.kill_with(libc::SIGKILL);
    tracer.wait_for_event("the exits", |e| e["type"] == "exit" && e["pid"] == pa);
    tracer.signal(libc::SIGINT);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    assert!(
        ev.of_pid(po).is_empty(),
        "a process with another name was traced"
    );
    let ex: Vec<&Value> = ev.execs().iter().filter(|e| e["pid"] == pa).collect();
    assert_eq!(ex.len(), 1, "the later process's exec: {ex:?}");
    assert_eq!(s(ex[0], "comm"), name);
    for e in &ev.all {
        assert!(e["pid"] == pa || e["pid"] == pb, "{e}");
        assert_eq!(s(e, "comm"), name, "{e}");
    }
}

#[test]
fn pid_of_a_thread_traces_its_whole_process() {
    let fx = Fixture::build("sleeper");
    let mut sleeper = Background::start(fx.path(), &["thread"]);
    let pid = sleeper.pid() as u64;
    // Wait for the second thread to exist, and take its tid.
    let task_dir = format!("/proc/{pid}/task");
    let mut thread = None;
    for _ in 0..3000 {
        let tids: Vec<u64> = std::fs::read_dir(&task_dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|&t| t != pid)
            .collect();
        if let Some(&t) = tids.first() {
            thread = Some(t);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let thread = thread.expect("the sleeper's second thread");
    let mut tracer = Tracer::spawn(&["trace", "--pid", &thread.to_string()]);
    tracer.wait_ready();
    tracer.wait_for_event("the main thread's getppid", |e| {
        e["syscall"] == "getppid" && e["tid"] == pid
    });
    tracer.wait_for_event("the other thread's gettid", |e| {
        e["syscall"] == "gettid" && e["tid"] == thread
    });
    sleeper.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    for e in &ev.all {
        assert_eq!(u(e, "pid"), pid, "{e}");
    }
    for g in ev.named("gettid") {
        assert_eq!(i(g, "ret") as u64, thread);
    }
    assert_eq!(ev.exits().len(), 1);
    assert_eq!(s(ev.exit_of(pid), "signal"), "SIGKILL");
}

#[test]
fn follow_keeps_tracing_a_child_that_outlives_its_parent() {
    let (tracer, mut sleeper, fork) = attach_and_fork(true);
    let pid = sleeper.pid() as u64;
    let child = u(&fork, "child_pid");
    // Kill the parent at once: the child still has its 5 getuid calls to make.
    sleeper.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    let ev = run.events();
    assert_eq!(s(ev.exit_of(pid), "signal"), "SIGKILL");
    let getuid = ev
        .named("getuid")
        .into_iter()
        .filter(|e| e["pid"] == child)
        .count();
    assert_eq!(getuid, 5, "the orphan is traced to its end");
    let exit = ev.exit_of(child);
    assert_eq!(u(exit, "exit_code"), 4);
    assert_eq!(
        ev.all.last().unwrap(),
        exit,
        "the tracer ends with the last process"
    );
}
