//! Recorded traces for the pH engine: UNM `PID SYSCALL` files and `ai-forensics trace` JSON lines, read into engine operations.
//!
//! A [`Trace`] is one file, as a list of [`Op`]s to apply to an
//! [`Engine`](super::engine::Engine) in order (docs/ph.md "Recorded traces"):
//!
//! - UNM: each PID of a file is its own task, started on the shared profile
//!   [`UNM_PROFILE`] at its first line and ended at the end of the file.
//! - JSON lines: an `exec` event gives its task the profile named by the
//!   event's `filename`; the successful `execve`/`execveat` record that
//!   follows that task's `exec` event belongs to the old image and is
//!   skipped; `fork` gives the child the parent's profile; `exit` (the
//!   process's last thread) ends every known thread of the process, and an
//!   `exec` ends the process's other threads (the kernel kills them).
//!   Calls of a task with no profile (no `exec` seen for it or its
//!   ancestors) are passed on; the engine ignores them. `lost`, `malformed`
//!   and `summary` records are ignored; any other type is an error.
//!
//! Bad input (unreadable file, malformed line) is an error naming the file
//! and line.
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;

use crate::cli::TraceFormat;

/// The profile every UNM task runs.
pub const UNM_PROFILE: &str = "unm";

/// Largest syscall number accepted (rows are as long as the alphabet).
pub const MAX_SYSCALL_NR: u32 = 0xffff;

/// One step of a recorded trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Task `tid` starts running `profile` (an exec, or a UNM process first seen).
    Exec { tid: u32, profile: Box<str> },
    /// Task `parent` created task `child`.
    Fork { parent: u32, child: u32 },
    /// Task `tid` is gone.
    Exit { tid: u32 },
    /// Task `tid` made call `nr` at time `at` (ns since the epoch; 0 in
    /// traces without a clock).
    Call { tid: u32, nr: u32, at: u64 },
}

/// One trace file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub path: PathBuf,
    pub ops: Vec<Op>,
    /// True when [`Op::Call`] times are recorded; otherwise the call order is the clock.
    pub timed: bool,
}

impl Trace {
    /// The largest syscall number in the trace plus one (0 without calls).
    pub fn alphabet(&self) -> usize {
        self.ops
            .iter()
            .filter_map(|op| match op {
                Op::Call { nr, .. } => Some(*nr as usize + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }
}

/// The call that returns from a signal handler in traces of `format`:
/// this architecture's `rt_sigreturn` for `ai-forensics trace` output, none for UNM.
pub fn rt_sigreturn(format: TraceFormat) -> Option<u32> {
    match format {
        TraceFormat::Unm => None,
        TraceFormat::Jsonl => u32::try_from(syscalls::Sysno::rt_sigreturn.id()).ok(),
    }
}

/// The trace files at `path`: the regular files in it (not recursively),
/// sorted by file name, or `path` itself when it is a file.
pub fn list(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))? {
        let entry = entry.with_context(|| format!("reading {}", path.display()))?;
        let file = entry.path();
        let meta =
            std::fs::metadata(&file).with_context(|| format!("reading {}", file.display()))?;
        if meta.is_file() {
            files.push((entry.file_name(), file));
        }
    }
    files.sort();
    Ok(files.into_iter().map(|(_, file)| file).collect())
}

/// Reads one trace file.
pub fn read(path: &Path, format: TraceFormat) -> Result<Trace> {
    match format {
        TraceFormat::Unm => read_unm(path),
        TraceFormat::Jsonl => read_jsonl(path),
    }
}

/// Calls `f(line_number, line)` for each line of the file (1-based, without the newline).
fn for_each_line(path: &Path, mut f: impl FnMut(usize, &str) -> Result<()>) -> Result<()> {
    let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut line = String::new();
    for number in 1.. {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => bail!("{}:{number}: {e}", path.display()),
        }
        let text = line.strip_suffix('\n').unwrap_or(&line);
        let text = text.strip_suffix('\r').unwrap_or(text);
        f(number, text).map_err(|e| anyhow!("{}:{number}: {e:#}", path.display()))?;
    }
    Ok(())
}

fn check_nr(nr: u32) -> Result<u32> {
    if nr > MAX_SYSCALL_NR {
        bail!("syscall number {nr} is above {MAX_SYSCALL_NR}");
    }
    Ok(nr)
}

/// Reads a UNM trace: `PID SYSCALL` per line; blank lines are skipped.
pub fn read_unm(path: &Path) -> Result<Trace> {
    let mut ops = Vec::new();
    let mut pids = Vec::new();
    let mut seen = HashSet::new();
    for_each_line(path, |_, line| {
        let mut words = line.split_ascii_whitespace();
        let (pid, nr) = match (words.next(), words.next(), words.next()) {
            (None, _, _) => return Ok(()),
            (Some(pid), Some(nr), None) => (pid, nr),
            _ => bail!("expected `PID SYSCALL`, found {line:?}"),
        };
        let tid: u32 = pid.parse().map_err(|_| anyhow!("bad PID {pid:?}"))?;
        let nr = nr
            .parse()
            .map_err(|_| anyhow!("bad syscall number {nr:?}"))
            .and_then(check_nr)?;
        if seen.insert(tid) {
            pids.push(tid);
            ops.push(Op::Exec {
                tid,
                profile: UNM_PROFILE.into(),
            });
        }
        ops.push(Op::Call { tid, nr, at: 0 });
        Ok(())
    })?;
    ops.extend(pids.into_iter().map(|tid| Op::Exit { tid }));
    Ok(Trace {
        path: path.to_path_buf(),
        ops,
        timed: false,
    })
}

/// The fields of `ai-forensics trace` events that replay needs (docs/events.md).
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    tid: Option<u32>,
    pid: Option<u32>,
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    syscall: Option<Cow<'a, str>>,
    nr: Option<u32>,
    ret: Option<i64>,
    #[serde(borrow)]
    filename: Option<Cow<'a, str>>,
    child_tid: Option<u32>,
    child_pid: Option<u32>,
}

fn field<T>(value: Option<T>, kind: &str, name: &str) -> Result<T> {
    value.ok_or_else(|| anyhow!("`{kind}` event without `{name}`"))
}

/// `2024-05-01T12:00:00.000000001Z` as ns since the epoch.
fn parse_time(text: &str) -> Result<u64> {
    let t = humantime::parse_rfc3339(text).map_err(|e| anyhow!("bad time {text:?}: {e}"))?;
    let ns = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    u64::try_from(ns).map_err(|_| anyhow!("time {text:?} out of range"))
}

/// Turns `ai-forensics trace` events into ops, tracking threads per process.
#[derive(Default)]
struct JsonlReader {
    ops: Vec<Op>,
    /// Process of every thread seen.
    pid_of: BTreeMap<u32, u32>,
    /// Tasks whose next syscall record may be their exec's own `execve`.
    exec_pending: HashSet<u32>,
}

impl JsonlReader {
    /// Ends every known thread of process `pid` except `keep`.
    fn end_process(&mut self, pid: u32, keep: Option<u32>) {
        let gone: Vec<u32> = self
            .pid_of
            .iter()
            .filter(|&(&tid, &p)| p == pid && Some(tid) != keep)
            .map(|(&tid, _)| tid)
            .collect();
        for tid in gone {
            self.pid_of.remove(&tid);
            self.exec_pending.remove(&tid);
            self.ops.push(Op::Exit { tid });
        }
    }

    fn line(&mut self, line: &str) -> Result<()> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let r: Record = serde_json::from_str(line).context("not an ai-forensics trace event")?;
        let kind = &*r.kind;
        match kind {
            "syscall" => {
                let tid = field(r.tid, kind, "tid")?;
                let pid = field(r.pid, kind, "pid")?;
                let nr = check_nr(field(r.nr, kind, "nr")?)?;
                let name = field(r.syscall, kind, "syscall")?;
                let at = parse_time(&field(r.time, kind, "time")?)?;
                self.pid_of.insert(tid, pid);
                if self.exec_pending.remove(&tid)
                    && matches!(&*name, "execve" | "execveat")
                    && r.ret == Some(0)
                {
                    return Ok(());
                }
                self.ops.push(Op::Call { tid, nr, at });
            }
            "exec" => {
                let tid = field(r.tid, kind, "tid")?;
                let pid = field(r.pid, kind, "pid")?;
                let filename = field(r.filename, kind, "filename")?;
                self.end_process(pid, Some(tid));
                self.pid_of.insert(tid, pid);
                self.exec_pending.insert(tid);
                self.ops.push(Op::Exec {
                    tid,
                    profile: filename.into(),
                });
            }
            "fork" => {
                let parent = field(r.tid, kind, "tid")?;
                let child = field(r.child_tid, kind, "child_tid")?;
                let child_pid = field(r.child_pid, kind, "child_pid")?;
                self.pid_of.insert(child, child_pid);
                self.exec_pending.remove(&child);
                self.ops.push(Op::Fork { parent, child });
            }
            "exit" => {
                let pid = field(r.pid, kind, "pid")?;
                if let Some(tid) = r.tid {
                    self.pid_of.insert(tid, pid);
                }
                self.end_process(pid, None);
            }
            "lost" | "malformed" | "summary" => {}
            other => bail!("unknown event type {other:?}"),
        }
        Ok(())
    }
}

/// Reads `ai-forensics trace` JSON lines.
pub fn read_jsonl(path: &Path) -> Result<Trace> {
    let mut reader = JsonlReader::default();
    for_each_line(path, |_, line| reader.line(line))?;
    Ok(Trace {
        path: path.to_path_buf(),
        ops: reader.ops,
        timed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ph::testdir::TempDir;

    fn exec(tid: u32, profile: &str) -> Op {
        Op::Exec {
            tid,
            profile: profile.into(),
        }
    }

    fn call(tid: u32, nr: u32, at: u64) -> Op {
        Op::Call { tid, nr, at }
    }

    #[test]
    fn unm_pids_are_tasks_of_one_profile() {
        let dir = TempDir::new("ph-traces");
        let t = read_unm(&dir.file("t", "10 5\n10 3\n\n11 67\r\n10 5\n")).unwrap();
        assert_eq!(
            t.ops,
            [
                exec(10, UNM_PROFILE),
                call(10, 5, 0),
                call(10, 3, 0),
                exec(11, UNM_PROFILE),
                call(11, 67, 0),
                call(10, 5, 0),
                Op::Exit { tid: 10 },
                Op::Exit { tid: 11 },
            ]
        );
        assert!(!t.timed);
        assert_eq!(t.alphabet(), 68);
    }

    #[test]
    fn unm_malformed_lines_name_file_and_line() {
        let dir = TempDir::new("ph-traces");
        for (text, want) in [
            ("1 2\n1\n", ":2: expected `PID SYSCALL`"),
            ("1 2 3\n", ":1: expected `PID SYSCALL`"),
            ("1 2\nx 2\n", ":2: bad PID \"x\""),
            ("1 -2\n", ":1: bad syscall number \"-2\""),
            ("1 70000\n", ":1: syscall number 70000 is above 65535"),
        ] {
            let path = dir.file("t", text);
            let err = format!("{:#}", read_unm(&path).unwrap_err());
            assert!(
                err.starts_with(&format!("{}{want}", path.display())),
                "{err}"
            );
        }
        let path = dir.0.join("t");
        std::fs::write(&path, b"1 2\n\xff 3\n").unwrap();
        let err = format!("{:#}", read_unm(&path).unwrap_err());
        assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
        let err = format!("{:#}", read_unm(Path::new("/nonexistent/t")).unwrap_err());
        assert!(err.starts_with("reading /nonexistent/t: "), "{err}");
    }

    const T0: &str = "2026-01-01T00:00:00.000000000Z";
    const T0_NS: u64 = 1_767_225_600_000_000_000;

    fn sys(tid: u32, pid: u32, name: &str, nr: u32, ret: i64, ns: u32) -> String {
        let time = T0.replace(".000000000", &format!(".{ns:09}"));
        format!(
            r#"{{"type":"syscall","seq":1,"time":"{time}","pid":{pid},"tid":{tid},"ppid":1,"uid":0,"comm":"x","syscall":"{name}","nr":{nr},"raw_args":[],"ret":{ret},"duration_ns":1}}"#
        )
    }

    fn exec_line(tid: u32, pid: u32, filename: &str) -> String {
        format!(
            r#"{{"type":"exec","seq":1,"time":"{T0}","pid":{pid},"tid":{tid},"ppid":1,"uid":0,"comm":"x","filename":"{filename}","argv":["x"]}}"#
        )
    }

    #[test]
    fn jsonl_exec_fork_exit() {
        let lines = [
            sys(5, 5, "read", 0, 1, 1), // no profile yet: passed on, ignored by the engine
            exec_line(5, 5, "/bin/a"),
            sys(6, 6, "getpid", 39, 6, 2), // another task in between
            sys(5, 5, "execve", 59, 0, 3), // the exec's own record: skipped
            sys(5, 5, "execve", 59, -2, 4), // a failed execve: a call
            r#"{"type":"fork","seq":2,"time":"2026-01-01T00:00:00.000000005Z","pid":5,"tid":5,"ppid":1,"uid":0,"comm":"x","child_pid":5,"child_tid":7,"thread":true}"#.into(),
            sys(7, 5, "write", 1, 1, 6),
            r#"{"type":"lost","seq":9,"count":3}"#.into(),
            exec_line(5, 5, "/bin/b"), // ends thread 7
            sys(5, 5, "brk", 12, 0, 7), // not an execve: not skipped
            r#"{"type":"exit","seq":3,"time":"2026-01-01T00:00:00.000000008Z","pid":5,"tid":5,"ppid":1,"uid":0,"comm":"x","exit_code":0}"#.into(),
            String::new(),
        ];
        let dir = TempDir::new("ph-traces");
        let t = read_jsonl(&dir.file("t", &lines.join("\n"))).unwrap();
        assert_eq!(
            t.ops,
            [
                call(5, 0, T0_NS + 1),
                exec(5, "/bin/a"),
                call(6, 39, T0_NS + 2),
                call(5, 59, T0_NS + 4),
                Op::Fork {
                    parent: 5,
                    child: 7
                },
                call(7, 1, T0_NS + 6),
                Op::Exit { tid: 7 },
                exec(5, "/bin/b"),
                call(5, 12, T0_NS + 7),
                Op::Exit { tid: 5 },
            ]
        );
        assert!(t.timed);
        assert_eq!(t.alphabet(), 60);
    }

    #[test]
    fn jsonl_malformed_lines_name_file_and_line() {
        let dir = TempDir::new("ph-traces");
        let good = sys(1, 1, "read", 0, 0, 0);
        for (bad, want) in [
            ("{".to_string(), "not an ai-forensics trace event"),
            ("[1]".into(), "not an ai-forensics trace event"),
            (
                r#"{"type":"anomaly","profile":"x"}"#.into(),
                "unknown event type \"anomaly\"",
            ),
            (
                good.replace(r#""nr":0,"#, ""),
                "`syscall` event without `nr`",
            ),
            (good.replace("2026-01-01T", "yesterday "), "bad time"),
            (
                r#"{"type":"exec","tid":1,"pid":1}"#.into(),
                "`exec` event without `filename`",
            ),
            (
                r#"{"type":"fork","tid":1,"pid":1}"#.into(),
                "`fork` event without `child_tid`",
            ),
        ] {
            let path = dir.file("t", &format!("{good}\n{bad}\n"));
            let err = format!("{:#}", read_jsonl(&path).unwrap_err());
            assert!(err.starts_with(&format!("{}:2: ", path.display())), "{err}");
            assert!(err.contains(want), "{err}");
        }
    }

    #[test]
    fn lists_files_in_name_order() {
        let tmp = TempDir::new("ph-traces");
        let dir = tmp.0.clone();
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in ["b", "a10", "a2"] {
            tmp.file(name, "");
        }
        let names: Vec<_> = list(&dir)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a10", "a2", "b"]);
        assert_eq!(list(&dir.join("b")).unwrap(), [dir.join("b")]);
        assert!(list(&dir.join("none")).is_err());
    }
}
