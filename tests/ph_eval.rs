//! `ai-forensics ph eval` on the MIT live-lpr dataset, and `ph replay` on hand-written traces.
//!
//! The dataset (tests/data/mit-lpr-live.tar.gz, see ../shared/datasets/README.md)
//! is extracted into a temporary directory.
use std::path::Path;
use std::process::{Command, Output};

use serde_json::{json, Value};

mod common;

use common::{TempDir, BIN};

fn run(args: &[&str]) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {BIN}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    out
}

/// Runs the binary and returns its stdout; it must exit 0.
fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Extracts the dataset; returns the directory holding `data/`.
fn dataset() -> TempDir {
    let dir = TempDir::new("lpr");
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mit-lpr-live.tar.gz");
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("running tar");
    assert!(status.success(), "tar xzf {}: {status}", archive.display());
    dir
}

#[test]
fn mit_lpr_live_attacks_detected_with_few_false_alarms() {
    let data = dataset();
    let normal = data.join("data/lpr-mit-live-normal");
    let anomaly = data.join("data/lpr-mit-live-anomaly");
    let events = data.join("events.jsonl");
    let (normal, anomaly, events) = (
        normal.to_str().unwrap(),
        anomaly.to_str().unwrap(),
        events.to_str().unwrap(),
    );
    let args = [
        "ph",
        "eval",
        "--train",
        normal,
        "--train-count",
        "1801",
        "--test",
        normal,
        "--test-skip",
        "1801",
        "--test",
        anomaly,
        "--events",
        events,
    ];
    let table = run_ok(&args);
    println!("{table}");
    let report: Value = serde_json::from_str(&run_ok(&[&args[..], &["--json"]].concat()))
        .expect("--json prints one JSON document");

    let train = &report["train"];
    let held_out = &report["tests"][0];
    let attacks = &report["tests"][1];
    assert_eq!(train["traces"], 1801);
    assert_eq!(held_out["traces"], 2702 - 1801);
    assert_eq!(held_out["skipped"], 1801);
    assert_eq!(
        attacks["skipped"], 0,
        "--test-skip applies to the training set only"
    );
    // Every call of the dataset is processed (README: 2,926,125 and 169,252 calls).
    assert_eq!(
        train["calls"].as_u64().unwrap() + held_out["calls"].as_u64().unwrap(),
        2_926_125
    );
    assert_eq!(attacks["calls"], 169_252);

    assert_eq!(attacks["traces"], 1001);
    assert_eq!(
        attacks["detected"], 1001,
        "every attack trace has an anomaly"
    );
    let per_trace = attacks["per_trace"].as_array().unwrap();
    assert_eq!(per_trace.len(), 1001);
    assert!(per_trace
        .iter()
        .all(|t| t["anomalous_calls"].as_u64() > Some(0)));

    let rate = held_out["rate"].as_f64().unwrap();
    println!(
        "held-out normal: {} traces, {} calls, {} detected, {} anomalous calls, rate {rate:.2e}, max LFC {}",
        held_out["traces"], held_out["calls"], held_out["detected"], held_out["anomalous_calls"], held_out["max_lfc"]
    );
    println!(
        "attacks: {} traces, {} calls, {} detected, {} anomalous calls, rate {:.2e}, max LFC {}",
        attacks["traces"],
        attacks["calls"],
        attacks["detected"],
        attacks["anomalous_calls"],
        attacks["rate"].as_f64().unwrap(),
        attacks["max_lfc"]
    );
    assert!(rate < 1e-3, "false-alarm rate {rate:.2e} is not below 1e-3");
    let anomalous = held_out["anomalous_calls"].as_f64().unwrap();
    let calls = held_out["calls"].as_f64().unwrap();
    assert!((anomalous / calls - rate).abs() < 1e-12);

    // The events file holds one line per anomalous call, each naming its trace.
    let lines = json_lines(&std::fs::read_to_string(events).unwrap());
    let anomalies: Vec<&Value> = lines.iter().filter(|e| e["type"] == "anomaly").collect();
    assert_eq!(
        anomalies.len() as u64,
        held_out["anomalous_calls"].as_u64().unwrap()
            + attacks["anomalous_calls"].as_u64().unwrap()
    );
    let a = anomalies.last().unwrap();
    assert!(a["trace"].as_str().unwrap().starts_with(anomaly));
    assert_eq!(a["profile"], "unm");
    assert_eq!(
        a["syscall"],
        a["nr"].to_string(),
        "UNM calls are named by number"
    );
    let window = a["window"].as_array().unwrap();
    assert!(!window.is_empty() && window.len() <= 9);
    assert_eq!(window[0], a["syscall"]);
}

/// A `syscall` event of `ai-forensics trace` (x86_64 numbers).
fn syscall(tid: u32, name: &str, nr: u32, ret: i64, n: u32) -> String {
    json!({
        "type": "syscall", "seq": n, "time": format!("2026-01-01T00:00:{:02}.{:09}Z", n / 1000, n % 1000 * 1000),
        "pid": tid, "tid": tid, "ppid": 1, "uid": 0, "comm": "demo",
        "syscall": name, "nr": nr, "raw_args": [], "ret": ret, "duration_ns": 100,
    })
    .to_string()
}

#[cfg(target_arch = "x86_64")]
#[test]
fn replay_of_a_hand_written_trace() {
    let dir = TempDir::new("replay");
    let mut lines = vec![
        // Before any exec: no profile, ignored.
        syscall(200, "getpid", 39, 200, 1),
        json!({
            "type": "exec", "seq": 2, "time": "2026-01-01T00:00:00.000002000Z",
            "pid": 100, "tid": 100, "ppid": 1, "uid": 0, "comm": "demo",
            "filename": "/bin/demo", "argv": ["demo"],
        })
        .to_string(),
        // The exec's own execve record: skipped.
        syscall(100, "execve", 59, 0, 3),
    ];
    // read, write, read, ... : the last new pair is learned at call 10, so
    // the profile freezes at call 41 (41 * 32 > 10 * 128) and, with
    // --normal-wait 0s, becomes normal at once.
    for i in 0..41 {
        let (name, nr) = if i % 2 == 0 {
            ("read", 0)
        } else {
            ("write", 1)
        };
        lines.push(syscall(100, name, nr, 1, 10 + i));
    }
    // getpid was never seen: all 8 pairs miss.
    lines.push(syscall(100, "getpid", 39, 100, 60));
    lines.push(
        json!({
            "type": "fork", "seq": 61, "time": "2026-01-01T00:00:00.000061000Z",
            "pid": 100, "tid": 100, "ppid": 1, "uid": 0, "comm": "demo",
            "child_pid": 101, "child_tid": 101, "thread": false,
        })
        .to_string(),
    );
    // The child's first call has no pairs; read after getpid is one miss.
    lines.push(syscall(101, "getpid", 39, 101, 62));
    lines.push(syscall(101, "read", 0, 1, 63));
    lines.push(
        json!({
            "type": "exit", "seq": 64, "time": "2026-01-01T00:00:00.000064000Z",
            "pid": 101, "tid": 101, "ppid": 100, "uid": 0, "comm": "demo", "exit_code": 0,
        })
        .to_string(),
    );
    // Gone: ignored.
    lines.push(syscall(101, "getpid", 39, 101, 65));
    let trace = dir.join("trace.jsonl");
    std::fs::write(&trace, lines.join("\n") + "\n").unwrap();

    let out = run_ok(&[
        "ph",
        "replay",
        "--normal-wait",
        "0s",
        trace.to_str().unwrap(),
    ]);
    let window = |names: &[&str]| names.iter().map(|&n| json!(n)).collect::<Vec<_>>();
    assert_eq!(
        json_lines(&out),
        [
            json!({"type": "profile_frozen", "profile": "/bin/demo"}),
            json!({"type": "profile_normal", "profile": "/bin/demo"}),
            json!({
                "type": "anomaly", "tid": 100, "profile": "/bin/demo", "syscall": "getpid",
                "nr": 39, "misses": 8, "lfc": 1, "count": 42,
                "window": window(&["getpid", "read", "write", "read", "write", "read", "write", "read", "write"]),
            }),
            json!({
                "type": "anomaly", "tid": 101, "profile": "/bin/demo", "syscall": "read",
                "nr": 0, "misses": 1, "lfc": 1, "count": 2, "window": window(&["read", "getpid"]),
            }),
        ]
    );

    // Without --normal-wait the profile never becomes normal: only the freeze.
    let out = run_ok(&["ph", "replay", trace.to_str().unwrap()]);
    assert_eq!(
        json_lines(&out),
        [json!({"type": "profile_frozen", "profile": "/bin/demo"})]
    );

    // -o writes the events to a file instead.
    let events = dir.join("events.jsonl");
    let out = run_ok(&[
        "ph",
        "replay",
        "--normal-wait",
        "0s",
        "-o",
        events.to_str().unwrap(),
        trace.to_str().unwrap(),
    ]);
    assert!(out.is_empty());
    assert_eq!(
        json_lines(&std::fs::read_to_string(&events).unwrap()).len(),
        4
    );
}

#[test]
fn replay_of_unm_traces_names_calls_by_number() {
    let dir = TempDir::new("unm");
    // Two files, one profile; pid 7 appears in both but is two tasks.
    std::fs::write(dir.join("a"), "7 1\n7 2\n".repeat(30)).unwrap();
    std::fs::write(dir.join("b"), "7 1\n7 2\n7 3\n").unwrap();
    let out = run_ok(&[
        "ph",
        "replay",
        "--format",
        "unm",
        "--normal-wait",
        "0s",
        dir.path().to_str().unwrap(),
    ]);
    let events = json_lines(&out);
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["profile_frozen", "profile_normal", "anomaly"]);
    assert_eq!(events[2]["syscall"], "3");
    assert_eq!(events[2]["window"], json!(["3", "2", "1"]));
    assert_eq!(events[2]["count"], 3, "a new file starts new tasks");
}

#[test]
fn malformed_traces_are_errors_naming_file_and_line() {
    let dir = TempDir::new("bad");
    let unm = dir.join("bad.unm");
    std::fs::write(&unm, "1 2\n1 two\n").unwrap();
    let out = run(&["ph", "replay", "--format", "unm", unm.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{}:2: bad syscall number \"two\"", unm.display())),
        "{stderr}"
    );

    let jsonl = dir.join("bad.jsonl");
    std::fs::write(&jsonl, "{\"type\":\"syscall\"\n").unwrap();
    let out = run(&["ph", "replay", jsonl.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{}:1: ", jsonl.display())),
        "{stderr}"
    );

    let missing = dir.join("missing");
    let out = run(&[
        "ph",
        "eval",
        "--train",
        missing.to_str().unwrap(),
        "--test",
        missing.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
}
