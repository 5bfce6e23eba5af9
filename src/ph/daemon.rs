//! `ai-forensics daemon`: runs the kernel pH engine, writes its events as JSON lines, keeps profiles on disk, answers the control socket.
use std::collections::BTreeMap;
use std::io::Write;
use std::mem::MaybeUninit;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use libbpf_rs::OpenObject;
use serde_json::{json, Value};

use super::control::{Request, Response, Server, Target};
use super::profile::{self, status_word, Profile, ProfileKey, ProfileName, Settings};
use super::store::{self, Store};
use crate::capture::ring::Ring;
use crate::cli::DaemonArgs;
use crate::error::{user, Kind};
use crate::kernel::ph::{self as kph, Config, Scope};
use crate::kernel::ph_skel::{types, PhSkel};
use crate::kernel::{features::Features, loader, preflight};
use crate::launch;
use crate::output::clock::Clock;

/// How long the loop sleeps when nothing happens (events wake it at once).
const TICK: Duration = Duration::from_millis(100);
/// The same with a launched command, whose end the loop must notice soon.
const COMMAND_TICK: Duration = Duration::from_millis(10);

/// What user space knows of a profile id beyond the kernel's counters.
#[derive(Debug, Clone, Default)]
struct Meta {
    key: ProfileKey,
    path: String,
    exe_sha256: Option<[u8; 32]>,
}

/// The running daemon: the loaded programs and what it knows of them.
pub struct Daemon<'obj> {
    skel: PhSkel<'obj>,
    meta: BTreeMap<u32, Meta>,
    settings: Settings,
    store: Store,
    out: Box<dyn Write>,
    clock: Clock,
    lost_seen: u64,
}

fn name_of(nr: u32) -> String {
    crate::output::syscall_name(nr, &mut String::new()).to_owned()
}

fn event_name(kind: u32) -> &'static str {
    use types::ph_event_kind as K;
    match kind {
        k if k == K::PH_EV_ANOMALY.0 => "anomaly",
        k if k == K::PH_EV_CREATED.0 => "profile_created",
        k if k == K::PH_EV_ASSOC.0 => "profile_assoc",
        k if k == K::PH_EV_FROZEN.0 => "profile_frozen",
        k if k == K::PH_EV_NORMAL.0 => "profile_normal",
        k if k == K::PH_EV_TRAINING.0 => "profile_training",
        k if k == K::PH_EV_TOLERIZE.0 => "tolerize",
        k if k == K::PH_EV_FULL.0 => "map_full",
        _ => "unknown",
    }
}

fn open_output(args: &DaemonArgs) -> anyhow::Result<Box<dyn Write>> {
    match &args.output {
        None => Ok(Box::new(std::io::stdout())),
        Some(path) => {
            let f = crate::output::open_file(path, true)?;
            Ok(Box::new(f))
        }
    }
}

pub fn run(args: DaemonArgs) -> anyhow::Result<u8> {
    let pids = crate::scope::resolve_pids(&args.pid)?;
    let scope = if let Some(name) = &args.comm {
        Scope::Comm(crate::scope::comm_filter(name)?)
    } else if !pids.is_empty() || !args.command.is_empty() {
        Scope::Watched
    } else {
        Scope::All
    };
    preflight::check()?;
    if !Features::probe().bpf_loop {
        return Err(user(
            Kind::Unsupported,
            "the pH daemon needs the bpf_loop() helper (Linux 5.17 or later)",
        ));
    }
    loader::set_verbose(args.verbose);
    let store = Store::open(&args.state_dir).map_err(|e| {
        user(
            Kind::Output,
            format!(
                "cannot use the state directory {}: {e:#} (choose one with --state-dir)",
                args.state_dir.display()
            ),
        )
    })?;
    let _lock = store
        .lock()
        .map_err(|e| user(Kind::Busy, format!("{e:#}")))?;
    let settings = store
        .load_settings()?
        .unwrap_or_default()
        .overridden(&args.settings);
    store.save_settings(&settings)?;
    let loaded = store.load_all(store::Clock::now())?;
    for skipped in &loaded.skipped {
        eprintln!("ai-forensics: skipped {skipped}");
    }
    let out = open_output(&args)?;
    let socket_path = args
        .socket
        .clone()
        .unwrap_or_else(|| args.state_dir.join("control.sock"));
    let server = Server::bind(&socket_path)?;

    let cfg = Config {
        daemon_tgid: std::process::id(),
        scope,
        max_profiles: args.max_profiles,
        max_rows: args.max_rows,
    };
    let mut object = MaybeUninit::<OpenObject>::uninit();
    let skel = kph::load(&mut object, &cfg)?;
    let mut d = Daemon {
        skel,
        meta: BTreeMap::new(),
        settings,
        store,
        out,
        clock: Clock::new(),
        lost_seen: 0,
    };
    kph::set_settings(&mut d.skel, &d.settings);
    d.install(loaded.profiles)?;

    let held = if args.command.is_empty() {
        None
    } else {
        launch::become_subreaper()?;
        let child = launch::spawn_held(&args.command)?;
        child.wait_at_gate()?;
        kph::watch(&d.skel, child.pid, true)?;
        Some(child)
    };
    for &pid in &pids {
        kph::watch(&d.skel, pid, false)?;
    }
    // After the command is forked: it keeps its priority.
    crate::capture::priority::raise();
    kph::attach(&mut d.skel)?;

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let interrupted = Arc::clone(&interrupted);
        ctrlc::set_handler(move || interrupted.store(true, Ordering::SeqCst))
            .context("installing the Ctrl-C/SIGTERM handler")?;
    }
    let mut reaper = None;
    if let Some(child) = held {
        reaper = Some(launch::spawn_reaper(child.pid, || {})?);
        child.release()?;
    }
    eprintln!(
        "ai-forensics: pH daemon running: {} profiles loaded, state in {}, control socket {} \
         (Ctrl-C to stop)",
        d.meta.len(),
        args.state_dir.display(),
        socket_path.display()
    );

    let mut ring = Ring::of_map(d.skel.maps.events.as_fd())
        .context("setting up the pH ring buffer consumer")?;
    let mut batch = Vec::<Vec<u8>>::new();

    let mut next_save = Instant::now() + args.save_interval;
    let mut result = Ok(());
    loop {
        let done = interrupted.load(Ordering::SeqCst)
            || reaper
                .as_ref()
                .is_some_and(|(s, _)| s.all_gone.load(Ordering::SeqCst));
        if done {
            break;
        }
        ring.wait(if reaper.is_some() { COMMAND_TICK } else { TICK });
        batch.clear();
        ring.consume(usize::MAX, |r| batch.push(r.to_vec()));
        if let Err(e) = d.handle_records(&batch) {
            result = Err(e);
            break;
        }
        if let Err(e) = server.serve_pending(&mut |req| d.handle_request(req)) {
            eprintln!("ai-forensics: control socket: {e}");
        }
        if Instant::now() >= next_save {
            d.save_all();
            next_save = Instant::now() + args.save_interval;
        }
    }
    kph::detach(&mut d.skel);
    batch.clear();
    ring.consume(usize::MAX, |r| batch.push(r.to_vec()));
    if result.is_ok() {
        result = d.handle_records(&batch);
    }
    let saved = d.save_all();
    let c = kph::counters(&d.skel);
    eprintln!(
        "ai-forensics: pH daemon stopped: {saved} profiles saved, {} events, {} lost, \
         maps full: profiles {} rows {} tasks {}",
        c.events, c.lost, c.profiles_full, c.rows_full, c.tasks_full
    );
    if let Err(e) = result {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(user(Kind::Output, format!("writing events failed: {e}")));
        }
        return Ok(128 + libc::SIGPIPE as u8);
    }
    match reaper {
        Some((state, handle)) if state.all_gone.load(Ordering::SeqCst) => {
            let _ = handle.join();
            Ok(launch::exit_code_of(state.status.load(Ordering::SeqCst)))
        }
        Some(_) => Ok(130),
        None => Ok(0),
    }
}

impl Daemon<'_> {
    /// Puts the profiles from disk into the kernel, ids 0.., before attach.
    fn install(&mut self, profiles: Vec<Profile>) -> anyhow::Result<()> {
        let max = kph::max_profiles(&self.skel) as usize;
        if profiles.len() > max {
            return Err(user(
                Kind::Usage,
                format!(
                    "{} profiles on disk but --max-profiles is {max}: raise it",
                    profiles.len()
                ),
            ));
        }
        for (id, p) in profiles.iter().enumerate() {
            self.put(id as u32, p)?;
        }
        kph::reserve_ids(&mut self.skel, self.meta.len() as u32);
        Ok(())
    }

    /// Writes a profile into the kernel as `id`, and remembers its name.
    fn put(&mut self, id: u32, p: &Profile) -> anyhow::Result<()> {
        kph::write_profile(&self.skel, id, p)?;
        self.meta.insert(
            id,
            Meta {
                key: p.key,
                path: p.path.clone(),
                exe_sha256: p.exe_sha256,
            },
        );
        Ok(())
    }

    fn emit(&mut self, v: &Value) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(v).expect("JSON values serialize");
        line.push(b'\n');
        self.out.write_all(&line)?;
        self.out.flush()
    }

    fn time(&mut self, ts: u64) -> String {
        let mut b = Vec::with_capacity(40);
        self.clock.write_rfc3339(ts, &mut b);
        String::from_utf8_lossy(&b).into_owned()
    }

    fn handle_records(&mut self, records: &[Vec<u8>]) -> std::io::Result<()> {
        for r in records {
            let mut e = types::ph_event::default();
            let head = std::mem::offset_of!(types::ph_event, path);
            if r.len() < head {
                continue;
            }
            let n = r.len().min(std::mem::size_of::<types::ph_event>());
            // SAFETY: `ph_event` is a C struct of integers: any bytes are valid.
            let bytes = unsafe { plain::as_mut_bytes(&mut e) };
            bytes[..n].copy_from_slice(&r[..n]);
            let v = self.event_json(&e);
            self.emit(&v)?;
        }
        let lost = kph::counters(&self.skel).lost;
        if lost > self.lost_seen {
            let v = json!({"type": "lost", "count": lost - self.lost_seen, "total": lost});
            self.lost_seen = lost;
            self.emit(&v)?;
        }
        Ok(())
    }

    /// Records what a profile event teaches about the profile, and returns its path.
    fn learn(&mut self, e: &types::ph_event) -> String {
        use types::ph_event_kind as K;
        let key = ProfileKey {
            dev: e.key.dev,
            ino: e.key.ino,
        };
        let path_len = usize::from(e.path_len).min(e.path.len());
        let sent: String = String::from_utf8_lossy(
            &e.path[..path_len]
                .iter()
                .map(|&c| c as u8)
                .collect::<Vec<u8>>(),
        )
        .into_owned();
        let created = e.kind == K::PH_EV_CREATED.0;
        let has_path = (created || e.kind == K::PH_EV_ASSOC.0)
            && e.hdr.flags & (types::ph_event_flags::PH_F_NO_PATH.0 as u16) == 0;
        let meta = self.meta.entry(e.profile).or_default();
        if created || meta.path.is_empty() {
            meta.key = key;
        }
        // A path as exec'd may be relative; a process running before the
        // daemon has none. Its executable, while it lives, says it whole.
        let from_proc = || {
            std::fs::read_link(format!("/proc/{}/exe", e.hdr.pid))
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        };
        if has_path && sent.starts_with('/') {
            meta.path = sent;
        } else if has_path && !sent.is_empty() {
            meta.path = from_proc().unwrap_or(sent);
        } else if meta.path.is_empty() {
            meta.path = from_proc().unwrap_or_default();
        }
        meta.path.clone()
    }

    fn event_json(&mut self, e: &types::ph_event) -> Value {
        use types::ph_event_kind as K;
        let kind = event_name(e.kind);
        let time = self.time(e.hdr.ts_ns);
        if e.kind == K::PH_EV_FULL.0 {
            let map = match e.nr {
                n if n == types::ph_full::PH_FULL_PROFILES.0 => "profiles",
                n if n == types::ph_full::PH_FULL_ROWS.0 => "rows",
                _ => "tasks",
            };
            return json!({"type": kind, "seq": e.hdr.seq, "time": time, "map": map,
                "remedy": "raise --max-profiles / --max-rows, or monitor a smaller scope"});
        }
        let path = self.learn(e);
        let key = ProfileKey {
            dev: e.key.dev,
            ino: e.key.ino,
        }
        .to_string();
        let mut v = json!({
            "type": kind,
            "seq": e.hdr.seq,
            "time": time,
            "profile": path,
            "profile_key": key,
            "pid": e.hdr.pid,
            "tid": e.hdr.tid,
            "ppid": e.hdr.ppid,
            "uid": e.hdr.uid,
            "comm": String::from_utf8_lossy(crate::decode::comm_bytes(&e.hdr.comm)),
            "train_count": e.train_count,
        });
        let m = v.as_object_mut().expect("an object");
        if e.kind == K::PH_EV_ANOMALY.0 {
            let len = (e.window_len as usize).min(e.window.len());
            let window: Vec<String> = e.window[..len]
                .iter()
                .map(|&n| name_of(u32::from(n)))
                .collect();
            m.insert("executable".into(), json!(path));
            m.insert("syscall".into(), json!(name_of(e.nr)));
            m.insert("nr".into(), json!(e.nr));
            m.insert("misses".into(), json!(e.misses));
            m.insert("lfc".into(), json!(e.lfc));
            m.insert("count".into(), json!(e.count));
            m.insert("window".into(), json!(window));
            m.insert("profile_anomalies".into(), json!(e.anomalies));
        }
        if e.hdr.flags & (types::ph_event_flags::PH_F_PATH_TRUNC.0 as u16) != 0 {
            m.insert("path_truncated".into(), json!(true));
        }
        v
    }

    /// Saves every profile; returns how many were written.
    fn save_all(&mut self) -> usize {
        let clock = store::Clock::now();
        let mut profiles = Vec::with_capacity(self.meta.len());
        for (&id, meta) in &self.meta {
            match kph::read_profile(&self.skel, id, &meta.path) {
                Ok(Some(mut p)) => {
                    p.exe_sha256 = meta.exe_sha256;
                    profiles.push(p);
                }
                Ok(None) => {}
                Err(e) => eprintln!("ai-forensics: reading profile {}: {e:#}", meta.path),
            }
        }
        let report = self.store.save_all(&profiles, clock);
        for (key, e) in &report.failed {
            eprintln!("ai-forensics: saving profile {key}: {e:#}");
        }
        if let Some(e) = &report.sync_error {
            eprintln!("ai-forensics: saving profiles: {e:#}");
        }
        report.saved
    }

    /// The id of a profile named by path or DEV:INO.
    fn find(&self, name: &str) -> Option<u32> {
        let name = ProfileName::new(name);
        self.meta
            .iter()
            .find(|(_, m)| name.matches(m.key, &m.path))
            .map(|(&id, _)| id)
    }

    fn target_id(&self, target: &Target) -> Result<u32, String> {
        match target {
            Target::Profile(name) => self
                .find(name)
                .ok_or_else(|| format!("no profile for {name:?}")),
            Target::Pid(pid) => kph::task(&self.skel, *pid)
                .filter(|t| t.profile > 0)
                .map(|t| t.profile - 1)
                .ok_or_else(|| format!("pid {pid} is not monitored")),
        }
    }

    fn profile(&self, id: u32) -> Result<Profile, String> {
        let path = self
            .meta
            .get(&id)
            .map(|m| m.path.clone())
            .unwrap_or_default();
        kph::read_profile(&self.skel, id, &path)
            .map_err(|e| format!("{e:#}"))?
            .ok_or_else(|| format!("profile {id} does not exist"))
    }

    fn ps(&self) -> Value {
        let mut rows = Vec::new();
        for (tid, t) in kph::tasks(&self.skel) {
            if t.profile == 0 {
                continue;
            }
            let id = t.profile - 1;
            let status = std::fs::read_to_string(format!("/proc/{tid}/status")).unwrap_or_default();
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            let (path, state) = match self.profile_header(id) {
                Some((path, state, anomalies)) => {
                    (path, json!({"status": state, "anomalies": anomalies}))
                }
                None => (String::new(), json!({})),
            };
            rows.push(json!({
                "pid": field("Tgid:").parse::<u32>().unwrap_or(tid),
                "tid": tid,
                "comm": field("Name:"),
                "profile": path,
                "status": state["status"],
                "count": t.count,
                "lfc": t.lfc,
                "max_lfc": t.max_lfc,
                "anomalies": state["anomalies"],
            }));
        }
        Value::Array(rows)
    }

    /// A profile's executable, status and anomalies, from its counters alone.
    fn profile_header(&self, id: u32) -> Option<(String, &'static str, u64)> {
        let h = kph::header(&self.skel, id).ok()??;
        let normal = h.status == (types::ph_status::PH_NORMAL.0 as u64);
        let path = self
            .meta
            .get(&id)
            .map(|m| m.path.clone())
            .unwrap_or_default();
        let frozen = profile::frozen(h.train_count, h.last_mod_at, &self.settings);
        Some((path, status_word(normal, frozen), h.anomalies))
    }

    /// Applies a command to a profile in the kernel.
    fn command(&self, target: &Target, f: fn(&mut Profile)) -> Result<Value, String> {
        let id = self.target_id(target)?;
        let mut p = self.profile(id)?;
        f(&mut p);
        kph::write_profile(&self.skel, id, &p).map_err(|e| format!("{e:#}"))?;
        Ok(super::commands::summary_json(&p, &self.settings))
    }

    fn handle_request(&mut self, req: Request) -> Response {
        let result = match req {
            Request::Ps => Ok(self.ps()),
            Request::Profiles => {
                let ids: Vec<u32> = self.meta.keys().copied().collect();
                Ok(Value::Array(
                    ids.into_iter()
                        .filter_map(|id| self.profile(id).ok())
                        .map(|p| super::commands::summary_json(&p, &self.settings))
                        .collect(),
                ))
            }
            Request::Show { profile } => self
                .find(&profile)
                .ok_or_else(|| format!("no profile for {profile:?}"))
                .and_then(|id| self.profile(id))
                .map(|p| super::commands::show_json(&p, &self.settings)),
            Request::Normalize { target } => self.command(&target, Profile::normalize),
            Request::Sensitize { target } => self.command(&target, Profile::sensitize),
            Request::Tolerize { target } => self.command(&target, Profile::tolerize),
            Request::SettingsGet => Ok(json!(self.settings)),
            Request::SettingsSet { name, value } => {
                super::commands::set_setting(&mut self.settings, &name, &value).and_then(|()| {
                    kph::set_settings(&mut self.skel, &self.settings);
                    self.store
                        .save_settings(&self.settings)
                        .map_err(|e| format!("{e:#}"))?;
                    Ok(json!(self.settings))
                })
            }
            Request::Save => Ok(json!({"saved": self.save_all()})),
            Request::Export { profile, file } => self
                .find(&profile)
                .ok_or_else(|| format!("no profile for {profile:?}"))
                .and_then(|id| self.profile(id))
                .and_then(|p| {
                    store::export_profile(&p, &file, store::Clock::now())
                        .map_err(|e| format!("{e:#}"))?;
                    Ok(json!({"exported": p.path, "file": file}))
                }),
            Request::Import { file, force } => self.import(&file, force),
        };
        match result {
            Ok(data) => Response::ok(data),
            Err(e) => Response::error(e),
        }
    }

    /// Adds (or replaces) a profile from an exported file.
    fn import(&mut self, file: &std::path::Path, force: bool) -> Result<Value, String> {
        let p = store::import_profile(file, store::Clock::now()).map_err(|e| format!("{e:#}"))?;
        let p = store::rekey_for_import(p, force).map_err(|e| format!("{e:#}"))?;
        let id = match self.meta.iter().find(|(_, m)| m.key == p.key) {
            Some((&id, _)) => id,
            None => self.claim_id()?,
        };
        self.put(id, &p).map_err(|e| format!("{e:#}"))?;
        Ok(super::commands::summary_json(&p, &self.settings))
    }

    /// A fresh profile id, taken from the kernel's counter.
    fn claim_id(&mut self) -> Result<u32, String> {
        let bss = self.skel.maps.bss_data.as_deref_mut().ok_or("no .bss")?;
        // SAFETY: an aligned u64 in the live .bss mapping; the kernel takes
        // ids with atomic adds, and so do we.
        let id = unsafe {
            let p = &mut bss.next_profile as *mut u64;
            (*(p as *const std::sync::atomic::AtomicU64)).fetch_add(1, Ordering::SeqCst)
        };
        let max = kph::max_profiles(&self.skel);
        u32::try_from(id)
            .ok()
            .filter(|&id| id < max)
            .ok_or_else(|| "the profile map is full (raise --max-profiles)".to_owned())
    }
}
