//! The pH control commands (ps, profiles, normalize, settings, export, ...): ask the daemon, or work on the state directory when none runs.
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::control::{self, ClientError, Request, Target};
use super::profile::{status_word, Profile, ProfileName, Settings};
use super::store::{self, Store};
use crate::cli::{Command, PhQuery, PhTarget, ProfilesAction, SettingsAction};
use crate::error::{user, Kind};

/// Pairs listed by `profiles show`.
const TOP_PAIRS: usize = 20;

fn target(t: &PhTarget) -> Target {
    match (t.pid, &t.profile) {
        (Some(pid), _) => Target::Pid(pid),
        (None, Some(p)) => Target::Profile(p.clone()),
        (None, None) => unreachable!("clap requires a profile or --pid"),
    }
}

/// Paths sent to the daemon are made absolute: it runs elsewhere.
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn request_of(cmd: Command) -> (PhQuery, Request) {
    match cmd {
        Command::Ps(q) => (q, Request::Ps),
        Command::Profiles { query, action } => match action {
            None | Some(ProfilesAction::List) => (query, Request::Profiles),
            Some(ProfilesAction::Show { profile }) => (query, Request::Show { profile }),
        },
        Command::Normalize(t) => {
            let target = target(&t);
            (t.query, Request::Normalize { target })
        }
        Command::Sensitize(t) => {
            let target = target(&t);
            (t.query, Request::Sensitize { target })
        }
        Command::Tolerize(t) => {
            let target = target(&t);
            (t.query, Request::Tolerize { target })
        }
        Command::Settings { query, action } => match action {
            SettingsAction::Get => (query, Request::SettingsGet),
            SettingsAction::Set { name, value } => (query, Request::SettingsSet { name, value }),
        },
        Command::Save(q) => (q, Request::Save),
        Command::Export {
            query,
            profile,
            file,
        } => (
            query,
            Request::Export {
                profile,
                file: absolute(&file),
            },
        ),
        Command::Import { query, file, force } => (
            query,
            Request::Import {
                file: absolute(&file),
                force,
            },
        ),
        Command::Trace(_)
        | Command::Daemon(_)
        | Command::Ph { .. }
        | Command::Probe { .. }
        | Command::BenchFloor { .. } => unreachable!("dispatched in main"),
    }
}

pub fn run(cmd: Command) -> anyhow::Result<u8> {
    let (query, req) = request_of(cmd);
    let socket = query
        .socket
        .clone()
        .unwrap_or_else(|| query.state_dir.join("control.sock"));
    let data = match control::request(&socket, &req) {
        Ok(resp) => resp.into_result(),
        Err(ClientError::NotRunning { .. }) => offline(&query.state_dir, &req),
        Err(e) => return Err(user(Kind::Permission, format!("{e}"))),
    }
    .map_err(|e| user(Kind::Usage, e))?;
    let mut text = if query.json {
        serde_json::to_string_pretty(&data).expect("JSON values serialize")
    } else {
        render(&req, &data)
    };
    text.push('\n');
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| user(Kind::Output, format!("writing the answer failed: {e}")))?;
    Ok(0)
}

/// The same commands on the state directory, when no daemon runs.
fn offline(dir: &Path, req: &Request) -> Result<Value, String> {
    let no_daemon = |what: &str| {
        format!(
            "{what} needs the running daemon, and none answers on its socket \
             (start it with `ai-forensics daemon`)"
        )
    };
    if !dir.is_dir() {
        return Err(format!(
            "no daemon is running and {} does not exist (start `ai-forensics daemon`, \
             or name its --state-dir)",
            dir.display()
        ));
    }
    let st = Store::open(dir).map_err(|e| format!("{e:#}"))?;
    let clock = store::Clock::now();
    let settings = st
        .load_settings()
        .map_err(|e| format!("{e:#}"))?
        .unwrap_or_default();
    let load = || -> Result<Vec<Profile>, String> {
        let report = st.load_all(clock).map_err(|e| format!("{e:#}"))?;
        for skipped in &report.skipped {
            eprintln!("ai-forensics: skipped {skipped}");
        }
        Ok(report.profiles)
    };
    let find = |name: &str| -> Result<Profile, String> {
        load()?
            .into_iter()
            .find(|p| ProfileName::new(name).matches(p.key, &p.path))
            .ok_or_else(|| format!("no profile for {name:?} in {}", dir.display()))
    };
    let modify = |target: &Target, f: fn(&mut Profile)| -> Result<Value, String> {
        let Target::Profile(name) = target else {
            return Err(no_daemon("a command by --pid"));
        };
        let mut p = find(name)?;
        f(&mut p);
        st.save(&p, clock).map_err(|e| format!("{e:#}"))?;
        Ok(summary_json(&p, &settings))
    };
    match req {
        Request::Ps => Err(no_daemon("ps")),
        Request::Save => Err(no_daemon("save")),
        Request::Profiles => Ok(Value::Array(
            load()?.iter().map(|p| summary_json(p, &settings)).collect(),
        )),
        Request::Show { profile } => Ok(show_json(&find(profile)?, &settings)),
        Request::Normalize { target } => modify(target, Profile::normalize),
        Request::Sensitize { target } => modify(target, Profile::sensitize),
        Request::Tolerize { target } => modify(target, Profile::tolerize),
        Request::SettingsGet => Ok(json!(settings)),
        Request::SettingsSet { name, value } => {
            let mut s = settings;
            set_setting(&mut s, name, value)?;
            st.save_settings(&s).map_err(|e| format!("{e:#}"))?;
            Ok(json!(s))
        }
        Request::Export { profile, file } => {
            let p = find(profile)?;
            store::export_profile(&p, file, clock).map_err(|e| format!("{e:#}"))?;
            Ok(json!({"exported": p.path, "file": file}))
        }
        Request::Import { file, force } => {
            let p = store::import_profile(file, clock).map_err(|e| format!("{e:#}"))?;
            let p = store::rekey_for_import(p, *force).map_err(|e| format!("{e:#}"))?;
            st.save(&p, clock).map_err(|e| format!("{e:#}"))?;
            Ok(summary_json(&p, &settings))
        }
    }
}

/// Changes one setting by name; durations take units (`0s`, `7d`).
pub fn set_setting(s: &mut Settings, name: &str, value: &str) -> Result<(), String> {
    let int = || {
        value
            .parse::<u64>()
            .map_err(|_| format!("{name}: {value:?} is not a whole number"))
    };
    match name {
        "normal_wait" => {
            let d = crate::cli::parse_duration(value)?;
            s.normal_wait_ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        }
        "normal_factor" => {
            let v = int()?;
            if v < super::profile::NORMAL_FACTOR_DEN {
                return Err(format!(
                    "normal_factor {v}: below {} a profile can never freeze",
                    super::profile::NORMAL_FACTOR_DEN
                ));
            }
            s.normal_factor = v;
        }
        "anomaly_limit" => s.anomaly_limit = int()?,
        "tolerize_limit" => s.tolerize_limit = int()?,
        _ => {
            return Err(format!(
            "unknown setting {name:?} (normal_wait, normal_factor, anomaly_limit, tolerize_limit)"
        ))
        }
    }
    Ok(())
}

/// A call by name for the kernel's profiles, by number for recorded ones (UNM).
fn call_name(p: &Profile, nr: u32) -> String {
    if p.alphabet == super::profile::KERNEL_ALPHABET {
        crate::output::syscall_name(nr, &mut String::new()).to_owned()
    } else {
        nr.to_string()
    }
}

/// A profile's counters, as `profiles` lists them.
pub fn summary_json(p: &Profile, settings: &Settings) -> Value {
    let (train_pairs, test_pairs) = p.pair_counts();
    json!({
        "profile": p.path,
        "key": p.key.to_string(),
        "status": status_word(p.normal, p.frozen(settings)),
        "train_count": p.train_count,
        "last_mod_at": p.last_mod_at,
        "anomalies": p.anomalies,
        "rows": p.rows.len(),
        "train_pairs": train_pairs,
        "test_pairs": test_pairs,
    })
}

/// `profiles show`: the counters and the pairs seen at the most distances.
pub fn show_json(p: &Profile, settings: &Settings) -> Value {
    let mut pairs: Vec<(u32, u32, u8, u8)> = p
        .rows
        .iter()
        .flat_map(|(&c0, row)| {
            row.train
                .iter()
                .zip(&row.test)
                .enumerate()
                .filter(|(_, (tr, te))| **tr != 0 || **te != 0)
                .map(move |(c1, (&tr, &te))| (c0, c1 as u32, tr, te))
        })
        .collect();
    pairs.sort_by_key(|&(c0, c1, tr, _)| (std::cmp::Reverse(tr.count_ones()), c0, c1));
    let top: Vec<Value> = pairs
        .iter()
        .take(TOP_PAIRS)
        .map(|&(c0, c1, tr, te)| {
            let at = |bits: u8| -> Vec<u32> {
                (0..8)
                    .filter(|i| bits & (1 << i) != 0)
                    .map(|i| i + 1)
                    .collect()
            };
            json!({"call": call_name(p, c0), "previous": call_name(p, c1),
                   "train_distances": at(tr), "test_distances": at(te)})
        })
        .collect();
    let mut v = summary_json(p, settings);
    v["pairs"] = json!(pairs.len());
    v["top_pairs"] = Value::Array(top);
    v
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

/// Human tables for the answers.
fn render(req: &Request, data: &Value) -> String {
    let table = |head: &[&str], keys: &[&str]| -> String {
        let rows: Vec<Vec<String>> = data
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|r| keys.iter().map(|k| s(&r[*k])).collect())
                    .collect()
            })
            .unwrap_or_default();
        let mut widths: Vec<usize> = head.iter().map(|h| h.len()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.len());
            }
        }
        let line = |cells: Vec<String>| -> String {
            let n = cells.len();
            cells
                .into_iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (c, w))| if i + 1 == n { c } else { format!("{c:<w$}") })
                .collect::<Vec<_>>()
                .join("  ")
        };
        let mut out = vec![line(head.iter().map(|h| h.to_string()).collect())];
        out.extend(rows.into_iter().map(line));
        out.join("\n")
    };
    match req {
        Request::Ps => table(
            &[
                "PID", "TID", "COMM", "STATUS", "CALLS", "LFC", "MAXLFC", "ANOM", "PROFILE",
            ],
            &[
                "pid",
                "tid",
                "comm",
                "status",
                "count",
                "lfc",
                "max_lfc",
                "anomalies",
                "profile",
            ],
        ),
        Request::Profiles => table(
            &["KEY", "STATUS", "CALLS", "PAIRS", "ANOM", "PROFILE"],
            &[
                "key",
                "status",
                "train_count",
                "train_pairs",
                "anomalies",
                "profile",
            ],
        ),
        Request::Show { .. } => {
            let mut out = Vec::new();
            for k in [
                "profile",
                "key",
                "status",
                "train_count",
                "last_mod_at",
                "anomalies",
                "rows",
                "train_pairs",
                "test_pairs",
            ] {
                out.push(format!("{k:<12} {}", s(&data[k])));
            }
            out.push("top pairs (call <- previous at distances):".into());
            for p in data["top_pairs"].as_array().into_iter().flatten() {
                out.push(format!(
                    "  {} <- {} at {}",
                    s(&p["call"]),
                    s(&p["previous"]),
                    s(&p["train_distances"])
                ));
            }
            out.join("\n")
        }
        Request::SettingsGet | Request::SettingsSet { .. } => data
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k:<16} {}", s(v)))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
        Request::Save => format!("saved {} profiles", s(&data["saved"])),
        Request::Export { .. } => {
            format!("exported {} to {}", s(&data["exported"]), s(&data["file"]))
        }
        Request::Normalize { .. }
        | Request::Sensitize { .. }
        | Request::Tolerize { .. }
        | Request::Import { .. } => {
            format!("{}: {}", s(&data["profile"]), s(&data["status"]))
        }
    }
}
