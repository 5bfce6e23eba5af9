//! Real output against `docs/events.schema.json`, and the text format's shape.
mod common;

use std::collections::BTreeSet;

use common::*;
use regex::Regex;
use serde_json::{json, Value};

fn validator() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.schema.json");
    let text = std::fs::read_to_string(path).expect("reading docs/events.schema.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft202012::new(&schema).expect("the schema compiles as JSON Schema 2020-12")
}

/// Validates every line; returns the set of event types seen.
fn validate_all(v: &jsonschema::Validator, stdout: &str) -> BTreeSet<String> {
    let mut types = BTreeSet::new();
    let mut bad = Vec::new();
    for (n, e) in parse_json_lines(stdout).iter().enumerate() {
        let errors: Vec<String> = v.iter_errors(e).map(|err| err.to_string()).collect();
        if !errors.is_empty() && bad.len() < 10 {
            bad.push(format!(
                "line {}: {e}\n    {}",
                n + 1,
                errors.join("\n    ")
            ));
        }
        types.insert(s(e, "type").to_string());
    }
    assert!(
        bad.is_empty(),
        "lines that break the schema:\n{}",
        bad.join("\n")
    );
    types
}

#[test]
fn the_validator_rejects_what_the_schema_forbids() {
    // Guards against a validator that accepts anything.
    let v = validator();
    let good = json!({"type":"syscall","seq":1,"time":"2026-01-01T00:00:00.123456789Z",
        "pid":1,"tid":1,"ppid":0,"uid":0,"comm":"x","syscall":"read","nr":0,
        "raw_args":["0x0","0x1","0x2"],"ret":0,"duration_ns":5});
    assert!(v.is_valid(&good), "{:?}", v.validate(&good).err());
    let mut extra = good.clone();
    extra["bogus"] = json!(1);
    assert!(!v.is_valid(&extra), "unknown field accepted");
    let mut no_duration = good.clone();
    no_duration.as_object_mut().unwrap().remove("duration_ns");
    assert!(
        !v.is_valid(&no_duration),
        "ret without duration_ns accepted"
    );
    let mut bad_time = good.clone();
    bad_time["time"] = json!("2026-01-01T00:00:00Z");
    assert!(!v.is_valid(&bad_time), "time without 9 digits accepted");
    assert!(!v.is_valid(&json!({"type":"lost","seq":3,"count":0})));
    assert!(v.is_valid(&json!({"type":"lost","seq":3,"count":2})));
}

#[test]
fn launch_output_matches_the_schema() {
    let v = validator();
    let forker = Fixture::build("forker");
    let run = trace_cmd(&[], &[forker.path()]);
    run.assert_code(5);
    let types = validate_all(&v, &run.stdout);
    for t in ["syscall", "exec", "fork", "exit"] {
        assert!(types.contains(t), "no {t} event to check: {types:?}");
    }
    // Signal exits and thread forks too.
    assert!(run.stdout.contains("\"signal\":\"SIGKILL\""));
    let threads = Fixture::build("threads");
    let run = trace_cmd(&[], &[threads.path(), "3", "2"]);
    run.assert_code(0);
    validate_all(&v, &run.stdout);
    assert!(run.stdout.contains("\"thread\":true"));
    // Decoded arguments of a real program (files, memory, signals,
    // sockets), and the -C summary at the end.
    let run = trace_cmd(
        &["-C", "-y"],
        &[
            "/usr/bin/python3",
            "-S",
            "-c",
            "import socket; socket.socket().close(); open('/etc/hostname').read()",
        ],
    );
    run.assert_code(0);
    let types = validate_all(&v, &run.stdout);
    assert!(types.contains("summary"), "{types:?}");
    assert!(run.stdout.contains("\"args\":{"));
}

#[test]
fn lost_records_match_the_schema() {
    let v = validator();
    let storm = Fixture::build("storm");
    let run = trace_cmd(
        &["--buffer-size", "4096", "--syscalls", "getppid"],
        &[storm.path(), "200000"],
    );
    run.assert_code(0);
    let types = validate_all(&v, &run.stdout);
    assert!(types.contains("lost"), "no lost record to check: {types:?}");
}

#[test]
fn attach_output_matches_the_schema() {
    let v = validator();
    let (mut tracer, mut sleeper, fork) = attach_and_fork(true);
    let child = u(&fork, "child_pid");
    tracer.wait_for_event("the child's exit", |e| {
        e["type"] == "exit" && e["pid"] == child
    });
    sleeper.kill_with(libc::SIGKILL);
    let run = tracer.finish();
    run.assert_code(0);
    validate_all(&v, &run.stdout);
}

#[test]
fn text_format_lines() {
    let fx = Fixture::build("known");
    let run = trace_cmd(&["--format", "text"], &[fx.path(), "4"]);
    run.assert_code(3);
    let syscall = Regex::new(r"^\d+ [a-z_0-9]+\(.*\) = ").unwrap();
    let lifecycle = Regex::new(r"^\d+ \+\+\+ .* \+\+\+$").unwrap();
    let exited = Regex::new(r"^\d+ \+\+\+ exited with 3 \+\+\+$").unwrap();
    let mut getppid = 0;
    let mut exits = 0;
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(!lines.is_empty());
    for l in &lines {
        assert!(
            syscall.is_match(l) || lifecycle.is_match(l),
            "text line neither a syscall nor a +++ line: {l:?}"
        );
        assert!(
            serde_json::from_str::<Value>(l).is_err(),
            "JSON in text mode: {l}"
        );
        if syscall.is_match(l) && l.split(' ').nth(1).unwrap().starts_with("getppid(") {
            getppid += 1;
        }
        if exited.is_match(l) {
            exits += 1;
        }
    }
    assert_eq!(getppid, 4, "getppid lines:\n{}", run.stdout);
    assert_eq!(exits, 1, "one exit line:\n{}", run.stdout);
    assert!(exited.is_match(lines.last().unwrap()), "exit line last");
    assert!(
        lines.iter().any(|l| l.contains(" = -1 ENOENT (")),
        "the failed open in strace style:\n{}",
        run.stdout
    );
    assert!(
        lines.iter().any(|l| l.contains("exit_group(3) = ?")),
        "{}",
        run.stdout
    );
}

#[test]
fn text_format_signals_and_forks() {
    let fx = Fixture::build("forker");
    let run = trace_cmd(&["--format", "text"], &[fx.path()]);
    run.assert_code(5);
    let out = &run.stdout;
    assert_eq!(out.matches("+++ new process ").count(), 4, "{out}");
    assert!(out.contains("+++ killed by SIGKILL +++"), "{out}");
    assert!(out.contains("+++ killed by SIGSEGV +++"), "{out}");
    assert!(out.contains("+++ exited with 7 +++"), "{out}");
    assert!(out.contains("+++ exited with 5 +++"), "{out}");
}
