//! The pre-5.11 fallback (entry state in a hash by thread id, no task storage)
//! must trace exactly what the task-storage path traces. Forced with the
//! hidden `--no-task-storage` flag, since this kernel has task storage.
mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;

/// Per-syscall call counts, and counts of each lifecycle kind.
fn profile(ev: &Events) -> (BTreeMap<String, usize>, [usize; 3]) {
    let mut calls = BTreeMap::new();
    for e in ev.syscalls() {
        *calls
            .entry(e["syscall"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    (
        calls,
        [ev.execs().len(), ev.forks().len(), ev.exits().len()],
    )
}

fn both_ways(command: &[&str], code: i32) -> (Events, Events) {
    let fast = trace_cmd(&[], command);
    fast.assert_code(code);
    let slow = trace_cmd(&["--no-task-storage"], command);
    slow.assert_code(code);
    (fast.events(), slow.events())
}

#[test]
fn fallback_traces_the_same_calls() {
    let known = Fixture::build("known");
    let (fast, slow) = both_ways(&[known.path(), "40"], 3);
    assert_eq!(slow.count("getppid"), 40);
    assert_eq!(profile(&fast), profile(&slow));
    assert_eq!(slow.lost_total(), 0);

    let forker = Fixture::build("forker");
    let (fast, slow) = both_ways(&[forker.path()], 5);
    let (fast_calls, fast_life) = profile(&fast);
    let (slow_calls, slow_life) = profile(&slow);
    assert_eq!(fast_life, slow_life, "exec/fork/exit counts");
    // The children's syscalls are the same set (wait4 counts can vary with timing).
    let names = |m: &BTreeMap<String, usize>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&fast_calls), names(&slow_calls));
}

#[test]
fn fallback_pairs_a_threaded_exec() {
    let fx = Fixture::build("thread_exec");
    let run = trace_cmd(&["--no-task-storage"], &[fx.path()]);
    run.assert_code(0);
    let ev = run.events();
    let execve: Vec<&Value> = ev.named("execve");
    assert_eq!(execve.len(), 2, "{execve:?}");
    // The thread's execve returns in the leader's tid: the hash entry moved with it.
    assert_eq!(i(execve[1], "ret"), 0, "{}", execve[1]);
    let pid = u(&ev.execs()[0], "pid");
    assert_eq!(u(execve[1], "tid"), pid);
}

#[test]
fn fallback_threads_are_all_seen() {
    let fx = Fixture::build("threads");
    let (fast, slow) = both_ways(&[fx.path(), "4", "50"], 0);
    let tids = |ev: &Events| {
        let mut t: Vec<u64> = ev.syscalls().iter().map(|e| u(e, "tid")).collect();
        t.sort();
        t.dedup();
        t.len()
    };
    assert_eq!(tids(&fast), tids(&slow));
    assert_eq!(tids(&slow), 5, "4 threads + main");
    // Thread i calls gettid 50 + i times, getpid 50 times.
    assert_eq!(slow.count("gettid"), 4 * 50 + (1 + 2 + 3 + 4));
    assert_eq!(slow.count("getpid"), fast.count("getpid"));
}
