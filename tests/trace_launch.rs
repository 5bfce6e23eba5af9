//! `ai-forensics trace -- COMMAND`: what a launched command's trace contains,
//! and how the tracer's exit status follows the command's.
mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::Value;

/// The exec event of the launched command (the first exec in the stream).
fn first_exec(ev: &Events) -> &Value {
    ev.execs()
        .first()
        .unwrap_or_else(|| panic!("no exec event in {:?}", ev.all))
}

#[test]
fn true_starts_with_execve_and_exits_zero() {
    // The launch gate is racy by nature, so look at several runs: every one
    // must start with the command's execve, never with the launcher's
    // own pre-exec syscalls (set_robust_list, rt_sigaction, read of the gate).
    for round in 0..5 {
        let run = trace_cmd(&[], &["/bin/true"]);
        run.assert_code(0);
        let ev = run.events();
        let first = ev
            .syscalls()
            .first()
            .unwrap_or_else(|| panic!("no syscall events:\n{}", run.stdout));
        assert_eq!(
            s(first, "syscall"),
            "execve",
            "round {round}: the first syscall event must be the command's execve; got {first}\n\
             (syscalls of the launcher before the exec were traced)"
        );
        let before_exec: Vec<&Value> = ev
            .syscalls()
            .iter()
            .take_while(|e| e["syscall"] != "execve")
            .collect();
        assert!(
            before_exec.is_empty(),
            "round {round}: events before execve: {before_exec:?}"
        );

        let exec = first_exec(&ev);
        assert_eq!(s(exec, "filename"), "/bin/true");
        assert_eq!(exec["argv"], serde_json::json!(["/bin/true"]));
        assert_eq!(s(exec, "comm"), "true");
        let pid = u(exec, "pid");
        let execve = ev.named("execve");
        assert_eq!(execve.len(), 1, "one execve: {execve:?}");
        assert_eq!(i(execve[0], "ret"), 0);
        assert_eq!(u(execve[0], "pid"), pid);

        let exit = ev.exit_of(pid);
        assert_eq!(u(exit, "exit_code"), 0, "{exit}");
        assert_eq!(
            ev.all.last().unwrap(),
            exit,
            "the exit event should be the last one"
        );
        assert_eq!(ev.lost_total(), 0);
        // exit_group never returns: no ret, no duration.
        let eg = ev.named("exit_group");
        assert_eq!(eg.len(), 1, "{eg:?}");
        assert!(eg[0].get("ret").is_none() && eg[0].get("duration_ns").is_none());
        assert_eq!(eg[0]["raw_args"], serde_json::json!(["0x0"]));
    }
}

#[test]
fn known_syscalls_are_reported_exactly() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&[], &[fx.path(), "25"]);
    run.assert_code(3);
    let ev = run.events();
    assert_eq!(ev.lost_total(), 0);
    let exec = first_exec(&ev);
    let pid = u(exec, "pid");
    assert_eq!(s(exec, "filename"), fx.path());
    assert_eq!(exec["argv"], serde_json::json!([fx.path(), "25"]));

    let getppid = ev.named("getppid");
    assert_eq!(getppid.len(), 25, "getppid events: {getppid:?}");
    for g in &getppid {
        // The tracer is the command's parent.
        assert_eq!(i(g, "ret"), run.pid as i64, "{g}");
        assert_eq!(g["raw_args"], serde_json::json!([]), "getppid has no args");
        assert!(g.get("errno").is_none());
    }

    // After the last getppid the fixture does exactly this.
    let sys = ev.syscalls();
    let last = sys.iter().rposition(|e| e["syscall"] == "getppid").unwrap();
    let tail: Vec<&Value> = sys[last + 1..].iter().collect();
    let names: Vec<&str> = tail.iter().map(|e| s(e, "syscall")).collect();
    assert_eq!(
        names,
        ["openat", "openat", "write", "close", "exit_group"],
        "{tail:?}"
    );
    let missing = tail[0];
    assert_eq!(i(missing, "ret"), -2, "{missing}");
    assert_eq!(s(missing, "errno"), "ENOENT", "{missing}");
    assert_eq!(missing["raw_args"].as_array().unwrap().len(), 4);
    let devnull = tail[1];
    let fd = i(devnull, "ret");
    assert!(fd >= 0, "{devnull}");
    assert!(devnull.get("errno").is_none());
    let write = tail[2];
    assert_eq!(i(write, "ret"), 5, "{write}");
    assert_eq!(write["raw_args"][0], format!("{fd:#x}"));
    assert_eq!(write["raw_args"][2], "0x5");
    assert!(u(write, "duration_ns") < 60_000_000_000);
    assert_eq!(i(tail[3], "ret"), 0);
    assert_eq!(tail[3]["raw_args"], serde_json::json!([format!("{fd:#x}")]));
    let eg = tail[4];
    assert_eq!(eg["raw_args"], serde_json::json!(["0x3"]));
    assert!(eg.get("ret").is_none() && eg.get("duration_ns").is_none());

    assert_eq!(u(ev.exit_of(pid), "exit_code"), 3);
}

#[test]
fn pid_tid_ppid_uid_comm_are_right() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&[], &[fx.path(), "5"]);
    run.assert_code(3);
    let ev = run.events();
    let exec = first_exec(&ev);
    let pid = u(exec, "pid");
    assert_ne!(pid, run.pid as u64, "the command is not the tracer");
    let exec_seq = u(exec, "seq");
    for e in &ev.all {
        assert_eq!(u(e, "pid"), pid, "pid: {e}");
        assert_eq!(u(e, "tid"), pid, "single-threaded: tid == pid: {e}");
        assert_eq!(u(e, "ppid"), run.pid as u64, "ppid is the tracer: {e}");
        assert_eq!(u(e, "uid"), 0, "{e}");
        // From the exec on (the execve's own return included), comm is the new program's.
        if u(e, "seq") >= exec_seq || e["syscall"] == "execve" {
            assert_eq!(s(e, "comm"), "known", "{e}");
        }
    }
}

#[test]
fn threads_are_followed_with_their_own_tids() {
    const THREADS: u64 = 4;
    const K: u64 = 10;
    let fx = Fixture::build("threads");
    let run = trace_cmd(&[], &[fx.path(), &THREADS.to_string(), &K.to_string()]);
    run.assert_code(0);
    let ev = run.events();
    assert_eq!(ev.lost_total(), 0);
    let pid = u(first_exec(&ev), "pid");

    for e in &ev.all {
        assert_eq!(u(e, "pid"), pid, "all events belong to one process: {e}");
    }
    let tids: BTreeSet<u64> = ev.all.iter().map(|e| u(e, "tid")).collect();
    assert_eq!(
        tids.len() as u64,
        THREADS + 1,
        "distinct tids (threads + main): {tids:?}"
    );

    // Thread creation, in order, from the main thread.
    let forks = ev.forks();
    assert_eq!(forks.len() as u64, THREADS, "{forks:?}");
    let mut created = Vec::new();
    for f in forks {
        assert_eq!(f["thread"], true, "{f}");
        assert_eq!(u(f, "child_pid"), pid, "{f}");
        assert_eq!(u(f, "tid"), pid, "created by the main thread: {f}");
        created.push(u(f, "child_tid"));
    }
    let created_set: BTreeSet<u64> = created.iter().copied().collect();
    let mut others = tids.clone();
    others.remove(&pid);
    assert_eq!(created_set, others, "fork child_tids are the threads seen");
    // clone3/clone in the main thread returns each new tid, in the same order.
    let clone_rets: Vec<u64> = ev
        .syscalls()
        .iter()
        .filter(|e| e["syscall"] == "clone3" || e["syscall"] == "clone")
        .map(|e| i(e, "ret") as u64)
        .collect();
    assert_eq!(clone_rets, created);

    for (n, &tid) in created.iter().enumerate() {
        let idx = n as u64 + 1;
        let mine = ev.of_tid(tid);
        let getpid: Vec<&&Value> = mine.iter().filter(|e| e["syscall"] == "getpid").collect();
        let gettid: Vec<&&Value> = mine.iter().filter(|e| e["syscall"] == "gettid").collect();
        assert_eq!(getpid.len() as u64, K, "thread #{idx} ({tid}) getpid count");
        assert_eq!(
            gettid.len() as u64,
            K + idx,
            "thread #{idx} ({tid}) gettid count"
        );
        assert!(getpid.iter().all(|e| i(e, "ret") == pid as i64));
        assert!(gettid.iter().all(|e| i(e, "ret") == tid as i64));
        let last = mine.last().unwrap();
        assert_eq!(
            s(last, "syscall"),
            "exit",
            "a thread ends with exit: {last}"
        );
        assert!(last.get("ret").is_none());
    }
    // The main thread does none of the threads' work.
    let main = ev.of_tid(pid);
    assert!(!main
        .iter()
        .any(|e| e["syscall"] == "getpid" || e["syscall"] == "gettid"));
    assert_eq!(main.iter().filter(|e| e["syscall"] == "getuid").count(), 1);
    // One exit event, for the process, when its last thread is gone.
    assert_eq!(ev.exits().len(), 1, "{:?}", ev.exits());
    assert_eq!(u(ev.exit_of(pid), "exit_code"), 0);
}

#[test]
fn forked_children_are_followed_with_their_fates() {
    let fx = Fixture::build("forker");
    let run = trace_cmd(&[], &[fx.path()]);
    run.assert_code(5);
    let ev = run.events();
    assert_eq!(ev.lost_total(), 0);
    let main = u(first_exec(&ev), "pid");

    let forks: Vec<&Value> = ev.forks().iter().filter(|f| f["pid"] == main).collect();
    assert_eq!(forks.len(), 4, "{forks:?}");
    let mut children = Vec::new();
    for f in &forks {
        assert_eq!(f["thread"], false, "{f}");
        let child = u(f, "child_pid");
        assert_eq!(u(f, "child_tid"), child, "{f}");
        assert_ne!(child, main);
        // The child shows up after its fork event, as a child of main.
        let later: Vec<&Value> = ev
            .all
            .iter()
            .filter(|e| e["pid"] == child && u(e, "seq") > u(f, "seq"))
            .collect();
        assert!(!later.is_empty(), "no events from child {child}");
        for e in ev.of_pid(child) {
            assert!(u(e, "seq") > u(f, "seq"), "event before the fork: {e}");
            assert_eq!(u(e, "ppid"), main, "{e}");
        }
        children.push(child);
    }
    // The parent sees each fork return the child's pid.
    let fork_rets: Vec<u64> = ev
        .syscalls()
        .iter()
        .filter(|e| {
            e["pid"] == main && ["clone", "clone3", "fork", "vfork"].contains(&s(e, "syscall"))
        })
        .map(|e| i(e, "ret") as u64)
        .collect();
    assert_eq!(fork_rets, children);

    // 1: exec /bin/true, exit 0.
    let ex: Vec<&Value> = ev
        .execs()
        .iter()
        .filter(|e| e["pid"] == children[0])
        .collect();
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_eq!(s(ex[0], "filename"), "/bin/true");
    assert_eq!(ex[0]["argv"], serde_json::json!(["true"]));
    let e0 = ev.exit_of(children[0]);
    assert_eq!(u(e0, "exit_code"), 0, "{e0}");
    assert_eq!(s(e0, "comm"), "true");
    // 2: exit 7, after one getppid returning main.
    assert_eq!(u(ev.exit_of(children[1]), "exit_code"), 7);
    let g: Vec<&Value> = ev
        .named("getppid")
        .into_iter()
        .filter(|e| e["pid"] == children[1])
        .collect();
    assert_eq!(g.len(), 1);
    assert_eq!(i(g[0], "ret"), main as i64);
    // 3: SIGKILL.
    let e2 = ev.exit_of(children[2]);
    assert_eq!(s(e2, "signal"), "SIGKILL", "{e2}");
    assert_eq!(e2["core_dumped"], false);
    assert!(e2.get("exit_code").is_none());
    // 4: SIGSEGV without a core (RLIMIT_CORE 0).
    let e3 = ev.exit_of(children[3]);
    assert_eq!(s(e3, "signal"), "SIGSEGV", "{e3}");
    assert_eq!(e3["core_dumped"], false);
    // main: exit 5, mirrored by the tracer.
    assert_eq!(u(ev.exit_of(main), "exit_code"), 5);
    assert_eq!(ev.exits().len(), 5);
}

#[test]
fn command_killed_by_sigkill_gives_137() {
    let run = trace_cmd(&[], &["/bin/sh", "-c", "kill -9 $$"]);
    run.assert_code(137);
    let ev = run.events();
    let pid = u(first_exec(&ev), "pid");
    let exit = ev.exit_of(pid);
    assert_eq!(s(exit, "signal"), "SIGKILL", "{exit}");
    assert_eq!(exit["core_dumped"], false);
    let kills = ev.named("kill");
    assert_eq!(kills.len(), 1, "{kills:?}");
    assert_eq!(kills[0]["raw_args"][1], "0x9");
}

#[test]
fn command_not_found_gives_127() {
    let run = trace_cmd(&[], &["ai-forensics-no-such-command-xyz"]);
    run.assert_one_line_error(127, "ai-forensics-no-such-command-xyz");
    let run = trace_cmd(&[], &["/nonexistent/ai-forensics/cmd"]);
    run.assert_one_line_error(127, "/nonexistent/ai-forensics/cmd");
}

#[test]
fn command_not_executable_gives_126() {
    let dir = TempDir::new("noexec");
    let path = dir.join("plain-file");
    std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
    let p = path.to_str().unwrap();
    let run = trace_cmd(&[], &[p]);
    run.assert_one_line_error(126, p);
}

#[test]
fn tracer_waits_for_descendants_that_outlive_the_command() {
    // sh exits at once with 4; its background child runs on, then execs /bin/true.
    let run = trace_cmd(
        &[],
        &[
            "/bin/sh",
            "-c",
            "( /bin/sleep 0.2; exec /bin/true ) & exit 4",
        ],
    );
    run.assert_code(4);
    let ev = run.events();
    let main = u(first_exec(&ev), "pid");
    assert_eq!(u(ev.exit_of(main), "exit_code"), 4);
    let t: Vec<&Value> = ev
        .execs()
        .iter()
        .filter(|e| e["filename"] == "/bin/true")
        .collect();
    assert_eq!(t.len(), 1, "the orphan's exec is traced: {:?}", ev.execs());
    assert_eq!(u(ev.exit_of(u(t[0], "pid")), "exit_code"), 0);
    // Every process that started ended, with exactly one exit each.
    let mut exits: BTreeMap<u64, usize> = BTreeMap::new();
    for e in ev.exits() {
        *exits.entry(u(e, "pid")).or_default() += 1;
    }
    let pids: BTreeSet<u64> = ev.all.iter().map(|e| u(e, "pid")).collect();
    for p in &pids {
        assert_eq!(exits.get(p), Some(&1), "process {p}: exits {exits:?}");
    }
}

#[test]
fn unrelated_processes_are_not_traced() {
    let storm = Fixture::build("storm");
    // A busy process that is not a descendant of the traced command.
    let mut busy = Background::start(storm.path(), &["0"]);
    let busy_pid = busy.pid() as u64;
    let run = trace_cmd(&[], &[storm.path(), "20000"]);
    busy.kill_with(libc::SIGKILL);
    run.assert_code(0);
    let ev = run.events();
    let pid = u(first_exec(&ev), "pid");
    assert!(
        ev.of_pid(busy_pid).is_empty(),
        "events from the unrelated pid {busy_pid}"
    );
    let pids: BTreeSet<u64> = ev.all.iter().map(|e| u(e, "pid")).collect();
    assert_eq!(
        pids,
        BTreeSet::from([pid]),
        "only the command's pid appears"
    );
    assert_eq!(ev.count("getppid"), 20000);
    assert_eq!(ev.lost_total(), 0);
}

#[test]
fn a_thread_that_execs_takes_over_the_process() {
    let fx = Fixture::build("thread_exec");
    let run = trace_cmd(&[], &[fx.path()]);
    run.assert_code(0);
    let ev = run.events();
    let pid = u(first_exec(&ev), "pid");
    let thread_forks: Vec<&Value> = ev.forks().iter().filter(|f| f["thread"] == true).collect();
    assert_eq!(thread_forks.len(), 1, "{thread_forks:?}");
    let thread = u(thread_forks[0], "child_tid");
    let execs = ev.execs();
    assert_eq!(execs.len(), 2, "{execs:?}");
    let ex = &execs[1];
    assert_eq!(s(ex, "filename"), "/bin/true");
    assert_eq!(ex["argv"], serde_json::json!(["true", "from-thread"]));
    assert_eq!(u(ex, "pid"), pid);
    assert_eq!(
        u(ex, "tid"),
        pid,
        "after exec the thread has the leader's tid"
    );
    assert_eq!(u(ex, "old_tid"), thread, "{ex}");
    // The thread's execve is paired with its return (ret 0) after the takeover.
    let execve: Vec<&Value> = ev.named("execve");
    assert_eq!(execve.len(), 2, "{execve:?}");
    assert_eq!(i(execve[1], "ret"), 0, "{}", execve[1]);
    assert!(u(execve[1], "seq") > u(ex, "seq"));
    assert!(ev.all.iter().all(|e| u(e, "pid") == pid));
    assert_eq!(ev.exits().len(), 1);
    assert_eq!(u(ev.exit_of(pid), "exit_code"), 0);
}

#[test]
fn exit_comes_with_the_last_thread_and_its_status() {
    // The main thread leaves first (pthread_exit); another thread exit(6)s later.
    let fx = Fixture::build("leader_exit");
    let run = trace_cmd(&[], &[fx.path()]);
    run.assert_code(6);
    let ev = run.events();
    let pid = u(first_exec(&ev), "pid");
    let exit = ev.exit_of(pid);
    assert_eq!(u(exit, "exit_code"), 6, "{exit}");
    assert_eq!(ev.all.last().unwrap(), exit);
    let thread = u(&ev.forks()[0], "child_tid");
    let getppid = ev.named("getppid");
    assert_eq!(getppid.len(), 3);
    assert!(getppid.iter().all(|e| u(e, "tid") == thread));
    // The main thread's exit came earlier and did not end the process.
    let main_exit = ev
        .named("exit")
        .into_iter()
        .find(|e| u(e, "tid") == pid)
        .expect("the main thread's exit syscall");
    assert!(u(main_exit, "seq") < u(getppid[0], "seq"));
}

#[test]
fn output_file_gets_the_events_and_stdout_stays_empty() {
    let fx = Fixture::build("known");
    let out = fx.dir().join("out.jsonl");
    let run = trace_cmd(&["-o", out.to_str().unwrap()], &[fx.path(), "3"]);
    run.assert_code(3);
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
    let ev = Events::parse(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(ev.count("getppid"), 3);
    assert_eq!(ev.exits().len(), 1);

    let txt = fx.dir().join("out.txt");
    let run = trace_cmd(
        &["--format", "text", "--output", txt.to_str().unwrap()],
        &[fx.path(), "3"],
    );
    run.assert_code(3);
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(&txt).unwrap();
    assert_eq!(
        text.lines().filter(|l| l.contains(" getppid() = ")).count(),
        3,
        "{text}"
    );
    assert!(text.ends_with("+++ exited with 3 +++\n"), "{text}");
}

#[test]
fn exec_argv_is_reported_exactly_with_json_escapes() {
    let args = ["/bin/true", "a\"b\nc\\", "", "é ü", "--flag=1"];
    let run = trace_cmd(&["--syscalls", "execve"], &args);
    run.assert_code(0);
    let ev = run.events();
    let exec = first_exec(&ev);
    assert_eq!(exec["argv"], serde_json::json!(args));
    assert!(exec.get("truncated").is_none());
}

#[test]
fn long_argv_is_truncated_and_flagged() {
    let long = "x".repeat(100_000);
    let run = trace_cmd(&["--syscalls", "execve"], &["/bin/true", &long, &long]);
    run.assert_code(0);
    let ev = run.events();
    let exec = first_exec(&ev);
    assert_eq!(
        exec["truncated"],
        true,
        "{}",
        &run.stdout[..300.min(run.stdout.len())]
    );
    let argv = exec["argv"].as_array().unwrap();
    assert_eq!(argv[0], "/bin/true");
    assert!(argv
        .iter()
        .skip(1)
        .all(|a| a.as_str().unwrap().chars().all(|c| c == 'x')));
}

/// A command line is bytes: an argument that is not UTF-8 (a Latin-1 file
/// name, say) must not stop the tracer from running the command.
#[test]
fn non_utf8_command_arguments_are_accepted() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let mut cmd = std::process::Command::new(BIN);
    cmd.args(["trace", "--syscalls", "execve", "--", "/bin/true"])
        .arg(OsStr::from_bytes(b"caf\xe9"))
        .env_remove("LD_LIBRARY_PATH");
    let run = Tracer::spawn_command(cmd, vec!["trace -- /bin/true caf\\xe9".into()]).finish();
    run.assert_code(0);
    let ev = run.events();
    let exec = first_exec(&ev);
    // Invalid UTF-8 in the event becomes U+FFFD (the stream stays valid JSON).
    assert_eq!(
        exec["argv"],
        serde_json::json!(["/bin/true", "caf\u{fffd}"])
    );
}

#[test]
fn uid_changes_and_times_are_right() {
    assert_eq!(
        parse_time_ns("1970-01-02T00:00:01.000000002Z"),
        86_401_000_000_002
    );
    assert_eq!(
        parse_time_ns(
            "2024-02-29T12:00:00.5Z"
                .replace(".5Z", ".500000000Z")
                .as_str()
        ),
        1_709_208_000_500_000_000
    );
    let fx = Fixture::build("leader_exit");
    let before = now_ns();
    let run = trace_cmd(
        &[],
        &[
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            fx.path(),
        ],
    );
    let after = now_ns();
    run.assert_code(6);
    let ev = run.events();
    assert_eq!(ev.execs().len(), 2);
    assert_eq!(u(&ev.execs()[0], "uid"), 0);
    assert_eq!(u(&ev.execs()[1], "uid"), 65534, "{}", ev.execs()[1]);
    let second_exec = u(&ev.execs()[1], "seq");
    for e in ev.all.iter().filter(|e| u(e, "seq") > second_exec) {
        assert_eq!(u(e, "uid"), 65534, "{e}");
    }
    // Wall-clock times fall inside the run (with a generous margin for clock steps).
    let slack = 5_000_000_000;
    let mut last_per_tid: BTreeMap<u64, i128> = BTreeMap::new();
    for e in ev.syscalls() {
        let t = parse_time_ns(s(e, "time"));
        assert!(
            t >= before - slack && t <= after + slack,
            "time outside the run: {e}"
        );
        // Within a thread, calls start one after another.
        let prev = last_per_tid.insert(u(e, "tid"), t);
        if let Some(p) = prev {
            assert!(t >= p, "thread's calls out of time order: {e}");
        }
    }
    // The fixture sleeps 50 ms: the call lasted at least that long.
    let naps: Vec<&Value> = ev
        .syscalls()
        .iter()
        .filter(|e| e["syscall"] == "clock_nanosleep" || e["syscall"] == "nanosleep")
        .collect();
    assert_eq!(naps.len(), 1, "{naps:?}");
    assert!(u(naps[0], "duration_ns") >= 50_000_000, "{}", naps[0]);
}

#[test]
fn many_short_lived_children_each_fork_exec_and_exit_once() {
    let run = trace_cmd(
        &["--syscalls", "execve"],
        &[
            "/bin/sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do for j in 1 2 3 4 5 6 7 8 9 10; do /bin/true & done; done; wait",
        ],
    );
    run.assert_code(0);
    let ev = run.events();
    assert_eq!(ev.lost_total(), 0);
    let main = u(first_exec(&ev), "pid");
    let children: BTreeSet<u64> = ev.forks().iter().map(|f| u(f, "child_pid")).collect();
    assert_eq!(children.len(), 100, "one fork per /bin/true");
    assert!(ev
        .forks()
        .iter()
        .all(|f| f["pid"] == main && f["thread"] == false));
    for c in &children {
        let ex: Vec<&Value> = ev.execs().iter().filter(|e| e["pid"] == *c).collect();
        assert_eq!(ex.len(), 1, "child {c} execs");
        assert_eq!(s(ex[0], "filename"), "/bin/true");
        assert_eq!(u(ev.exit_of(*c), "exit_code"), 0);
    }
    assert_eq!(ev.execs().len(), 101);
    assert_eq!(ev.exits().len(), 101);
    assert_eq!(ev.count("execve"), 101);
}

#[test]
fn failed_exec_in_a_child_is_reported() {
    let run = trace_cmd(
        &["--syscalls", "execve"],
        &["/bin/sh", "-c", "/nonexistent/ai-forensics-cmd; exit 0"],
    );
    run.assert_code(0);
    let ev = run.events();
    let failed: Vec<&Value> = ev
        .named("execve")
        .into_iter()
        .filter(|e| e.get("errno").is_some())
        .collect();
    assert!(!failed.is_empty(), "{:?}", ev.named("execve"));
    for f in &failed {
        assert_eq!(s(f, "errno"), "ENOENT", "{f}");
        assert_eq!(i(f, "ret"), -2);
    }
    let child = u(&ev.forks()[0], "child_pid");
    assert_eq!(u(ev.exit_of(child), "exit_code"), 127);
}

/// The nice value of a task, from its /proc stat line (field 19).
fn nice_of(stat: &str) -> i32 {
    let after_comm = &stat[stat.rfind(')').expect("a stat line") + 1..];
    after_comm
        .split_whitespace()
        .nth(16)
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_tracer_runs_boosted_and_the_command_does_not() {
    let dir = TempDir::new("nice");
    let events = dir.join("events.jsonl");
    // The command prints its own nice, then that of each tracer thread.
    let script = "cat /proc/self/stat; for t in /proc/$PPID/task/*/stat; do cat \"$t\"; done";
    let run = trace_cmd(
        &["-o", events.to_str().unwrap()],
        &["/bin/sh", "-c", script],
    );
    run.assert_code(0);
    let own = nice_of(&std::fs::read_to_string("/proc/self/stat").unwrap());
    let mut nices = run.stdout.lines().map(nice_of);
    assert_eq!(nices.next(), Some(own), "the command keeps its nice");
    let tracer: Vec<i32> = nices.collect();
    assert!(tracer.len() >= 3, "tracer threads: {}", run.stdout);
    // Without CAP_SYS_NICE the tracer keeps the usual priority.
    let want = if has_cap_sys_nice() {
        (own - 5).max(-20)
    } else {
        own
    };
    assert!(
        tracer.iter().all(|&n| n == want),
        "tracer threads at nice {want}: {tracer:?}\n{}",
        run.stdout
    );
}

/// CAP_SYS_NICE (bit 23) in this process's effective capabilities.
fn has_cap_sys_nice() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .expect("CapEff in /proc/self/status");
    u64::from_str_radix(hex.trim(), 16).unwrap() & (1 << 23) != 0
}
