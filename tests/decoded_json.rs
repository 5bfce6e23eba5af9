//! Decoded arguments in JSON, -s, and the -c/-C summaries, on a program
//! with known syscalls (tests/fixtures/known.c).
mod common;

use common::*;
use serde_json::{json, Value};

/// The known fixture's calls after its last getppid.
fn tail(ev: &Events) -> Vec<Value> {
    let sys = ev.syscalls();
    let last = sys.iter().rposition(|e| e["syscall"] == "getppid").unwrap();
    sys[last + 1..].to_vec()
}

#[test]
fn arguments_are_named_and_typed() {
    let fx = Fixture::build("known");
    // -s 200: argv strings are cut at -s, like strace (the exec event has them whole).
    let run = trace_cmd(&["-s", "200"], &[fx.path(), "3"]);
    run.assert_code(3);
    let ev = run.events();
    let t = tail(&ev);
    let names: Vec<&str> = t.iter().map(|e| s(e, "syscall")).collect();
    assert_eq!(names, ["openat", "openat", "write", "close", "exit_group"]);

    let missing = &t[0]["args"];
    assert_eq!(missing["dfd"], "AT_FDCWD", "{missing}");
    assert_eq!(
        missing["filename"],
        "/nonexistent-ai-forensics-test/missing"
    );
    assert_eq!(missing["flags"], json!(["O_RDONLY"]));
    assert!(
        missing.get("mode").is_none(),
        "no O_CREAT, no mode: {missing}"
    );
    let devnull = &t[1]["args"];
    assert_eq!(devnull["filename"], "/dev/null");
    assert_eq!(devnull["flags"], json!(["O_WRONLY"]));
    let fd = i(&t[1], "ret");
    let write = &t[2]["args"];
    assert_eq!(write["fd"], json!(fd));
    assert_eq!(write["buf"], "hello");
    assert_eq!(write["count"], 5);
    assert_eq!(t[3]["args"]["fd"], json!(fd));
    assert_eq!(t[4]["args"]["error_code"], 3);
    // Raw values stay beside the decoded ones.
    assert_eq!(t[2]["raw_args"][2], "0x5");

    // The execve shows the path, argv and the environment's size.
    let execve = &ev.named("execve")[0]["args"];
    assert_eq!(execve["filename"], fx.path());
    assert_eq!(execve["argv"], json!([fx.path(), "3"]));
    let vars = s(&execve["envp"], "comment");
    let n: u64 = vars.strip_suffix(" vars").unwrap().parse().unwrap();
    assert!(n > 0, "{execve}");
}

#[test]
fn string_limit_cuts_buffers_not_paths() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["-s", "3"], &[fx.path(), "1"]);
    run.assert_code(3);
    let t = tail(&run.events());
    assert_eq!(
        t[2]["args"]["buf"],
        json!({"data": "hel", "truncated": true})
    );
    assert_eq!(
        t[0]["args"]["filename"],
        "/nonexistent-ai-forensics-test/missing"
    );
    let run = trace_cmd(&["--format", "text", "-s", "3"], &[fx.path(), "1"]);
    assert!(
        run.stdout.contains(r#"write(3, "hel"..., 5) = 5"#),
        "{}",
        run.stdout
    );
}

#[test]
fn raw_mode_reads_no_memory() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["--raw"], &[fx.path(), "1"]);
    run.assert_code(3);
    let t = tail(&run.events());
    // Registers still decode; memory is not read: the pointer is shown.
    assert_eq!(t[1]["args"]["flags"], json!(["O_WRONLY"]));
    assert!(t[1]["args"]["filename"].as_str().unwrap().starts_with("0x"));
}

/// Rows of strace's -c table: name -> (calls, errors).
fn table(text: &str) -> std::collections::BTreeMap<String, (u64, u64)> {
    let start = text
        .find("% time     seconds  usecs/call     calls    errors syscall")
        .unwrap_or_else(|| panic!("no summary table in {text}"));
    text[start..]
        .lines()
        .skip(2)
        .filter(|l| !l.starts_with("------"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let name = f.last().unwrap().to_string();
            let calls = f[3].parse().unwrap();
            let errors = if f.len() == 6 {
                f[4].parse().unwrap()
            } else {
                0
            };
            (name, (calls, errors))
        })
        .collect()
}

#[test]
fn summary_only_prints_the_table() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["-c", "--format", "text"], &[fx.path(), "7"]);
    run.assert_code(3);
    assert!(
        !run.stdout.contains("getppid()"),
        "-c prints no calls: {}",
        run.stdout
    );
    let rows = table(&run.stdout);
    assert_eq!(rows["getppid"], (7, 0));
    assert_eq!(rows["write"], (1, 0));
    assert!(rows["openat"].1 >= 1, "the missing file: {rows:?}");
    let total: u64 = rows
        .iter()
        .filter(|(n, _)| *n != "total")
        .map(|(_, v)| v.0)
        .sum();
    assert_eq!(rows["total"].0, total);
}

#[test]
fn summary_in_json_is_one_event() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["-c"], &[fx.path(), "7"]);
    run.assert_code(3);
    let lines = parse_json_lines(&run.stdout);
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let sum = &lines[0];
    assert_eq!(sum["type"], "summary");
    let getppid = sum["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["syscall"] == "getppid")
        .unwrap();
    assert_eq!(getppid["calls"], 7);
    assert_eq!(getppid["errors"], 0);

    // -C: the events, then the summary.
    let run = trace_cmd(&["-C"], &[fx.path(), "7"]);
    let lines = parse_json_lines(&run.stdout);
    assert_eq!(lines.last().unwrap()["type"], "summary");
    assert_eq!(
        lines.iter().filter(|e| e["syscall"] == "getppid").count(),
        7
    );
}

#[test]
fn descriptor_names_under_a_syscall_selection() {
    // cat has read and exited long before the tracer could look in /proc:
    // the name comes from the openat the kernel traced for -y.
    let stats_dir = TempDir::new("ysel");
    let path = stats_dir.join("s.json");
    let run = trace_cmd(
        &["-y", "-e", "read", "--stats-file", path.to_str().unwrap()],
        &["/bin/sh", "-c", "cat /etc/hostname >/dev/null"],
    );
    run.assert_code(0);
    let ev = run.events();
    assert!(
        ev.syscalls().iter().all(|e| e["syscall"] == "read"),
        "only the selection is shown: {:?}",
        ev.syscalls()
    );
    let read = ev
        .named("read")
        .into_iter()
        .find(|e| e["fd_paths"]["fd"] == "/etc/hostname");
    assert!(
        read.is_some(),
        "no read named /etc/hostname: {:?}",
        ev.syscalls()
    );
    let st: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let n = |k: &str| st[k].as_u64().unwrap();
    assert!(n("hidden") > 0, "{st}");
    assert_eq!(n("events") + n("lost") + n("hidden"), n("kernel_events"));
    assert!(run.stderr.contains("not shown"), "{}", run.stderr);
}

#[test]
fn descriptors_and_relative_paths_with_y() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["-y"], &[fx.path(), "1"]);
    run.assert_code(3);
    let t = tail(&run.events());
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(t[1]["fd_paths"]["ret"], "/dev/null", "{}", t[1]);
    assert_eq!(t[1]["fd_paths"]["dfd"], cwd.to_str().unwrap(), "{}", t[1]);
    assert_eq!(t[2]["fd_paths"]["fd"], "/dev/null", "{}", t[2]);
    assert_eq!(t[3]["fd_paths"]["fd"], "/dev/null", "{}", t[3]);

    // A relative path after a chdir, and a pipe.
    let run = trace_cmd(
        &["-y", "--format", "text"],
        &["/bin/sh", "-c", "cd /etc && exec cat hostname"],
    );
    run.assert_code(0);
    let open = run
        .stdout
        .lines()
        .find(|l| l.contains("openat(") && l.contains("\"hostname\""))
        .unwrap_or_else(|| panic!("no open of hostname in {}", run.stdout));
    assert!(
        open.contains("openat(AT_FDCWD</etc>, \"hostname\", O_RDONLY) = 3</etc/hostname>"),
        "{open}"
    );
    let run = trace_cmd(
        &["-y"],
        &["/bin/sh", "-c", "cd /etc && exec cat hostname >/dev/null"],
    );
    let ev = run.events();
    let open = ev
        .named("openat")
        .into_iter()
        .find(|e| e["args"]["filename"] == "hostname")
        .unwrap();
    assert_eq!(open["abs_paths"]["filename"], "/etc/hostname", "{open}");
    let run = trace_cmd(
        &["-y"],
        &[
            "/usr/bin/python3",
            "-S",
            "-c",
            "import os; r, w = os.pipe(); os.write(w, b'x')",
        ],
    );
    let ev = run.events();
    let pipe = ev.named("pipe2")[0];
    let w = s(&pipe["fd_paths"], "fildes[1]");
    assert!(w.starts_with("pipe:["), "{pipe}");
    assert!(
        s(&pipe["fd_paths"], "fildes[0]").starts_with("pipe:["),
        "{pipe}"
    );
    // The write end keeps the name the pipe2 call gave it.
    assert_eq!(ev.named("write").last().unwrap()["fd_paths"]["fd"], w);

    // Named by the inode the kernel sent, although the process has exited
    // before the tracer could look in /proc.
    let run = trace_cmd(
        &["-y", "-e", "pipe2,socket,close"],
        &[
            "/usr/bin/python3",
            "-S",
            "-c",
            "import os, socket; os.pipe(); socket.socket().close()",
        ],
    );
    let ev = run.events();
    let numbered = |p: &str, kind: &str| {
        p.strip_prefix(kind)
            .and_then(|r| r.strip_prefix(":["))
            .and_then(|r| r.strip_suffix(']'))
            .is_some_and(|n| n.parse::<u64>().is_ok_and(|n| n > 0))
    };
    let pipe = ev.named("pipe2")[0];
    for k in ["fildes[0]", "fildes[1]"] {
        assert!(numbered(s(&pipe["fd_paths"], k), "pipe"), "{pipe}");
    }
    let sock = ev.named("socket")[0];
    let name = s(&sock["fd_paths"], "ret");
    assert!(numbered(name, "socket"), "{sock}");
    let close = ev.named("close").into_iter().last().unwrap();
    assert_eq!(close["fd_paths"]["fd"], name, "{close}");

    // poll's descriptors, by their place in its array.
    let run = trace_cmd(
        &["-y", "-e", "poll"],
        &[
            "/usr/bin/python3",
            "-S",
            "-c",
            "import os, select; r, w = os.pipe(); n = os.open('/dev/null', 0); \
             p = select.poll(); p.register(n); p.register(w, select.POLLOUT); p.poll(0)",
        ],
    );
    let ev = run.events();
    let poll = ev.named("poll")[0];
    assert_eq!(poll["args"]["ufds"].as_array().unwrap().len(), 2, "{poll}");
    assert_eq!(poll["fd_paths"]["ufds[0]"], "/dev/null", "{poll}");
    assert!(
        s(&poll["fd_paths"], "ufds[1]").starts_with("pipe:["),
        "{poll}"
    );
}
