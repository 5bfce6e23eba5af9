//! `ai-forensics ph eval` and `ph replay`: the user-space pH engine run over recorded traces.
//!
//! `eval` trains on one set of traces with `normal_wait` infinite, normalizes
//! the profiles, then runs every test trace on its own copy of them and
//! reports detection (traces with an anomaly), anomalous calls and LFCs.
//! `replay` runs traces in order through one engine from empty profiles and
//! writes every event. Both follow docs/ph.md "Recorded traces".
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use super::engine::{Engine, Event};
use super::profile::Settings;
use super::traces::{self, Op, Trace};
use crate::cli::{PhEvalArgs, PhReplayArgs, TraceFormat};
use crate::error::{user, Kind};

/// Runs one trace, appending its events; tasks do not outlive the trace.
/// `clock` counts calls and is the clock of traces without recorded times.
/// Returns the calls the engine processed.
fn run_trace(engine: &mut Engine, trace: &Trace, clock: &mut u64, events: &mut Vec<Event>) -> u64 {
    let mut processed = 0;
    for op in &trace.ops {
        match op {
            Op::Exec { tid, profile } => {
                let id = engine.profile_id(profile);
                engine.exec(*tid, id);
            }
            Op::Fork { parent, child } => engine.fork(*parent, *child),
            Op::Exit { tid } => engine.exit(*tid),
            &Op::Call { tid, nr, at } => {
                *clock += 1;
                let now = if trace.timed { at } else { *clock };
                if engine.call(tid, nr, now, events) {
                    processed += 1;
                }
            }
        }
    }
    engine.clear_tasks();
    processed
}

/// Reads the traces at each path (directories in file-name order).
fn read_all(paths: &[PathBuf], format: TraceFormat) -> Result<Vec<Trace>> {
    let mut out = Vec::new();
    for path in paths {
        for file in traces::list(path)? {
            out.push(traces::read(&file, format)?);
        }
    }
    Ok(out)
}

/// The syscall numbers' names in events: this architecture's for
/// `ai-forensics trace` output, the number itself for UNM.
fn syscall_name(format: TraceFormat, nr: u32) -> String {
    match format {
        TraceFormat::Unm => nr.to_string(),
        TraceFormat::Jsonl => crate::output::syscall_name(nr, &mut String::new()).to_owned(),
    }
}

/// One engine event as a JSON line.
#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tid: Option<u32>,
    profile: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    syscall: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nr: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    misses: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lfc: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window: Option<Vec<String>>,
    /// The trace file (eval only).
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
}

/// Writes events as JSON lines, naming syscalls for the trace format.
struct EventWriter {
    out: Box<dyn Write>,
    format: TraceFormat,
    /// Where the events go, for error messages.
    name: String,
}

impl EventWriter {
    /// Events to `path`, or stdout.
    fn create(path: Option<&Path>, format: TraceFormat) -> Result<Self> {
        let (out, name): (Box<dyn Write>, String) = match path {
            Some(p) => {
                let file = File::create(p).map_err(|e| {
                    user(Kind::Output, format!("cannot create {}: {e}", p.display()))
                })?;
                (Box::new(BufWriter::new(file)), p.display().to_string())
            }
            None => (Box::new(BufWriter::new(io::stdout())), "stdout".into()),
        };
        Ok(EventWriter { out, format, name })
    }

    fn write(&mut self, events: &[Event], trace: Option<&Path>) -> Result<()> {
        let trace = trace.map(|t| t.display().to_string());
        for event in events {
            let mut line = EventLine {
                kind: event.kind(),
                tid: None,
                profile: event.profile(),
                syscall: None,
                nr: None,
                misses: None,
                lfc: None,
                count: None,
                window: None,
                trace: trace.clone(),
            };
            if let Event::Anomaly(a) = event {
                line.tid = Some(a.tid);
                line.syscall = Some(syscall_name(self.format, a.nr));
                line.nr = Some(a.nr);
                line.misses = Some(a.misses);
                line.lfc = Some(a.lfc);
                line.count = Some(a.count);
                line.window = Some(
                    a.window
                        .iter()
                        .map(|&nr| syscall_name(self.format, nr))
                        .collect(),
                );
            }
            serde_json::to_writer(&mut self.out, &line)
                .map_err(io::Error::from)
                .and_then(|()| self.out.write_all(b"\n"))
                .map_err(|e| self.error(e))?;
        }
        Ok(())
    }

    fn error(&self, e: io::Error) -> anyhow::Error {
        user(Kind::Output, format!("writing {}: {e}", self.name))
    }

    fn finish(mut self) -> Result<()> {
        self.out.flush().map_err(|e| self.error(e))
    }
}

/// `ph replay`: traces in order through one engine from empty profiles, every event written.
pub fn replay(args: &PhReplayArgs) -> Result<u8> {
    // Recorded traces never wait a week: without --normal-wait, never normal.
    let settings = Settings {
        normal_wait_ns: u64::MAX,
        ..Settings::default()
    }
    .overridden(&args.settings);
    let all = read_all(&args.traces, args.format)?;
    let alphabet = all.iter().map(Trace::alphabet).max().unwrap_or(0);
    let mut engine =
        Engine::new(settings, alphabet).with_rt_sigreturn(traces::rt_sigreturn(args.format));
    let mut out = EventWriter::create(args.output.as_deref(), args.format)?;
    let mut clock = 0;
    let mut events = Vec::new();
    for trace in &all {
        run_trace(&mut engine, trace, &mut clock, &mut events);
        out.write(&events, None)?;
        events.clear();
    }
    out.finish()?;
    Ok(0)
}

/// Results of one test trace.
#[derive(Debug, Clone, Serialize)]
struct TraceResult {
    trace: String,
    calls: u64,
    anomalous_calls: u64,
    max_lfc: u32,
}

/// Results of one `--test` set.
#[derive(Debug, Clone, Serialize)]
struct SetResult {
    path: String,
    skipped: usize,
    traces: usize,
    calls: u64,
    /// Traces with at least one anomaly.
    detected: usize,
    anomalous_calls: u64,
    /// Anomalous calls per call (0 without calls).
    rate: f64,
    max_lfc: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    per_trace: Vec<TraceResult>,
}

impl SetResult {
    fn new(path: &Path, skipped: usize, results: Vec<TraceResult>) -> Self {
        let calls = results.iter().map(|r| r.calls).sum();
        let anomalous_calls = results.iter().map(|r| r.anomalous_calls).sum();
        SetResult {
            path: path.display().to_string(),
            skipped,
            traces: results.len(),
            calls,
            detected: results.iter().filter(|r| r.anomalous_calls > 0).count(),
            anomalous_calls,
            rate: if calls == 0 {
                0.0
            } else {
                anomalous_calls as f64 / calls as f64
            },
            max_lfc: results.iter().map(|r| r.max_lfc).max().unwrap_or(0),
            per_trace: results,
        }
    }
}

/// A trained profile, for the report.
#[derive(Debug, Clone, Serialize)]
struct ProfileSummary {
    profile: String,
    train_count: u64,
    last_mod_at: u64,
    frozen: bool,
    pairs: u64,
}

#[derive(Debug, Clone, Serialize)]
struct TrainResult {
    path: String,
    traces: usize,
    calls: u64,
    profiles: Vec<ProfileSummary>,
}

#[derive(Debug, Clone, Serialize)]
struct SettingsReport {
    normal_factor: u64,
    anomaly_limit: u64,
    tolerize_limit: u64,
}

#[derive(Debug, Clone, Serialize)]
struct Report {
    alphabet: usize,
    settings: SettingsReport,
    train: TrainResult,
    tests: Vec<SetResult>,
}

/// Runs `trace` on a copy of the trained profiles, appending its events.
fn test_trace(trained: &Engine, trace: &Trace, events: &mut Vec<Event>) -> TraceResult {
    let mut engine = trained.without_tasks();
    let calls = run_trace(&mut engine, trace, &mut 0, events);
    let (anomalous_calls, max_lfc) = events
        .iter()
        .filter_map(|e| match e {
            Event::Anomaly(a) => Some(a.lfc),
            _ => None,
        })
        .fold((0, 0), |(n, max), lfc| (n + 1, max.max(lfc)));
    TraceResult {
        trace: trace.path.display().to_string(),
        calls,
        anomalous_calls,
        max_lfc,
    }
}

/// Whether `a` and `b` name the same file or directory.
fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// A `--test` set: its path, the traces skipped, and the traces read.
type TestSet<'a> = (&'a PathBuf, usize, Vec<Trace>);

/// Reads eval's training traces (the first `--train-count`) and test sets.
fn read_eval_traces(args: &PhEvalArgs) -> Result<(Vec<Trace>, Vec<TestSet<'_>>)> {
    let mut train_files = traces::list(&args.train)?;
    if let Some(n) = args.train_count {
        if n > train_files.len() {
            return Err(user(
                Kind::Usage,
                format!(
                    "--train-count {n}: {} holds only {} traces",
                    args.train.display(),
                    train_files.len()
                ),
            ));
        }
        train_files.truncate(n);
    }
    if train_files.is_empty() {
        bail!("no traces to train on in {}", args.train.display());
    }
    let train = train_files
        .iter()
        .map(|f| traces::read(f, args.format))
        .collect::<Result<Vec<_>>>()?;
    let mut tests = Vec::new();
    for path in &args.test {
        let skip = if same_path(path, &args.train) {
            args.test_skip
        } else {
            0
        };
        let files = traces::list(path)?;
        let set = files
            .iter()
            .skip(skip)
            .map(|f| traces::read(f, args.format))
            .collect::<Result<Vec<_>>>()?;
        tests.push((path, skip, set));
    }
    if args.test_skip > 0 && tests.iter().all(|(_, skip, _)| *skip == 0) {
        eprintln!(
            "ai-forensics: --test-skip ignored: no --test set is the --train directory {}",
            args.train.display()
        );
    }
    Ok((train, tests))
}

/// Writes the report to stdout: a table, or one JSON document.
fn print_report(report: &Report, json: bool) -> Result<()> {
    let mut stdout = io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut stdout, report)
            .map_err(io::Error::from)
            .and_then(|()| writeln!(stdout))
    } else {
        write_table(&mut stdout, report)
    };
    written
        .and_then(|()| stdout.flush())
        .context("writing stdout")?;
    Ok(())
}

/// `ph eval`: train, normalize, then test each trace on its own copy of the profiles.
///
/// `--test-skip N` skips the first N traces of the `--test` sets that are the
/// `--train` directory (the traces trained on); other sets are tested whole,
/// so that `--train normal --train-count 1801 --test normal --test-skip 1801
/// --test anomaly` tests the held-out normal traces and every attack.
pub fn run(args: &PhEvalArgs) -> Result<u8> {
    let defaults = Settings::default();
    let settings = Settings {
        normal_wait_ns: u64::MAX,
        anomaly_limit: args.anomaly_limit.unwrap_or(defaults.anomaly_limit),
        tolerize_limit: args.tolerize_limit.unwrap_or(defaults.tolerize_limit),
        ..defaults
    };

    let (train, tests) = read_eval_traces(args)?;
    let alphabet = train
        .iter()
        .chain(tests.iter().flat_map(|(_, _, set)| set))
        .map(Trace::alphabet)
        .max()
        .unwrap_or(0);

    let mut out = args
        .events
        .as_deref()
        .map(|p| EventWriter::create(Some(p), args.format))
        .transpose()?;
    let mut events = Vec::new();
    let mut engine =
        Engine::new(settings, alphabet).with_rt_sigreturn(traces::rt_sigreturn(args.format));
    let mut clock = 0;
    let mut train_calls = 0;
    for trace in &train {
        train_calls += run_trace(&mut engine, trace, &mut clock, &mut events);
        if let Some(out) = &mut out {
            out.write(&events, Some(&trace.path))?;
        }
        events.clear();
    }
    let profiles = engine
        .profiles()
        .iter()
        .map(|p| ProfileSummary {
            profile: p.path.clone(),
            train_count: p.train_count,
            last_mod_at: p.last_mod_at,
            frozen: p.frozen(&settings),
            pairs: p.pair_counts().0,
        })
        .collect();
    for id in 0..engine.profiles().len() {
        engine.normalize(id);
    }

    let mut sets = Vec::new();
    for (path, skip, set) in &tests {
        let mut results = Vec::new();
        for trace in set {
            results.push(test_trace(&engine, trace, &mut events));
            if let Some(out) = &mut out {
                out.write(&events, Some(&trace.path))?;
            }
            events.clear();
        }
        sets.push(SetResult::new(path, *skip, results));
    }
    if let Some(out) = out {
        out.finish()?;
    }

    let report = Report {
        alphabet,
        settings: SettingsReport {
            normal_factor: settings.normal_factor,
            anomaly_limit: settings.anomaly_limit,
            tolerize_limit: settings.tolerize_limit,
        },
        train: TrainResult {
            path: args.train.display().to_string(),
            traces: train.len(),
            calls: train_calls,
            profiles,
        },
        tests: sets,
    };
    print_report(&report, args.json)?;
    Ok(0)
}

/// The human-readable report.
fn write_table(out: &mut impl Write, r: &Report) -> io::Result<()> {
    writeln!(
        out,
        "alphabet {} syscalls; normal_factor {}, anomaly_limit {}, tolerize_limit {}",
        r.alphabet, r.settings.normal_factor, r.settings.anomaly_limit, r.settings.tolerize_limit
    )?;
    writeln!(
        out,
        "trained on {} traces of {}: {} calls",
        r.train.traces, r.train.path, r.train.calls
    )?;
    for p in &r.train.profiles {
        writeln!(
            out,
            "  profile {}: {} pairs, last new pair at call {} of {}{}",
            p.profile,
            p.pairs,
            p.last_mod_at,
            p.train_count,
            if p.frozen {
                " (frozen)"
            } else {
                " (not frozen)"
            }
        )?;
    }
    writeln!(out)?;
    let header = [
        "test set",
        "skipped",
        "traces",
        "calls",
        "detected",
        "anomalous",
        "rate",
        "max LFC",
    ];
    let rows: Vec<[String; 8]> = r
        .tests
        .iter()
        .map(|s| {
            [
                s.path.clone(),
                s.skipped.to_string(),
                s.traces.to_string(),
                s.calls.to_string(),
                s.detected.to_string(),
                s.anomalous_calls.to_string(),
                format!("{:.2e}", s.rate),
                s.max_lfc.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == 0 {
                text.push_str(&format!("{cell:<w$}"));
            } else {
                text.push_str(&format!("  {cell:>w$}"));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &header)?;
    for row in &rows {
        line(out, &row.each_ref().map(String::as_str))?;
    }
    Ok(())
}
