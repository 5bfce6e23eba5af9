//! Helpers shared by the integration tests: the binary, C fixtures, running
//! the tracer with a timeout, and parsing/checking its JSON lines.
//!
//! Every integration test loads BPF, so they need root and run serialised
//! (`cargo test --release --tests -- --test-threads=1`).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The tracer under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ai-forensics");

/// Longest a tracer run may take before it is killed and the test fails.
/// Only there to turn a hang into a clear failure; no test measures time.
pub const TIMEOUT: Duration = Duration::from_secs(90);

/// How long to wait for the tracer to say it is attached, or for an event.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Temporary directories and fixtures
// ---------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "aif-test-{tag}-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A C program from `tests/fixtures/NAME.c` (or a benchmark's workload),
/// compiled into its own temp dir.
pub struct Fixture {
    dir: TempDir,
    path: PathBuf,
}

impl Fixture {
    /// Compiles `tests/fixtures/{name}.c` with `cc -O1 -pthread`.
    pub fn build(name: &str) -> Fixture {
        Self::compile("tests/fixtures", name)
    }

    /// Compiles the benchmark workload `bench/workloads/{name}.c`.
    pub fn workload(name: &str) -> Fixture {
        Self::compile("bench/workloads", name)
    }

    fn compile(dir: &str, name: &str) -> Fixture {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(dir)
            .join(format!("{name}.c"));
        assert!(src.is_file(), "fixture source {} missing", src.display());
        let dir = TempDir::new(&format!("fx-{name}"));
        let path = dir.join(name);
        let out = Command::new("cc")
            .args(["-O1", "-pthread", "-Wall", "-o"])
            .arg(&path)
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("running cc (is a C compiler installed?): {e}"));
        assert!(
            out.status.success(),
            "compiling {} failed:\n{}",
            src.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        Fixture { dir, path }
    }

    pub fn path(&self) -> &str {
        self.path.to_str().expect("temp path is UTF-8")
    }

    /// The directory the binary lives in (also usable as scratch space).
    pub fn dir(&self) -> &TempDir {
        &self.dir
    }
}

// ---------------------------------------------------------------------------
// Running the tracer
// ---------------------------------------------------------------------------

/// A finished tracer run.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    /// The tracer's own pid.
    pub pid: u32,
    pub stdout: String,
    pub stderr: String,
    pub args: Vec<String>,
}

impl Run {
    /// Exit code; fails if the tracer was killed by a signal.
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or_else(|| {
            panic!(
                "tracer {:?} died from a signal: {:?}\nstderr:\n{}",
                self.args, self.status, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing stderr when it differs.
    pub fn assert_code(&self, want: i32) {
        assert_eq!(
            self.code(),
            want,
            "tracer {:?}: exit code {} (want {want})\nstderr:\n{}",
            self.args,
            self.code(),
            self.stderr
        );
    }

    /// Parses stdout (every line must be JSON) and checks the sequence.
    pub fn events(&self) -> Events {
        Events::parse(&self.stdout)
    }

    /// Asserts the run failed with `code`, one `ai-forensics: ` line on
    /// stderr containing `needle`, and nothing on stdout.
    pub fn assert_one_line_error(&self, code: i32, needle: &str) {
        self.assert_code(code);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{:?}: want exactly one stderr line, got:\n{}",
            self.args,
            self.stderr
        );
        assert!(
            lines[0].starts_with("ai-forensics: "),
            "{:?}: stderr line does not start with 'ai-forensics: ': {:?}",
            self.args,
            lines[0]
        );
        assert!(
            lines[0].contains(needle),
            "{:?}: stderr line {:?} does not contain {needle:?}",
            self.args,
            lines[0]
        );
        assert!(
            self.stdout.is_empty(),
            "{:?}: stdout should be empty on error, got:\n{}",
            self.args,
            self.stdout
        );
    }
}

/// A tracer running in the background, with its output streamed back.
pub struct Tracer {
    child: Child,
    pub args: Vec<String>,
    stdout_rx: Receiver<String>,
    stderr_rx: Receiver<String>,
    stdout_lines: Vec<String>,
    stderr_lines: Vec<String>,
    /// stdout lines already looked at by `wait_for_event`.
    cursor: usize,
    readers: Vec<JoinHandle<()>>,
}

fn line_reader(pipe: impl Read + Send + 'static) -> (Receiver<String>, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let mut r = BufReader::new(pipe);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buf).into_owned();
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    (rx, handle)
}

impl Tracer {
    /// Starts `ai-forensics ARGS...` (stdin closed, stdout/stderr captured).
    pub fn spawn(args: &[&str]) -> Tracer {
        let mut cmd = Command::new(BIN);
        // cargo's LD_LIBRARY_PATH would make every traced program's loader
        // probe dozens of target/ directories: keep traces to the program.
        cmd.args(args).env_remove("LD_LIBRARY_PATH");
        Tracer::spawn_command(cmd, args.iter().map(|s| s.to_string()).collect())
    }

    /// Starts any command (e.g. the tracer under setpriv) the same way.
    pub fn spawn_command(mut cmd: Command, args: Vec<String>) -> Tracer {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {args:?}: {e}"));
        let (stdout_rx, h1) = line_reader(child.stdout.take().unwrap());
        let (stderr_rx, h2) = line_reader(child.stderr.take().unwrap());
        Tracer {
            child,
            args,
            stdout_rx,
            stderr_rx,
            stdout_lines: Vec::new(),
            stderr_lines: Vec::new(),
            cursor: 0,
            readers: vec![h1, h2],
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn drain_stderr(&mut self) {
        while let Ok(l) = self.stderr_rx.try_recv() {
            self.stderr_lines.push(l);
        }
    }

    fn stderr_so_far(&mut self) -> String {
        self.drain_stderr();
        self.stderr_lines.concat()
    }

    /// Kills the tracer and fails the test with `why` and what it printed.
    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        let stderr = self.stderr_so_far();
        while let Ok(l) = self.stdout_rx.try_recv() {
            self.stdout_lines.push(l);
        }
        let tail: Vec<&String> = self.stdout_lines.iter().rev().take(20).collect();
        panic!(
            "tracer {:?}: {why}\nstderr:\n{stderr}\nlast stdout lines (newest first):\n{}",
            self.args,
            tail.iter().map(|s| s.as_str()).collect::<String>()
        );
    }

    /// Waits until the tracer reports it is attached (`... (Ctrl-C to stop)`).
    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match self.stderr_rx.recv_timeout(Duration::from_millis(50)) {
                Ok(l) => {
                    let ready = l.contains("(Ctrl-C to stop)");
                    self.stderr_lines.push(l);
                    if ready {
                        return;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.child.wait();
                    self.fail("exited before saying it was attached");
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(100));
                self.fail(&format!("exited ({st}) before saying it was attached"));
            }
            if Instant::now() > deadline {
                self.fail("did not say it was attached in time");
            }
        }
    }

    /// Waits for the next output event (after the one the previous call
    /// returned) matching `pred`, and returns it.
    pub fn wait_for_event(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            while self.cursor < self.stdout_lines.len() {
                let l = &self.stdout_lines[self.cursor];
                self.cursor += 1;
                if let Ok(v) = serde_json::from_str::<Value>(l) {
                    if pred(&v) {
                        return v;
                    }
                }
            }
            match self.stdout_rx.recv_timeout(Duration::from_millis(50)) {
                Ok(l) => self.stdout_lines.push(l),
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("stdout closed while waiting for {what}"))
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if Instant::now() > deadline {
                self.fail(&format!("no {what} within {READY_TIMEOUT:?}"));
            }
        }
    }

    /// Sends a signal to the tracer.
    pub fn signal(&self, sig: i32) {
        send_signal(self.pid(), sig);
    }

    /// Waits for the tracer to exit (killing it after `TIMEOUT`) and collects its output.
    pub fn finish(self) -> Run {
        self.finish_within(TIMEOUT)
    }

    pub fn finish_within(mut self, timeout: Duration) -> Run {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) => {}
                Err(e) => self.fail(&format!("waiting: {e}")),
            }
            if Instant::now() > deadline {
                self.fail(&format!("still running after {timeout:?}: killed"));
            }
            // Keep the pipes flowing while we wait.
            while let Ok(l) = self.stdout_rx.try_recv() {
                self.stdout_lines.push(l);
            }
            self.drain_stderr();
            std::thread::sleep(Duration::from_millis(10));
        };
        // The pipes close when every holder exits; a straggler that kept
        // them open must not hang the test.
        let grace = Instant::now() + Duration::from_secs(10);
        for (rx, lines) in [
            (&self.stdout_rx, &mut self.stdout_lines),
            (&self.stderr_rx, &mut self.stderr_lines),
        ] {
            loop {
                let left = grace.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(l) => lines.push(l),
                    Err(_) => break,
                }
            }
        }
        let pid = self.child.id();
        Run {
            status,
            pid,
            stdout: self.stdout_lines.concat(),
            stderr: self.stderr_lines.concat(),
            args: std::mem::take(&mut self.args),
        }
    }
}

impl Drop for Tracer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for h in self.readers.drain(..) {
            // Readers end when the pipes close; do not block on stragglers.
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

/// Runs `ai-forensics ARGS...` to completion (killed and failed after `TIMEOUT`).
pub fn trace(args: &[&str]) -> Run {
    Tracer::spawn(args).finish()
}

/// `trace -- COMMAND...` with extra options before the `--`.
pub fn trace_cmd(opts: &[&str], command: &[&str]) -> Run {
    let mut args = vec!["trace"];
    args.extend_from_slice(opts);
    args.push("--");
    args.extend_from_slice(command);
    trace(&args)
}

pub fn send_signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) with plain integers.
    let r = unsafe { libc::kill(pid as libc::pid_t, sig) };
    assert_eq!(
        r,
        0,
        "kill({pid}, {sig}): {}",
        std::io::Error::last_os_error()
    );
}

/// A helper process (a fixture run directly, not traced), killed on drop.
pub struct Background {
    pub child: Child,
}

impl Background {
    pub fn start(program: &str, args: &[&str]) -> Background {
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {program}: {e}"));
        Background { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it with `sig` and reaps it.
    pub fn kill_with(&mut self, sig: i32) {
        if let Ok(None) = self.child.try_wait() {
            send_signal(self.pid(), sig);
        }
        let _ = self.child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Whether `pid` is gone or a zombie.
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state is the first field after the parenthesised comm.
        Ok(s) => s
            .rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']))
            .unwrap_or(true),
    }
}

/// Polls until `pid` is gone (fails after `READY_TIMEOUT`).
pub fn wait_gone(pid: u32) {
    let deadline = Instant::now() + READY_TIMEOUT;
    while !process_gone(pid) {
        assert!(
            Instant::now() < deadline,
            "process {pid} still running after {READY_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A pid that existed a moment ago and no longer does.
pub fn dead_pid() -> u32 {
    let mut c = Command::new("true").spawn().expect("running true");
    let pid = c.id();
    c.wait().expect("waiting for true");
    pid
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/// Parses JSON lines; every non-empty line must be a JSON object.
pub fn parse_json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("stdout line {} is not JSON ({e}): {l:?}", i + 1));
            assert!(v.is_object(), "stdout line {} is not an object: {l}", i + 1);
            v
        })
        .collect()
}

/// Asserts every line has a `seq` that strictly increases, and returns the
/// events grouped by `type`.
pub fn check_seq(events: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut prev: Option<u64> = None;
    for (i, e) in events.iter().enumerate() {
        let seq = e["seq"]
            .as_u64()
            .unwrap_or_else(|| panic!("event #{i} has no numeric seq: {e}"));
        if let Some(p) = prev {
            assert!(
                seq > p,
                "seq not strictly increasing at event #{i}: {p} then {seq}\n{e}"
            );
        }
        prev = Some(seq);
        let ty = e["type"]
            .as_str()
            .unwrap_or_else(|| panic!("event #{i} has no type: {e}"))
            .to_string();
        by_type.entry(ty).or_default().push(e.clone());
    }
    by_type
}

/// A parsed event stream.
#[derive(Debug)]
pub struct Events {
    pub all: Vec<Value>,
    pub by_type: BTreeMap<String, Vec<Value>>,
}

impl Events {
    /// Parses and checks: every line JSON, seq strictly increasing, no malformed records.
    pub fn parse(text: &str) -> Events {
        let all = parse_json_lines(text);
        let by_type = check_seq(&all);
        if let Some(m) = by_type.get("malformed") {
            panic!("malformed records in the output: {m:?}");
        }
        Events { all, by_type }
    }

    pub fn of_type(&self, ty: &str) -> &[Value] {
        self.by_type.get(ty).map(|v| v.as_slice()).unwrap_or(&[])
    }

    pub fn syscalls(&self) -> &[Value] {
        self.of_type("syscall")
    }

    pub fn named(&self, name: &str) -> Vec<&Value> {
        self.syscalls()
            .iter()
            .filter(|e| e["syscall"] == name)
            .collect()
    }

    pub fn execs(&self) -> &[Value] {
        self.of_type("exec")
    }

    pub fn forks(&self) -> &[Value] {
        self.of_type("fork")
    }

    pub fn exits(&self) -> &[Value] {
        self.of_type("exit")
    }

    /// Sum of `count` over `lost` records.
    pub fn lost_total(&self) -> u64 {
        self.of_type("lost").iter().map(|l| u(l, "count")).sum()
    }

    /// Events (any type but lost) of process `pid`.
    pub fn of_pid(&self, pid: u64) -> Vec<&Value> {
        self.all
            .iter()
            .filter(|e| e["type"] != "lost" && e["pid"] == pid)
            .collect()
    }

    /// Events of thread `tid`.
    pub fn of_tid(&self, tid: u64) -> Vec<&Value> {
        self.all
            .iter()
            .filter(|e| e["type"] != "lost" && e["tid"] == tid)
            .collect()
    }

    /// The one exit event of process `pid`.
    pub fn exit_of(&self, pid: u64) -> &Value {
        let ex: Vec<&Value> = self.exits().iter().filter(|e| e["pid"] == pid).collect();
        assert_eq!(
            ex.len(),
            1,
            "want exactly one exit event for pid {pid}, got {ex:?}"
        );
        ex[0]
    }

    /// Count of syscall events named `name`.
    pub fn count(&self, name: &str) -> usize {
        self.named(name).len()
    }

    /// Distinct syscall names seen.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        self.syscalls()
            .iter()
            .map(|e| s(e, "syscall").to_string())
            .collect()
    }
}

/// A required unsigned field.
pub fn u(e: &Value, key: &str) -> u64 {
    e[key]
        .as_u64()
        .unwrap_or_else(|| panic!("field {key:?} missing or not unsigned in {e}"))
}

/// A required signed field.
pub fn i(e: &Value, key: &str) -> i64 {
    e[key]
        .as_i64()
        .unwrap_or_else(|| panic!("field {key:?} missing or not an integer in {e}"))
}

/// A required string field.
pub fn s<'a>(e: &'a Value, key: &str) -> &'a str {
    e[key]
        .as_str()
        .unwrap_or_else(|| panic!("field {key:?} missing or not a string in {e}"))
}

/// The final statistics written with `--stats-file`.
pub fn read_stats(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading stats file {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stats file is not JSON ({e}): {text}"))
}

/// Whether strace is installed (needed by the differential test).
pub fn have(program: &str) -> bool {
    Command::new(program)
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Nanoseconds since the Unix epoch of an event `time`
/// (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, UTC).
pub fn parse_time_ns(t: &str) -> i128 {
    let bad = || panic!("not an RFC3339 UTC time with 9 digits: {t:?}");
    let b = t.as_bytes();
    if b.len() != 30
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[19] != b'.'
        || b[29] != b'Z'
    {
        bad();
    }
    let num = |r: std::ops::Range<usize>| -> i128 { t[r].parse().unwrap_or_else(|_| bad()) };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss, ns) = (num(11..13), num(14..16), num(17..19), num(20..29));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1_000_000_000) + ns
}

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

/// Starts the sleeper, attaches (with or without --follow), makes it fork a
/// child (SIGUSR1) and returns (tracer, sleeper, the fork event).
pub fn attach_and_fork(follow: bool) -> (Tracer, Background, Value) {
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
