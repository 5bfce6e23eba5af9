//! The pH daemon on the real kernel: learning a program until it is normal,
//! anomalies when it takes another path, profiles kept across restarts and
//! SIGKILLs, task state freed under a fork storm, the control commands, and
//! the kernel engine agreeing call for call with the user-space engine.
mod common;

use std::process::Command;
use std::time::Duration;

use common::{Fixture, TempDir, Tracer, BIN};
use serde_json::Value;

/// Starts `ai-forensics daemon ARGS --state-dir STATE` and waits until it is attached.
fn daemon(state: &TempDir, args: &[&str]) -> Tracer {
    let mut all = vec!["daemon", "--state-dir", state.path().to_str().unwrap()];
    all.extend_from_slice(args);
    let mut d = Tracer::spawn(&all);
    d.wait_ready();
    d
}

/// Stops a daemon with SIGINT and returns its events.
fn stop(d: Tracer) -> (Vec<Value>, String) {
    d.signal(libc::SIGINT);
    let run = d.finish();
    run.assert_code(0);
    (common::parse_json_lines(&run.stdout), run.stderr)
}

/// Runs a fixture to completion (not under the tracer).
fn run(program: &str, args: &[&str]) {
    // Without cargo's LD_LIBRARY_PATH, whose search would dominate a profile.
    let st = Command::new(program)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .status()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    assert!(st.success(), "{program} {args:?} failed: {st}");
}

/// `ai-forensics CMD ARGS --state-dir STATE --json` as JSON, or its stderr on failure.
fn ctl(state: &TempDir, args: &[&str]) -> Result<Value, (i32, String)> {
    let out = Command::new(BIN)
        .args(args)
        .args(["--state-dir", state.path().to_str().unwrap(), "--json"])
        .output()
        .expect("running ai-forensics");
    if !out.status.success() {
        return Err((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    Ok(serde_json::from_slice(&out.stdout).expect("--json output is JSON"))
}

/// Every daemon event must match docs/ph-events.schema.json.
fn check_schema(events: &[Value]) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ph-events.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    for e in events {
        let errors: Vec<String> = v.iter_errors(e).map(|err| err.to_string()).collect();
        assert!(errors.is_empty(), "{e} breaks the schema: {errors:?}");
    }
}

fn of_type<'a>(events: &'a [Value], ty: &str, profile: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == ty && e["profile"].as_str().is_some_and(|p| p.ends_with(profile)))
        .collect()
}

fn profile_status(state: &TempDir, name: &str) -> String {
    let list = ctl(state, &["profiles"]).expect("profiles");
    let p = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["profile"].as_str().is_some_and(|s| s.ends_with(name)))
        .unwrap_or_else(|| panic!("no profile for {name} in {list}"));
    p["status"].as_str().unwrap().to_owned()
}

#[test]
fn learns_a_program_flags_a_shell_and_keeps_the_profile_across_restarts() {
    let fx = Fixture::build("phdemo");
    let state = TempDir::new("ph-e2e");
    let mut d = daemon(&state, &["--comm", "phdemo", "--normal-wait", "0s"]);
    for _ in 0..8 {
        run(fx.path(), &[]);
    }
    let normal = d.wait_for_event("profile_normal", |e| e["type"] == "profile_normal");
    assert!(normal["profile"].as_str().unwrap().ends_with("/phdemo"));
    // Normal now: the same path raises nothing.
    for _ in 0..3 {
        run(fx.path(), &[]);
    }
    run(fx.path(), &["shell"]);
    let (events, stderr) = stop(d);
    check_schema(&events);
    // Every anomaly comes from the shell run (the last exec of phdemo).
    let shell_run = events
        .iter()
        .rposition(|e| {
            e["type"] == "profile_assoc" && e["profile"].as_str().unwrap().ends_with("/phdemo")
        })
        .unwrap();
    let anomalies = of_type(&events, "anomaly", "/phdemo");
    assert!(
        !anomalies.is_empty(),
        "no anomaly from `phdemo shell`:\n{events:#?}"
    );
    let early: Vec<&&Value> = anomalies
        .iter()
        .filter(|a| events.iter().position(|e| e == **a).unwrap() < shell_run)
        .collect();
    assert!(
        early.is_empty(),
        "anomalies before the shell run: {early:#?}"
    );
    // The shell comes by execve, which the steady path never makes.
    let flagged: Vec<&str> = anomalies
        .iter()
        .map(|a| a["syscall"].as_str().unwrap())
        .collect();
    assert!(
        flagged.contains(&"execve"),
        "anomalies on {flagged:?}, not on execve"
    );
    for a in &anomalies {
        let window = a["window"].as_array().unwrap();
        // A task's window fills up over its first calls (a fresh fork starts empty).
        let count = a["count"].as_u64().unwrap() as usize;
        assert_eq!(window.len(), count.min(9), "{a}");
        assert_eq!(window[0], a["syscall"]);
        assert!(a["misses"].as_u64().unwrap() >= 1 && a["lfc"].as_u64().unwrap() >= 1);
        assert_eq!(a["comm"], "phdemo");
        assert!(a["executable"].as_str().unwrap().ends_with("/phdemo"));
    }
    assert!(stderr.contains("profiles saved"), "{stderr}");

    // Restarted: the profile comes back normal, and the steady path is still normal.
    let d = daemon(&state, &["--comm", "phdemo", "--normal-wait", "0s"]);
    assert_eq!(profile_status(&state, "/phdemo"), "normal");
    run(fx.path(), &[]);
    let (events, stderr) = stop(d);
    check_schema(&events);
    assert!(stderr.contains("profiles loaded"), "{stderr}");
    assert!(
        of_type(&events, "anomaly", "/phdemo").is_empty(),
        "anomalies after the restart: {events:#?}"
    );
    assert!(
        of_type(&events, "profile_created", "/phdemo").is_empty(),
        "the profile was created again instead of loaded"
    );
}

/// The kernel engine and the user-space engine on the same calls: the daemon
/// and `trace` watch the same runs; `ph replay` runs the recorded trace.
#[test]
fn kernel_and_user_space_engines_agree_call_for_call() {
    let fx = Fixture::build("phseq");
    let state = TempDir::new("ph-eq");
    let trace_file = state.join("trace.jsonl");
    let d = daemon(
        &state,
        &[
            "--comm",
            "phseq",
            "--normal-wait",
            "0s",
            "--save-interval",
            "1h",
        ],
    );
    let mut t = Tracer::spawn(&[
        "trace",
        "--comm",
        "phseq",
        "-o",
        trace_file.to_str().unwrap(),
    ]);
    t.wait_ready();
    let steady = "abcdefabcdefabcdef";
    let mut scripts: Vec<String> = vec![steady.into(); 8];
    // A few unknown calls, then an attack long enough to pass the LFC
    // limit (tolerize) and the anomaly limit (back to training).
    scripts.push("abcdefghijkl".into());
    scripts.push("ghijkl".repeat(3) + &"lkjihg".repeat(3) + &"gikhjl".repeat(3));
    scripts.extend(vec![steady.to_string(); 8]);
    for s in &scripts {
        run(fx.path(), &[s]);
    }
    std::thread::sleep(Duration::from_millis(200));
    t.signal(libc::SIGINT);
    t.finish().assert_code(0);
    let (kernel, _) = stop(d);

    let out = Command::new(BIN)
        .args(["ph", "replay", "--normal-wait", "0s"])
        .arg(&trace_file)
        .output()
        .expect("running ph replay");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let user = common::parse_json_lines(&String::from_utf8_lossy(&out.stdout));

    let project = |events: &[Value]| -> Vec<Value> {
        let kinds = [
            "anomaly",
            "profile_frozen",
            "profile_normal",
            "profile_training",
            "tolerize",
        ];
        events
            .iter()
            .filter(|e| kinds.contains(&e["type"].as_str().unwrap_or_default()))
            .filter(|e| e["profile"].as_str().is_some_and(|p| p.ends_with("/phseq")))
            .map(|e| {
                let mut v = serde_json::json!({"type": e["type"]});
                if e["type"] == "anomaly" {
                    for k in ["tid", "syscall", "misses", "lfc", "count", "window"] {
                        v[k] = e[k].clone();
                    }
                }
                v
            })
            .collect()
    };
    let (k, u) = (project(&kernel), project(&user));
    for kind in [
        "anomaly",
        "profile_frozen",
        "profile_normal",
        "profile_training",
        "tolerize",
    ] {
        assert!(
            k.iter().any(|e| e["type"] == kind),
            "the scripted runs made no {kind} in the kernel: {k:#?}"
        );
    }
    let first_diff = k.iter().zip(&u).position(|(a, b)| a != b);
    assert!(
        k.len() == u.len() && first_diff.is_none(),
        "kernel ({} events) and user space ({} events) differ at {first_diff:?}:\nkernel: {:#?}\nuser: {:#?}",
        k.len(),
        u.len(),
        first_diff.map(|i| &k[i]),
        first_diff.map(|i| &u[i])
    );
}

#[test]
fn task_state_is_freed_after_a_fork_storm() {
    let fx = Fixture::build("phforks");
    let state = TempDir::new("ph-forks");
    let d = daemon(&state, &["--comm", "phforks"]);
    run(fx.path(), &[]);
    std::thread::sleep(Duration::from_millis(200));
    let tasks = ctl(&state, &["ps"]).expect("ps");
    assert_eq!(tasks, serde_json::json!([]), "task state left behind");
    let (events, stderr) = stop(d);
    assert!(
        !events
            .iter()
            .any(|e| e["type"] == "map_full" || e["type"] == "lost"),
        "{events:#?}"
    );
    assert!(stderr.contains("tasks 0"), "{stderr}");
    let created = of_type(&events, "profile_created", "/phforks");
    assert_eq!(
        created.len(),
        1,
        "one profile for the program and its children"
    );
}

#[test]
fn control_commands_change_profiles_live_and_on_disk() {
    let fx = Fixture::build("phseq");
    let state = TempDir::new("ph-ctl");
    let d = daemon(&state, &["--comm", "phseq"]);
    run(fx.path(), &["abcabc"]);
    assert_eq!(profile_status(&state, "/phseq"), "training");
    let normalized = ctl(&state, &["normalize", fx.path()]).expect("normalize");
    assert_eq!(normalized["status"], "normal");
    let shown = ctl(&state, &["profiles", "show", fx.path()]).expect("show");
    assert!(shown["train_pairs"].as_u64().unwrap() > 0);
    assert_eq!(shown["train_pairs"], shown["test_pairs"]);
    assert!(!shown["top_pairs"].as_array().unwrap().is_empty());
    let set = ctl(&state, &["settings", "set", "anomaly_limit", "5"]).expect("settings set");
    assert_eq!(set["anomaly_limit"], 5);
    let err = ctl(&state, &["settings", "set", "bogus", "1"]).unwrap_err();
    assert!(err.1.contains("unknown setting"), "{err:?}");
    let tol = ctl(&state, &["tolerize", fx.path()]).expect("tolerize");
    assert_eq!(tol["status"], "training");
    let sens = ctl(&state, &["sensitize", fx.path()]).expect("sensitize");
    assert_eq!(sens["train_count"], 0);
    let export = state.join("phseq.export");
    ctl(&state, &["export", fx.path(), export.to_str().unwrap()]).expect("export");
    let saved = ctl(&state, &["save"]).expect("save");
    assert!(saved["saved"].as_u64().unwrap() >= 1);
    // One daemon per state directory.
    let second = Tracer::spawn(&[
        "daemon",
        "--state-dir",
        state.path().to_str().unwrap(),
        "--socket",
        state.join("other.sock").to_str().unwrap(),
    ]);
    let r = second.finish();
    r.assert_one_line_error(75, "another ai-forensics daemon uses");
    stop(d);

    // No daemon: the commands use the files; ps needs the daemon.
    let (code, msg) = ctl(&state, &["ps"]).unwrap_err();
    assert_eq!(code, 64);
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert_eq!(
        ctl(&state, &["settings", "get"]).unwrap()["anomaly_limit"],
        5
    );
    let other = TempDir::new("ph-import");
    let imported = ctl(&other, &["import", export.to_str().unwrap()]).expect("import");
    assert!(imported["profile"].as_str().unwrap().ends_with("/phseq"));
    assert_eq!(
        ctl(&other, &["profiles"])
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_corrupt_profile_is_skipped_and_kept_and_sigkill_never_breaks_a_save() {
    let fx = Fixture::build("phseq");
    let state = TempDir::new("ph-crash");
    let d = daemon(&state, &["--comm", "phseq"]);
    run(fx.path(), &["abcdefabcdef"]);
    stop(d);
    let bad = state.join("profiles/1-2.prof");
    std::fs::write(&bad, b"AIFPH not really a profile").unwrap();

    for round in 0..8 {
        // Saving every millisecond: the SIGKILL lands in or near a save.
        let d = daemon(&state, &["--comm", "phseq", "--save-interval", "1ms"]);
        run(fx.path(), &["abcdefabcdefghi"]);
        std::thread::sleep(Duration::from_millis(20 + 17 * round));
        d.signal(libc::SIGKILL);
        let r = d.finish();
        assert!(
            r.stderr.contains("skipped"),
            "the corrupt file was not reported: {}",
            r.stderr
        );
        let out = Command::new(BIN)
            .args([
                "profiles",
                "--json",
                "--state-dir",
                state.path().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(list.as_array().unwrap().len(), 1, "round {round}: {list}");
        assert_eq!(
            stderr.lines().filter(|l| l.contains("skipped")).count(),
            1,
            "round {round}: only the corrupt file may be skipped: {stderr}"
        );
        assert!(bad.exists(), "the corrupt file was deleted");
    }
}

#[test]
fn pid_scope_follows_a_running_process_and_commands_take_its_pid() {
    let fx = Fixture::build("sleeper");
    let mut bg = common::Background::start(fx.path(), &[]);
    let pid = bg.pid();
    let state = TempDir::new("ph-pid");
    let d = daemon(&state, &["--pid", &pid.to_string()]);
    std::thread::sleep(Duration::from_millis(300));
    // A signal handler runs and returns (a window of its own, then back).
    common::send_signal(pid, libc::SIGUSR1);
    std::thread::sleep(Duration::from_millis(300));
    let ps = ctl(&state, &["ps"]).expect("ps");
    let me = ps
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} not in ps: {ps}"));
    assert!(
        me["profile"].as_str().unwrap().ends_with("/sleeper"),
        "{me}"
    );
    assert!(me["count"].as_u64().unwrap() > 10, "{me}");
    assert_eq!(me["comm"], "sleeper");
    let n = ctl(&state, &["normalize", "--pid", &pid.to_string()]).expect("normalize --pid");
    assert_eq!(n["status"], "normal");
    let (events, _) = stop(d);
    check_schema(&events);
    bg.kill_with(libc::SIGKILL);
    let created = of_type(&events, "profile_created", "/sleeper");
    assert_eq!(created.len(), 1, "{events:#?}");
    assert!(
        events
            .iter()
            .all(|e| e["pid"].is_null() || e["pid"] == pid || e["ppid"] == pid),
        "events from outside the scope: {events:#?}"
    );
}

#[test]
fn a_full_profile_map_is_reported() {
    let fx = Fixture::build("phseq");
    let state = TempDir::new("ph-full");
    let script = format!("{} abc; {} abc", fx.path(), fx.path());
    let mut all = vec!["daemon", "--state-dir", state.path().to_str().unwrap()];
    all.extend(["--max-profiles", "1", "--", "/bin/sh", "-c", &script]);
    let mut d = Tracer::spawn(&all);
    d.wait_ready();
    let run = d.finish();
    run.assert_code(0);
    let events = common::parse_json_lines(&run.stdout);
    check_schema(&events);
    let full: Vec<&Value> = events.iter().filter(|e| e["type"] == "map_full").collect();
    assert_eq!(full.len(), 1, "reported once: {events:#?}");
    assert_eq!(full[0]["map"], "profiles");
    assert!(
        run.stderr.contains("maps full: profiles 2"),
        "{}",
        run.stderr
    );
}

/// A signal handler's calls get a window of their own, and after
/// rt_sigreturn the program's window goes on where it was.
#[test]
fn signal_handlers_get_their_own_window() {
    let fx = Fixture::build("phsig");
    let state = TempDir::new("ph-sig");
    let d = daemon(&state, &["--comm", "phsig", "--normal-wait", "0s"]);
    for _ in 0..8 {
        run(fx.path(), &["c", "d"]);
    }
    run(fx.path(), &["ci", "d"]); // sched_yield in the handler
    run(fx.path(), &["c", "i"]); // sched_yield after the handler
    let (events, _) = stop(d);
    let normal = events.iter().position(|e| e["type"] == "profile_normal");
    assert!(normal.is_some(), "never normal: {events:#?}");
    let windows: Vec<Vec<&str>> = of_type(&events, "anomaly", "/phsig")
        .into_iter()
        .filter(|a| a["syscall"] == "sched_yield")
        .map(|a| {
            a["window"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(windows.len(), 2, "{events:#?}");
    // In the handler: only the handler's own calls.
    assert_eq!(windows[0], ["sched_yield", "getuid"]);
    // After it: the program's calls before the signal, none of the handler's.
    assert_eq!(
        &windows[1][..4],
        ["sched_yield", "kill", "getpid", "getppid"]
    );
}

/// Two threads on two CPUs train one profile at once: the atomic counters
/// lose no call (the profile's count equals the calls `trace` saw).
#[test]
fn concurrent_updates_lose_nothing() {
    let fx = Fixture::build("phthreads");
    let state = TempDir::new("ph-threads");
    let trace_file = state.join("trace.jsonl");
    let d = daemon(&state, &["--comm", "phthreads"]);
    let mut t = Tracer::spawn(&[
        "trace",
        "--comm",
        "phthreads",
        "--raw",
        "-o",
        trace_file.to_str().unwrap(),
    ]);
    t.wait_ready();
    run(fx.path(), &[]);
    std::thread::sleep(Duration::from_millis(200));
    t.signal(libc::SIGINT);
    t.finish().assert_code(0);
    let traced = std::fs::read_to_string(&trace_file).unwrap();
    let calls = traced
        .lines()
        .filter(|l| l.contains(r#""type":"syscall""#))
        .count() as u64;
    assert!(calls > 400_000, "{calls} calls traced");
    assert!(
        !traced.contains(r#""type":"lost""#),
        "the trace lost events"
    );
    let shown = ctl(&state, &["profiles", "show", fx.path()]).expect("show");
    let (events, _) = stop(d);
    assert!(
        of_type(&events, "tolerize", "/phthreads").is_empty(),
        "{events:#?}"
    );
    assert_eq!(
        shown["train_count"], calls,
        "calls lost between CPUs: {shown}"
    );
}

/// The default scope: every process on the machine, never the daemon itself.
#[test]
fn whole_system_scope_learns_everything_but_itself() {
    let fx = Fixture::build("phseq");
    let state = TempDir::new("ph-all");
    let d = daemon(&state, &["--normal-wait", "0s"]);
    let me = d.pid();
    for _ in 0..3 {
        run(fx.path(), &["abcdef"]);
    }
    let (events, stderr) = stop(d);
    check_schema(&events);
    assert_eq!(
        of_type(&events, "profile_created", "/phseq").len(),
        1,
        "{stderr}"
    );
    assert_eq!(of_type(&events, "profile_assoc", "/phseq").len(), 3);
    assert!(
        events.iter().all(|e| e["pid"] != me),
        "the daemon learned itself"
    );
    assert!(!events
        .iter()
        .any(|e| e["type"] == "lost" || e["type"] == "map_full"));
}
