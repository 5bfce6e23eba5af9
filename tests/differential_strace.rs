//! Differential test against strace: for deterministic programs, the
//! per-thread sequence of (syscall, return value) from the execve on must be
//! the same under `strace -f` and under ai-forensics.
//!
//! Normalisation, applied to both sides alike:
//! - return values above 0xffff (or negative without an errno) are "ADDR";
//! - failures are "-ENAME"; calls that never return (exit, exit_group) are "?";
//! - syscalls returning a pid/tid map it to the thread's canonical name
//!   (T0 for the main thread, T1.. in creation order), "EXT" for others;
//! - threads are matched by creation order: the order of the clone/clone3/
//!   fork/vfork calls returning their tids, from the main thread down.
//!   (Order of first appearance is not stable: a new thread may run after
//!   the next one was created.)
//! - strace's `= ?` for a call of a process killed on its way back to user
//!   space (no syscall-exit stop under ptrace) accepts ai-forensics's value;
//! - `futex` calls are dropped: whether pthread_join has to wait depends on
//!   timing, not on the program.
mod common;

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ret {
    /// Never returned (`= ?`).
    None,
    Err(String),
    Val(i64),
}

#[derive(Debug, Clone)]
struct Call {
    name: String,
    ret: Ret,
}

/// Per-thread calls, in each thread's own order; `root` is the execve thread.
#[derive(Debug)]
struct Trace {
    root: u64,
    threads: BTreeMap<u64, Vec<Call>>,
}

const PID_RETURNING: &[&str] = &[
    "getpid",
    "gettid",
    "getppid",
    "set_tid_address",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "wait4",
];
const SPAWNING: &[&str] = &["clone", "clone3", "fork", "vfork"];
const DROPPED: &[&str] = &["futex"];

/// Parses the return part of a strace line (text after `) = `).
fn strace_ret(text: &str) -> Ret {
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("?");
    let second = words.next().unwrap_or("");
    if first == "?" {
        // `= ? ERESTARTSYS (...)` is a failure too.
        return if second.starts_with('E') {
            Ret::Err(second.to_string())
        } else {
            Ret::None
        };
    }
    if first == "-1" && second.starts_with('E') {
        return Ret::Err(second.to_string());
    }
    let v = if let Some(hex) = first.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).map(|v| v as i64).ok()
    } else {
        first.parse::<i64>().ok()
    };
    Ret::Val(v.unwrap_or_else(|| panic!("unparsable strace return {text:?}")))
}

/// The return part of a strace call line: after the last ` = ` that follows
/// the closing parenthesis (strace pads with spaces before `=`).
fn strace_ret_of(text: &str) -> Option<Ret> {
    let mut end = text.len();
    while let Some(p) = text[..end].rfind(" = ") {
        if text[..p].trim_end().ends_with(')') {
            return Some(strace_ret(&text[p + 3..]));
        }
        end = p;
    }
    None
}

/// Parses `strace -f -qq -o FILE` output.
fn parse_strace(text: &str) -> Trace {
    let mut threads: BTreeMap<u64, Vec<Call>> = BTreeMap::new();
    // tid -> index of its unfinished call.
    let mut pending: BTreeMap<u64, usize> = BTreeMap::new();
    let mut root = None;
    for line in text.lines() {
        let (pid, rest) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("strace line without pid: {line:?}"));
        let pid: u64 = pid
            .parse()
            .unwrap_or_else(|_| panic!("strace line without pid: {line:?}"));
        let rest = rest.trim_start();
        root.get_or_insert(pid);
        if rest.starts_with("+++") || rest.starts_with("---") {
            continue;
        }
        let seq = threads.entry(pid).or_default();
        if let Some(r) = rest.strip_prefix("<... ") {
            let (name, after) = r
                .split_once(" resumed>")
                .unwrap_or_else(|| panic!("bad resumed line {line:?}"));
            let idx = pending
                .remove(&pid)
                .unwrap_or_else(|| panic!("resumed without unfinished: {line:?}"));
            assert_eq!(seq[idx].name, name, "resumed a different call: {line:?}");
            let ret = strace_ret_of(after).unwrap_or_else(|| panic!("no return value in {line:?}"));
            seq[idx].ret = ret;
            continue;
        }
        let name = rest
            .split_once('(')
            .map(|(n, _)| n)
            .unwrap_or_else(|| panic!("unrecognised strace line {line:?}"));
        if rest.ends_with("<unfinished ...>") {
            pending.insert(pid, seq.len());
            seq.push(Call {
                name: name.to_string(),
                ret: Ret::None,
            });
            continue;
        }
        let ret = strace_ret_of(rest).unwrap_or_else(|| panic!("no return value in {line:?}"));
        seq.push(Call {
            name: name.to_string(),
            ret,
        });
    }
    Trace {
        root: root.expect("empty strace output"),
        threads,
    }
}

/// Syscall events of an ai-forensics run, per thread.
fn from_events(ev: &Events) -> Trace {
    let root = u(&ev.execs()[0], "pid");
    let mut threads: BTreeMap<u64, Vec<Call>> = BTreeMap::new();
    for e in ev.syscalls() {
        let ret = if e.get("ret").is_none() {
            Ret::None
        } else if let Some(errno) = e.get("errno") {
            Ret::Err(errno.as_str().unwrap().to_string())
        } else {
            Ret::Val(i(e, "ret"))
        };
        threads.entry(u(e, "tid")).or_default().push(Call {
            name: s(e, "syscall").to_string(),
            ret,
        });
    }
    Trace { root, threads }
}

/// Canonical per-thread sequences of `name = value`.
fn normalise(t: &Trace) -> Vec<Vec<String>> {
    let mut threads = t.threads.clone();
    // The main thread from its execve on.
    let main = threads
        .get_mut(&t.root)
        .expect("no calls from the main thread");
    let start = main
        .iter()
        .position(|c| c.name == "execve")
        .expect("no execve in the main thread");
    main.drain(..start);

    // Canonical names by creation order (breadth first from the main thread).
    let mut canon: BTreeMap<u64, usize> = BTreeMap::from([(t.root, 0)]);
    let mut order = vec![t.root];
    let mut queue = VecDeque::from([t.root]);
    while let Some(tid) = queue.pop_front() {
        for c in threads.get(&tid).map(|v| v.as_slice()).unwrap_or(&[]) {
            if let (true, Ret::Val(v)) = (SPAWNING.contains(&c.name.as_str()), &c.ret) {
                let child = *v as u64;
                if *v > 0 && !canon.contains_key(&child) {
                    canon.insert(child, order.len());
                    order.push(child);
                    queue.push_back(child);
                }
            }
        }
    }
    let extra: Vec<&u64> = threads.keys().filter(|k| !canon.contains_key(k)).collect();
    assert!(
        extra.is_empty(),
        "threads not created by the traced program: {extra:?}"
    );

    order
        .iter()
        .map(|tid| {
            threads
                .get(tid)
                .map(|v| v.as_slice())
                .unwrap_or(&[])
                .iter()
                .filter(|c| !DROPPED.contains(&c.name.as_str()))
                .map(|c| {
                    let v = match &c.ret {
                        Ret::None => "?".to_string(),
                        Ret::Err(e) => format!("-{e}"),
                        Ret::Val(v) if PID_RETURNING.contains(&c.name.as_str()) && *v > 0 => {
                            match canon.get(&(*v as u64)) {
                                Some(n) => format!("T{n}"),
                                None => "EXT".to_string(),
                            }
                        }
                        Ret::Val(v) if *v < 0 || *v > 0xffff => "ADDR".to_string(),
                        Ret::Val(v) => v.to_string(),
                    };
                    format!("{} = {v}", c.name)
                })
                .collect()
        })
        .collect()
}

struct Diff<'a> {
    strace: &'a [Vec<String>],
    ours: &'a [Vec<String>],
}

impl fmt::Display for Diff<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.strace.len().max(self.ours.len());
        for t in 0..n {
            let a = self.strace.get(t).map(|v| v.as_slice()).unwrap_or(&[]);
            let b = self.ours.get(t).map(|v| v.as_slice()).unwrap_or(&[]);
            if a == b {
                writeln!(f, "T{t}: {} calls, identical", a.len())?;
                continue;
            }
            let first = a
                .iter()
                .zip(b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            writeln!(
                f,
                "T{t}: DIFFERENT (strace {} calls, ai-forensics {}); first difference at #{first}",
                a.len(),
                b.len()
            )?;
            writeln!(f, "     {:<40} | ai-forensics", "strace")?;
            for k in first.saturating_sub(3)..a.len().max(b.len()).min(first + 12) {
                let x = a.get(k).map(|s| s.as_str()).unwrap_or("");
                let y = b.get(k).map(|s| s.as_str()).unwrap_or("");
                let mark = if x == y { ' ' } else { '!' };
                writeln!(f, "{mark}{k:>4} {x:<40} | {y}")?;
            }
        }
        Ok(())
    }
}

/// Equal, except that strace's `name = ?` (a call strace saw no return of,
/// because the process was killed on the way back, e.g. `kill(getpid(),
/// SIGKILL)`) accepts any return of the same call: the kernel did return.
fn same(strace: &[Vec<String>], ours: &[Vec<String>]) -> bool {
    strace.len() == ours.len()
        && strace.iter().zip(ours).all(|(a, b)| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| {
                    x == y
                        || x.strip_suffix(" = ?").is_some_and(|name| {
                            y.strip_prefix(name).is_some_and(|r| r.starts_with(" = "))
                        })
                })
        })
}

fn compare(fixture: &str, args: &[&str], want_code: i32) {
    assert!(
        have("strace"),
        "strace is not installed (make deps installs it)"
    );
    let fx = Fixture::build(fixture);
    let out = fx.dir().join("strace.txt");
    let st = Command::new("strace")
        .args(["-f", "-qq", "-o"])
        .arg(&out)
        .arg(fx.path())
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .stdin(Stdio::null())
        .status()
        .expect("running strace");
    assert_eq!(st.code(), Some(want_code), "under strace: {st}");
    let strace = parse_strace(&std::fs::read_to_string(Path::new(&out)).unwrap());

    let mut cmd = vec![fx.path()];
    cmd.extend_from_slice(args);
    let run = trace_cmd(&[], &cmd);
    run.assert_code(want_code);
    let ev = run.events();
    assert_eq!(ev.lost_total(), 0);
    let ours = from_events(&ev);

    let a = normalise(&strace);
    let b = normalise(&ours);
    assert!(
        same(&a, &b),
        "{fixture} {args:?}: per-thread syscalls differ from strace's\n{}",
        Diff {
            strace: &a,
            ours: &b
        }
    );
    assert!(!a[0].is_empty());
}

#[test]
fn known_syscalls_match_strace() {
    compare("known", &["12"], 3);
}

#[test]
fn threads_match_strace() {
    compare("threads", &["4", "6"], 0);
}

#[test]
fn forks_and_exec_match_strace() {
    compare("forker", &[], 5);
}

#[test]
fn strace_parser_handles_unfinished_and_resumed() {
    let text = "\
10 execve(\"/x\", [\"x\"], 0x7ffc /* 3 vars */) = 0
10 brk(NULL)                         = 0x5614bebb0000
10 clone3({flags=CLONE_VM, child_tid=0x7f} => {parent_tid=[11]}, 88) = 11
11 rseq(0x7eff3019dfe0, 0x20, 0, 0x53053053 <unfinished ...>
10 openat(AT_FDCWD, \"a) = b\", O_RDONLY) = -1 ENOENT (No such file or directory)
11 <... rseq resumed>)               = 0
11 gettid()                          = 11
10 futex(0x7f, FUTEX_WAIT, 11, NULL <unfinished ...>
11 exit(0 <unfinished ...>
11 <... exit resumed>)               = ?
10 <... futex resumed>)              = 0
10 --- SIGCHLD {si_signo=SIGCHLD} ---
10 read(3, \"\", 10)                  = ? ERESTARTSYS (To be restarted if SA_RESTART is set)
10 getppid()                         = 9
10 exit_group(0)                     = ?
10 +++ exited with 0 +++
";
    let t = parse_strace(text);
    assert_eq!(t.root, 10);
    let n = normalise(&t);
    assert_eq!(
        n,
        vec![
            vec![
                "execve = 0",
                "brk = ADDR",
                "clone3 = T1",
                "openat = -ENOENT",
                "read = -ERESTARTSYS",
                "getppid = EXT",
                "exit_group = ?"
            ],
            vec!["rseq = 0", "gettid = T1", "exit = ?"],
        ]
    );
}
