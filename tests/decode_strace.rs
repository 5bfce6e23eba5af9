//! Decoding against strace: every call of a corpus of real programs, as
//! `trace --format text -y -s 64` prints it, compared with `strace -ff -y -s 64`,
//! thread by thread.
//!
//! Both run with address-space randomisation off (`setarch -R`), so pointers
//! are compared as they are. Normalised on both sides: strace's column
//! padding before ` = `, our thread-id prefix and `<duration>` suffix, the
//! bytes of getrandom and the values that differ from run to run by nature
//! (pids returned by getpid/set_tid_address or restored by rt_sigreturn,
//! pipe and socket inodes, ephemeral ports, CPU times, load, free memory and
//! free disk space, absolute deadlines). futex calls are left out: whether a
//! thread has to wait depends on timing.
//!
//! The test prints a match table per syscall, requires every call of the
//! syscalls in `EXACT` to match, and at least 95% of all calls.
mod common;

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use common::*;

/// Syscalls whose every call must print exactly as strace prints it.
/// (Not dup2: strace annotates the new descriptor with what the tool itself
/// left open there, which differs between the tools.)
const EXACT: &[&str] = &[
    "access",
    "alarm",
    "arch_prctl",
    "bind",
    "brk",
    "clock_nanosleep",
    "close",
    "connect",
    "copy_file_range",
    "execve",
    "exit_group",
    "fallocate",
    "fcntl",
    "fstatfs",
    "get_mempolicy",
    "getcwd",
    "getdents64",
    "getgroups",
    "getitimer",
    "getpeername",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresuid",
    "getrusage",
    "getsockname",
    "ioctl",
    "lseek",
    "mbind",
    "migrate_pages",
    "mkdir",
    "mmap",
    "mprotect",
    "munmap",
    "newfstatat",
    "openat",
    "pipe2",
    "poll",
    "pread64",
    "prlimit64",
    "pselect6",
    "read",
    "readlink",
    "readv",
    "recvfrom",
    "recvmsg",
    "rename",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sched_getaffinity",
    "sched_getscheduler",
    "sched_setaffinity",
    "select",
    "sendfile",
    "sendmsg",
    "set_mempolicy",
    "set_robust_list",
    "set_tid_address",
    "setgroups",
    "setitimer",
    "setpriority",
    "setsockopt",
    "socket",
    "splice",
    "statfs",
    "symlink",
    "sysinfo",
    "unlink",
    "write",
    "writev",
];

/// Debian's interpreter itself (a version manager's shim would add processes).
const PYTHON: &str = "/usr/bin/python3";

const PY_FILES: &str = r#"
import os, sys, mmap
d = sys.argv[1]
os.mkdir(d, 0o750)
p = os.path.join(d, "data.bin")
fd = os.open(p, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o640)
os.write(fd, b"hello\x00world\n\t\"quoted\"\\ \x7f\xff" * 4)
os.close(fd)
fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC)
os.read(fd, 10)
os.lseek(fd, 3, os.SEEK_SET)
os.pread(fd, 16, 5)
m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
m.close()
os.fstat(fd)
fd2 = os.dup(fd)
os.dup2(fd, 10)
os.close(10)
os.close(fd2)
os.close(fd)
for bad in (os.path.join(d, "missing"), "/proc/self/nonexistent"):
    try:
        os.open(bad, os.O_RDONLY)
    except OSError:
        pass
os.symlink("data.bin", os.path.join(d, "link"))
os.readlink(os.path.join(d, "link"))
os.rename(p, p + ".old")
os.chmod(p + ".old", 0o600)
os.access(p + ".old", os.R_OK | os.W_OK)
os.stat(d)
os.listdir(d)
r, w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
os.write(w, b"x")
os.read(r, 1)
try:
    os.read(r, 1)
except BlockingIOError:
    pass
os.close(r)
os.close(w)
os.sched_setaffinity(0, os.sched_getaffinity(0))
fd = os.open(os.path.join(d, "alloc"), os.O_CREAT | os.O_RDWR, 0o600)
os.posix_fallocate(fd, 0, 4096)
os.close(fd)
os.unlink(os.path.join(d, "alloc"))
r, w = os.pipe()
r2, w2 = os.pipe()
os.write(w, b"spliced")
os.splice(r, w2, 7)
src = os.open(p + ".old", os.O_RDONLY)
os.splice(src, w2, 4, offset_src=2)
dst = os.open(os.path.join(d, "copy"), os.O_CREAT | os.O_WRONLY, 0o600)
os.copy_file_range(src, dst, 3, 1, 0)
os.sendfile(dst, src, None, 2)
os.sendfile(dst, src, 5, 3)
for fd in (r, w, r2, w2, src, dst):
    os.close(fd)
os.unlink(os.path.join(d, "copy"))
import select
r, w = os.pipe()
os.write(w, b"x")
select.select([r], [w], [], 1.0)
import ctypes
fds = (ctypes.c_ulong * 16)(1 << r)
tv = (ctypes.c_long * 2)(0, 1000)
ctypes.CDLL(None).syscall(23, r + 1, fds, None, None, tv)
select.select([r], [], [r], 0)
poller = select.poll()
poller.register(r, select.POLLIN)
poller.register(w, select.POLLOUT)
poller.poll(0)
pfds = (ctypes.c_int * 6)(r, select.POLLIN, -1, select.POLLIN, w, select.POLLOUT)
ctypes.CDLL(None).syscall(7, pfds, 3, 0)
ctypes.CDLL(None).syscall(1, w, 8, 4)
ctypes.CDLL(None).syscall(0, r, 8, 1)
os.read(r, 1)
select.select([r], [], [], 0.001)
try:
    select.select([r], [], [], -1)
except ValueError:
    pass
os.close(r)
os.close(w)
import resource
resource.getrusage(resource.RUSAGE_SELF)
os.statvfs(d)
fd = os.open(d, os.O_RDONLY)
os.fstatvfs(fd)
os.close(fd)
try:
    os.statvfs(os.path.join(d, "missing"))
except OSError:
    pass
os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0))
os.setgroups(os.getgroups())
os.getresuid()
os.getresgid()
os.sched_getscheduler(0)
import signal
signal.alarm(0)
signal.setitimer(signal.ITIMER_REAL, 0)
signal.getitimer(signal.ITIMER_REAL)
os.getcwd()
libc = ctypes.CDLL(None, use_errno=True)
mode = ctypes.c_int(-1)
nodes = (ctypes.c_ulong * 2)(0, 0)
one = ctypes.c_ulong(1)
libc.syscall(239, ctypes.byref(mode), nodes, 128, None, 0)
libc.syscall(239, ctypes.byref(mode), None, 0, None, 0)
libc.syscall(238, 2, ctypes.byref(one), 2)
libc.syscall(238, 1 | 1 << 15, ctypes.byref(one), 65)
libc.syscall(238, 0, None, 0)
m = mmap.mmap(-1, 8192)
addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
libc.syscall(237, ctypes.c_void_p(addr), 8192, 2, ctypes.byref(one), 2, 2)
libc.syscall(237, ctypes.c_void_p(addr), 8192, 1 | 1 << 14, ctypes.byref(one), 2, 0)
libc.syscall(239, ctypes.byref(mode), nodes, 128, ctypes.c_void_p(addr), 3)
libc.syscall(239, ctypes.byref(mode), nodes, 1, None, 0)
libc.syscall(239, ctypes.c_void_p(8), nodes, 128, None, 0)
libc.syscall(256, 0, 128, ctypes.byref(one), ctypes.byref(one))
del addr
m.close()
os.unlink(os.path.join(d, "link"))
os.unlink(p + ".old")
os.rmdir(d)
try:
    os.rmdir(d)
except OSError:
    pass
"#;

const PY_NET: &str = r#"
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect(("127.0.0.1", 9))
except OSError:
    pass
s.close()
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    u.connect("/nonexistent/aif.sock")
except OSError:
    pass
u.close()
v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
v.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    v.bind(("::1", 47931))
    v.sendto(b"ping\n", ("::1", 47931))
    v.recvfrom(64)
except OSError:
    pass
v.close()
a, b = socket.socketpair()
a.sendmsg([b"hi", b"!"])
b.recvmsg(10)
os.writev(a.fileno(), [b"ab", b"c\n"])
os.readv(b.fileno(), [bytearray(2), bytearray(5)])
"#;

/// The end of the call's argument list: the `)` closing the first `(`,
/// outside strings.
fn call_end(line: &str) -> Option<usize> {
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    for (i, c) in line.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 && c == ')' {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `join()` returns when the thread's Python code is done, before its last
/// calls (rt_sigprocmask, madvise, exit): without the sleep, exit_group
/// sometimes kills it first (1 run in 6 here, never under strace's slowness).
const PY_THREADS: &str = r#"
import threading, signal, time
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
t = threading.Thread(target=lambda: open("/etc/hostname").read())
t.start()
t.join()
time.sleep(0.2)
"#;

/// A pattern compiled once per test run, not once per line.
fn re(pattern: &'static str) -> &'static regex::Regex {
    static CACHE: std::sync::Mutex<Vec<(&str, &regex::Regex)>> = std::sync::Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap();
    if let Some((_, r)) = cache.iter().find(|(p, _)| *p == pattern) {
        return r;
    }
    let r: &'static regex::Regex = Box::leak(Box::new(regex::Regex::new(pattern).unwrap()));
    cache.push((pattern, r));
    r
}

/// One line of either tool reduced to `name(args) = ret`.
fn normalise(line: &str) -> Option<(String, String)> {
    let line = line.trim_end();
    if line.starts_with("+++") || line.starts_with("---") || !line.contains('(') {
        return None;
    }
    let end = call_end(line)?;
    let call = &line[..=end];
    // strace pads with spaces before " = ".
    let ret = line[end + 1..].trim_start().trim_start_matches('=').trim();
    let name = call.split('(').next()?.to_string();
    // Whether a thread waits on a futex depends on timing, not on the program.
    if name == "futex" {
        return None;
    }
    // Our duration suffix.
    let ret = match ret.rfind(" <") {
        Some(i) if ret.ends_with('>') => &ret[..i],
        _ => ret,
    };
    let mut call = call.to_string();
    let mut ret = ret.to_string();
    if name == "getrandom" {
        let start = call.find('"').unwrap_or(0);
        let end = call.rfind('"').unwrap_or(0);
        if end > start {
            call.replace_range(start..=end, "\"RANDOM\"");
        }
    }
    // The launching tool's own environment array.
    // Pipe and socket inodes differ from run to run (only numbers are
    // masked: an unknown inode, `pipe:[?]`, must not pass).
    let inode = re(r"(pipe|socket):\[\d+\]");
    call = inode.replace_all(&call, "$1:[N]").into_owned();
    ret = inode.replace_all(&ret, "$1:[N]").into_owned();
    let tid = re(r"parent_tid=\[\d+\]");
    call = tid.replace_all(&call, "parent_tid=[PID]").into_owned();
    if name == "execve" {
        let envp = re(r"\], 0x[0-9a-f]+ /\*");
        call = envp.replace(&call, "], ENVP /*").into_owned();
    }
    // What the machine is doing now, not how it is decoded.
    if name == "sysinfo" {
        let now = re(r"(uptime|loads|freeram|sharedram|bufferram|procs)=(\[[^\]]*\]|\d+)");
        call = now.replace_all(&call, "$1=N").into_owned();
    }
    // Free space and inodes change as the corpus writes its files.
    if name == "statfs" || name == "fstatfs" {
        let free = re(r"(f_bfree|f_bavail|f_ffree)=\d+");
        call = free.replace_all(&call, "$1=N").into_owned();
    }
    // CPU time used so far.
    if name == "getrusage" {
        let used = re(r"tv_sec=\d+, tv_usec=\d+");
        call = used.replace_all(&call, "tv_sec=N, tv_usec=N").into_owned();
    }
    // The time select left depends on how long the call took.
    if name == "pselect6" || name == "select" {
        let left = re(r"left \{tv_sec=\d+, tv_(n|u)sec=\d+\}");
        ret = left
            .replace(&ret, "left {tv_sec=N, tv_${1}sec=N}")
            .into_owned();
    }
    // An absolute deadline is a time of day.
    if name == "clock_nanosleep" && call.contains("TIMER_ABSTIME") {
        let deadline = re(r"tv_sec=\d+, tv_nsec=\d+");
        call = deadline.replace(&call, "tv_sec=N, tv_nsec=N").into_owned();
    }
    if [
        "getpid",
        "gettid",
        "set_tid_address",
        "getppid",
        "clone",
        "clone3",
        "fork",
        "vfork",
        "wait4",
    ]
    .contains(&name.as_str())
    {
        ret = "PID".into();
    }
    // rt_sigreturn returns what the interrupted call did: here a wait4's pid.
    if name == "rt_sigreturn" && ret.parse::<u32>().is_ok() {
        ret = "N".into();
    }
    let ephemeral = re(r"htons\((\d+)\)");
    call = ephemeral
        .replace_all(&call, |c: &regex::Captures<'_>| {
            let port: u32 = c[1].parse().unwrap_or(0);
            if port >= 32768 && port != 47931 {
                "htons(EPHEMERAL)".to_string()
            } else {
                c[0].to_string()
            }
        })
        .into_owned();
    Some((name, format!("{call} = {ret}")))
}

/// Our calls per thread, threads in tid order (creation order).
fn ours_per_thread(text: &str) -> Vec<Vec<(String, String)>> {
    let mut calls: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    for line in text.lines() {
        let Some((id, rest)) = line.split_once(' ') else {
            continue;
        };
        if let (Ok(id), Some(call)) = (id.parse(), normalise(rest)) {
            calls.entry(id).or_default().push(call);
        }
    }
    calls.into_values().collect()
}

/// strace's calls per thread (`-ff` writes one file per thread, so no call
/// is split into "unfinished" and "resumed" halves), in tid order.
fn strace_per_thread(prefix: &std::path::Path) -> Vec<Vec<(String, String)>> {
    let dir = prefix.parent().unwrap();
    let stem = format!("{}.", prefix.file_name().unwrap().to_str().unwrap());
    let mut files: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.ok()?.path();
            let tid = path
                .file_name()?
                .to_str()?
                .strip_prefix(&stem)?
                .parse()
                .ok()?;
            Some((tid, path))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, path)| {
            std::fs::read_to_string(path)
                .unwrap()
                .lines()
                .filter_map(normalise)
                .collect()
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    calls: usize,
    matched: usize,
    example: Option<(String, String)>,
}

fn run_case(name: &str, argv: &[&str], tally: &mut BTreeMap<String, Tally>) {
    let dir = TempDir::new(&format!("decode-{name}"));
    let work = dir.join("work");
    let argv: Vec<String> = argv
        .iter()
        .map(|a| a.replace("{WORK}", work.to_str().unwrap()))
        .collect();

    let strace_out = dir.join("strace.txt");
    let st = Command::new("setarch")
        .args(["-R", "strace", "-ff", "-y", "-s", "64", "-o"])
        .arg(&strace_out)
        .arg("--")
        .args(&argv)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running strace");
    assert!(st.success() || st.code().is_some(), "strace failed: {st:?}");
    let _ = std::fs::remove_dir_all(&work);

    let ours_out = dir.join("ours.txt");
    let ot = Command::new("setarch")
        .args([
            "-R", BIN, "trace", "--format", "text", "-y", "-s", "64", "-o",
        ])
        .arg(&ours_out)
        .arg("--")
        .args(&argv)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("running ai-forensics");
    assert!(ot.code().is_some(), "ai-forensics was killed: {ot:?}");
    let _ = std::fs::remove_dir_all(&work);

    let theirs = strace_per_thread(&strace_out);
    let ours = ours_per_thread(&std::fs::read_to_string(&ours_out).unwrap());
    assert_eq!(
        theirs.len(),
        ours.len(),
        "{name}: different numbers of threads"
    );
    for (theirs, ours) in theirs.iter().zip(&ours) {
        let pairs = align(theirs, ours);
        // Signals can land at other points under the two tools (a wait4
        // interrupted or not): a few calls may pair with nothing.
        let unpaired = theirs.len() + ours.len() - 2 * pairs.len();
        assert!(
            unpaired * 100 <= theirs.len().max(1),
            "{name}: the two tools saw different call sequences ({unpaired} calls unpaired)\n\
             strace only: {:?}\nours only: {:?}",
            unpaired_lines(theirs, pairs.iter().map(|p| p.0)),
            unpaired_lines(ours, pairs.iter().map(|p| p.1)),
        );
        for (i, j) in pairs {
            let ((n, want), (_, got)) = (&theirs[i], &ours[j]);
            let t = tally.entry(n.clone()).or_default();
            t.calls += 1;
            if want == got {
                t.matched += 1;
            } else if t.example.is_none() {
                t.example = Some((want.clone(), got.clone()));
            }
        }
    }
}

/// Pairs calls of the same name in order: a longest common subsequence of
/// the two name sequences, as index pairs.
/// The lines of `calls` whose index `paired` does not list (at most 20).
fn unpaired_lines(calls: &[(String, String)], paired: impl Iterator<Item = usize>) -> Vec<&str> {
    let paired: std::collections::HashSet<usize> = paired.collect();
    (0..calls.len())
        .filter(|i| !paired.contains(i))
        .take(20)
        .map(|i| calls[i].1.as_str())
        .collect()
}

fn align(a: &[(String, String)], b: &[(String, String)]) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    let mut len = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[i][j] = if a[i].0 == b[j].0 {
                len[i + 1][j + 1] + 1
            } else {
                len[i + 1][j].max(len[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < n && j < m {
        if a[i].0 == b[j].0 {
            pairs.push((i, j));
            i += 1;
            j += 1;
        } else if len[i + 1][j] >= len[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

#[test]
fn decoded_lines_match_strace() {
    if !have("strace") || !have("setarch") || !std::path::Path::new(PYTHON).exists() {
        panic!("strace, setarch and {PYTHON} are needed (make deps installs them)");
    }
    let mut tally = BTreeMap::new();
    run_case("ls", &["ls", "-la", "/usr"], &mut tally);
    run_case("cat", &["cat", "/etc/os-release"], &mut tally);
    run_case(
        "pyfiles",
        &[PYTHON, "-S", "-c", PY_FILES, "{WORK}"],
        &mut tally,
    );
    run_case("pynet", &[PYTHON, "-S", "-c", PY_NET], &mut tally);
    run_case("pythreads", &[PYTHON, "-S", "-c", PY_THREADS], &mut tally);
    run_case(
        "sh",
        &["sh", "-c", "exec 3</etc/hostname; cat <&3 >/dev/null; true"],
        &mut tally,
    );
    run_case(
        "cp",
        &["sh", "-c", "mkdir {WORK} && cp /etc/os-release {WORK}/copy"],
        &mut tally,
    );

    let (mut calls, mut matched) = (0, 0);
    let mut report = String::from("syscall                calls  matched\n");
    let mut failures = Vec::new();
    for (name, t) in &tally {
        calls += t.calls;
        matched += t.matched;
        report.push_str(&format!("{name:<22} {:>6} {:>8}\n", t.calls, t.matched));
        if let Some((want, got)) = &t.example {
            report.push_str(&format!("    strace: {want}\n    ours:   {got}\n"));
            if EXACT.contains(&name.as_str()) {
                failures.push(name.clone());
            }
        }
    }
    report.push_str(&format!(
        "total {calls} calls, {matched} matched ({:.1}%)\n",
        100.0 * matched as f64 / calls.max(1) as f64
    ));
    eprintln!("{report}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("decode-match.txt"),
        &report,
    );
    for name in EXACT {
        assert!(
            tally.contains_key(*name),
            "the corpus never called {name}: extend it"
        );
    }
    assert!(
        failures.is_empty(),
        "not decoded like strace: {failures:?}\n{report}"
    );
    assert!(
        matched * 100 >= calls * 95,
        "only {matched} of {calls} calls match strace\n{report}"
    );
}
