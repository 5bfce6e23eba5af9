//! The user-space pH engine: docs/ph.md's per-call algorithm over profiles and tasks.
//!
//! [`Engine::call`] follows docs/ph.md "One call `c0` by a task at time
//! `now`" step by step (test, locality frame, anomaly limit, tolerize,
//! train, freeze/normal, window move), so that a call sequence replayed here
//! gives the same events as the kernel engine (bpf/ph.bpf.c).
//!
//! Profiles are identified by a [`ProfileId`] and named by their `path`
//! (an executable's path, or any name for recorded traces); tasks by tid.
use std::collections::HashMap;

use super::profile::{Profile, ProfileKey, Row, Settings, FRAMES, HISTORY, LFC_SIZE};

/// Index of a profile in its [`Engine`].
pub type ProfileId = usize;

// The locality frame is one `u128` of bits.
const _: () = assert!(LFC_SIZE == 128);

/// What the engine reports, each with the name of the profile concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A call of a normal profile's task with at least one unknown pair.
    Anomaly(Anomaly),
    /// The profile froze (learned nothing new for long enough).
    ProfileFrozen { profile: String },
    /// The profile's testing data came into force.
    ProfileNormal { profile: String },
    /// A normal profile had too many anomalies and went back to training.
    ProfileTraining { profile: String },
    /// A task's LFC exceeded the tolerize limit: the training data were reset.
    Tolerize { profile: String },
}

/// One anomalous call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub profile: String,
    pub tid: u32,
    /// The call `c0`.
    pub nr: u32,
    /// Pairs `(c0, win[i])` missing from the testing data.
    pub misses: u32,
    /// The task's LFC including this call.
    pub lfc: u32,
    /// The task's calls processed, this one included.
    pub count: u64,
    /// The call and the ones before it, current first.
    pub window: Vec<u32>,
}

impl Event {
    /// The event's `type` name in JSON output (`anomaly`, `profile_frozen`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Anomaly(_) => "anomaly",
            Event::ProfileFrozen { .. } => "profile_frozen",
            Event::ProfileNormal { .. } => "profile_normal",
            Event::ProfileTraining { .. } => "profile_training",
            Event::Tolerize { .. } => "tolerize",
        }
    }

    /// The name of the profile concerned.
    pub fn profile(&self) -> &str {
        match self {
            Event::Anomaly(a) => &a.profile,
            Event::ProfileFrozen { profile }
            | Event::ProfileNormal { profile }
            | Event::ProfileTraining { profile }
            | Event::Tolerize { profile } => profile,
        }
    }
}

/// The last [`HISTORY`] calls of one signal frame, most recent first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Window {
    calls: [u32; HISTORY],
    len: usize,
}

impl Window {
    fn calls(&self) -> &[u32] {
        &self.calls[..self.len]
    }

    /// `hist := [c0] + hist[0..7]`.
    fn push(&mut self, c0: u32) {
        self.calls.copy_within(0..HISTORY - 1, 1);
        self.calls[0] = c0;
        self.len = (self.len + 1).min(HISTORY);
    }
}

/// One thread's pH state.
#[derive(Debug, Clone)]
pub struct Task {
    profile: ProfileId,
    windows: [Window; FRAMES],
    nest: u32,
    count: u64,
    lfc_bits: u128,
    lfc: u32,
    max_lfc: u32,
}

impl Task {
    fn new(profile: ProfileId) -> Self {
        Task {
            profile,
            windows: [Window::default(); FRAMES],
            nest: 0,
            count: 0,
            lfc_bits: 0,
            lfc: 0,
            max_lfc: 0,
        }
    }

    /// The signal frame whose window is in use: `min(nest, FRAMES-1)`.
    fn frame(&self) -> usize {
        (self.nest as usize).min(FRAMES - 1)
    }
}

// Inspection of a task's state: for tests and tools, not needed by recorded traces.
#[cfg_attr(not(test), allow(dead_code))]
impl Task {
    pub fn profile(&self) -> ProfileId {
        self.profile
    }

    /// Calls processed since the task started or exec'd.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Anomalous calls among the last [`LFC_SIZE`].
    pub fn lfc(&self) -> u32 {
        self.lfc
    }

    pub fn max_lfc(&self) -> u32 {
        self.max_lfc
    }

    /// Signal handler depth.
    pub fn nest(&self) -> u32 {
        self.nest
    }

    /// The window of the current frame, most recent call first.
    pub fn window(&self) -> &[u32] {
        self.windows[self.frame()].calls()
    }
}

/// Steps 4 and 5 of a call `c0` with window `hist`: train, then freeze and
/// become normal.
fn learn(p: &mut Profile, s: &Settings, c0: u32, hist: &[u32], now: u64, events: &mut Vec<Event>) {
    // 4. train (also when normal)
    let alphabet = p.alphabet;
    let train = &mut p.rows.entry(c0).or_insert_with(|| Row::new(alphabet)).train;
    let mut new = false;
    for (i, &c1) in hist.iter().enumerate() {
        let byte = &mut train[c1 as usize];
        if *byte & (1 << i) == 0 {
            *byte |= 1 << i;
            new = true;
        }
    }
    p.train_count += 1;
    if new {
        p.last_mod_at = p.train_count;
        p.frozen_since = 0;
    }

    // 5. freeze, then normal
    let frozen = p.frozen(s);
    if !frozen {
        p.frozen_since = 0;
    } else if p.frozen_since == 0 {
        p.frozen_since = now.max(1);
        events.push(Event::ProfileFrozen {
            profile: p.path.clone(),
        });
    }
    if frozen && !p.normal && now.saturating_sub(p.frozen_since) >= s.normal_wait_ns {
        p.normalize();
        events.push(Event::ProfileNormal {
            profile: p.path.clone(),
        });
    }
}

/// Profiles and tasks, and the algorithm that connects them.
#[derive(Debug, Clone)]
pub struct Engine {
    settings: Settings,
    /// Calls `0 .. alphabet` are processed; others are ignored entirely.
    alphabet: usize,
    /// The call that returns from a signal handler, if the traces have one.
    rt_sigreturn: Option<u32>,
    profiles: Vec<Profile>,
    by_name: HashMap<String, ProfileId>,
    tasks: HashMap<u32, Task>,
}

impl Engine {
    /// An engine with no profiles, no tasks and no `rt_sigreturn`.
    pub fn new(settings: Settings, alphabet: usize) -> Self {
        Engine {
            settings,
            alphabet,
            rt_sigreturn: None,
            profiles: Vec::new(),
            by_name: HashMap::new(),
            tasks: HashMap::new(),
        }
    }

    /// Sets which call number returns from a signal handler (pops a frame).
    pub fn with_rt_sigreturn(mut self, nr: Option<u32>) -> Self {
        self.rt_sigreturn = nr;
        self
    }

    /// A copy of the profiles, with no tasks.
    pub fn without_tasks(&self) -> Engine {
        Engine {
            settings: self.settings,
            alphabet: self.alphabet,
            rt_sigreturn: self.rt_sigreturn,
            profiles: self.profiles.clone(),
            by_name: self.by_name.clone(),
            tasks: HashMap::new(),
        }
    }

    /// The profile named `name`, created empty if new.
    pub fn profile_id(&mut self, name: &str) -> ProfileId {
        if let Some(&id) = self.by_name.get(name) {
            return id;
        }
        self.insert_profile(Profile::new(ProfileKey::default(), name, self.alphabet))
    }

    /// Adds `profile` (e.g. a copy of a trained one) under its `path`,
    /// replacing any profile of that name.
    ///
    /// # Panics
    /// If the profile's alphabet is not the engine's.
    pub fn insert_profile(&mut self, profile: Profile) -> ProfileId {
        assert_eq!(
            profile.alphabet, self.alphabet,
            "profile {} has another alphabet than the engine",
            profile.path
        );
        if let Some(&id) = self.by_name.get(&profile.path) {
            self.profiles[id] = profile;
            return id;
        }
        let id = self.profiles.len();
        self.by_name.insert(profile.path.clone(), id);
        self.profiles.push(profile);
        id
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// Command `normalize`: testing data := training data.
    pub fn normalize(&mut self, id: ProfileId) {
        self.profiles[id].normalize();
    }

    /// A successful exec (or a task first seen running `profile`): the task
    /// takes the profile, empty windows and zero counts.
    pub fn exec(&mut self, tid: u32, profile: ProfileId) {
        assert!(profile < self.profiles.len(), "no profile {profile}");
        self.tasks.insert(tid, Task::new(profile));
    }

    /// A new process or thread: the child takes the parent's profile and a
    /// fresh state. A child of a task without a profile has none either.
    pub fn fork(&mut self, parent: u32, child: u32) {
        match self.tasks.get(&parent).map(|t| t.profile) {
            Some(profile) => {
                self.tasks.insert(child, Task::new(profile));
            }
            None => {
                self.tasks.remove(&child);
            }
        }
    }

    /// The task exited: its state is removed.
    pub fn exit(&mut self, tid: u32) {
        self.tasks.remove(&tid);
    }

    /// Removes every task (profiles stay).
    pub fn clear_tasks(&mut self) {
        self.tasks.clear();
    }

    /// Processes call `nr` of task `tid` at clock value `now`, appending
    /// events. Returns false when the call was ignored (number outside the
    /// alphabet, or a task without a profile).
    pub fn call(&mut self, tid: u32, nr: u32, now: u64, events: &mut Vec<Event>) -> bool {
        let c0 = nr;
        if c0 as usize >= self.alphabet {
            return false;
        }
        let Some(task) = self.tasks.get_mut(&tid) else {
            return false;
        };
        let s = &self.settings;
        let p = &mut self.profiles[task.profile];
        let frame = task.frame();
        let hist = task.windows[frame];
        let hist = hist.calls();

        // 1. test (only when normal)
        let mut misses = 0u32;
        if p.normal {
            let test = p.rows.get(&c0).map(|r| r.test.as_slice());
            for (i, &c1) in hist.iter().enumerate() {
                let byte = test.map_or(0, |t| t[c1 as usize]);
                if byte & (1 << i) == 0 {
                    misses += 1;
                }
            }
        }
        let anomalous = misses > 0;

        // 2. locality frame
        let before = task.lfc;
        let slot = (task.count % LFC_SIZE as u64) as u32;
        let was = (task.lfc_bits >> slot) & 1 == 1;
        task.lfc = task.lfc + u32::from(anomalous) - u32::from(was);
        task.lfc_bits = (task.lfc_bits & !(1u128 << slot)) | (u128::from(anomalous) << slot);
        task.max_lfc = task.max_lfc.max(task.lfc);
        task.count += 1;
        if anomalous {
            p.anomalies += 1;
            let mut window = Vec::with_capacity(hist.len() + 1);
            window.push(c0);
            window.extend_from_slice(hist);
            events.push(Event::Anomaly(Anomaly {
                profile: p.path.clone(),
                tid,
                nr: c0,
                misses,
                lfc: task.lfc,
                count: task.count,
                window,
            }));
            if p.anomalies > s.anomaly_limit {
                p.normal = false;
                p.anomalies = 0;
                p.frozen_since = 0;
                events.push(Event::ProfileTraining {
                    profile: p.path.clone(),
                });
            }
        }

        // 3. tolerize: the call that takes the task over the limit resets
        // the training data; the task trains nothing while it stays above.
        let above = u64::from(task.lfc) > s.tolerize_limit;
        if above && u64::from(before) <= s.tolerize_limit {
            // train := 0, train_count = last_mod_at = frozen_since = 0.
            p.sensitize();
            events.push(Event::Tolerize {
                profile: p.path.clone(),
            });
        }
        if !above {
            learn(p, s, c0, hist, now, events);
        }

        // 6. the window moves
        task.windows[frame].push(c0);
        if Some(c0) == self.rt_sigreturn && task.nest > 0 {
            task.nest -= 1;
        }
        true
    }
}

// Inspection, the commands `sensitize` and `tolerize`, and signal delivery
// (docs/ph.md "Commands", "Signals"): recorded traces need none of them.
#[cfg_attr(not(test), allow(dead_code))]
impl Engine {
    /// The profile named `name`, if any.
    pub fn find(&self, name: &str) -> Option<ProfileId> {
        self.by_name.get(name).copied()
    }

    pub fn profile(&self, id: ProfileId) -> &Profile {
        &self.profiles[id]
    }

    pub fn task(&self, tid: u32) -> Option<&Task> {
        self.tasks.get(&tid)
    }

    /// Command `sensitize`: the training data are forgotten.
    pub fn sensitize(&mut self, id: ProfileId) {
        self.profiles[id].sensitize();
    }

    /// Command `tolerize`: back to training.
    pub fn tolerize(&mut self, id: ProfileId) {
        self.profiles[id].tolerize();
    }

    /// A signal was delivered to a handler: a new frame with an empty window.
    pub fn signal_delivered(&mut self, tid: u32) {
        if let Some(task) = self.tasks.get_mut(&tid) {
            task.nest = task.nest.saturating_add(1);
            let frame = task.frame();
            task.windows[frame] = Window::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: usize = 16;

    fn settings(normal_wait_ns: u64) -> Settings {
        Settings {
            normal_wait_ns,
            ..Settings::default()
        }
    }

    /// An engine with task 1 running profile "p".
    fn engine(settings: Settings) -> (Engine, ProfileId) {
        let mut e = Engine::new(settings, A);
        let p = e.profile_id("p");
        e.exec(1, p);
        (e, p)
    }

    /// Runs `calls` for `tid` with the clock at 1, 2, ...; returns the events.
    fn run(e: &mut Engine, tid: u32, calls: &[u32]) -> Vec<Event> {
        let mut ev = Vec::new();
        for (i, &c) in calls.iter().enumerate() {
            e.call(tid, c, i as u64 + 1, &mut ev);
        }
        ev
    }

    fn kinds(ev: &[Event]) -> Vec<&'static str> {
        ev.iter().map(Event::kind).collect()
    }

    fn anomalies(ev: &[Event]) -> Vec<&Anomaly> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Anomaly(a) => Some(a),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn pairs_set_the_bit_of_their_distance() {
        let (mut e, p) = engine(settings(u64::MAX));
        // 1 2 3 4 5 6 7 8 9 10: 10 sees 9 at distance 1 ... 2 at distance 8, not 1.
        let calls: Vec<u32> = (1..=10).collect();
        assert!(run(&mut e, 1, &calls).is_empty());
        let prof = e.profile(p);
        assert_eq!(prof.rows[&10].train[9], 0b1);
        assert_eq!(prof.rows[&10].train[3], 1 << 6);
        assert_eq!(prof.rows[&10].train[2], 1 << 7);
        assert_eq!(
            prof.rows[&10].train[1], 0,
            "9 calls back is outside the window"
        );
        assert_eq!(prof.rows[&1].train, vec![0; A], "first call: no pairs");
        assert_eq!(prof.rows[&2].train[1], 0b1);
        assert_eq!(prof.train_count, 10);
        assert_eq!(prof.last_mod_at, 10);
        assert!(
            prof.rows[&10].test.iter().all(|&b| b == 0),
            "test untouched"
        );
        assert_eq!(e.task(1).unwrap().window(), &[10, 9, 8, 7, 6, 5, 4, 3]);
        // A repeated call at two distances sets two bits.
        let (mut e, p) = engine(settings(u64::MAX));
        run(&mut e, 1, &[5, 5, 5]);
        assert_eq!(e.profile(p).rows[&5].train[5], 0b11);
    }

    #[test]
    fn freezes_when_more_than_three_quarters_add_nothing() {
        let (mut e, p) = engine(settings(u64::MAX));
        // 7 7 7 ...: a new pair (7 at distance i) at calls 2..=9, then nothing.
        let mut ev = Vec::new();
        for i in 1..=36u64 {
            e.call(1, 7, 100 + i, &mut ev);
        }
        assert_eq!(e.profile(p).last_mod_at, 9);
        assert!(ev.is_empty(), "36 * 32 > 9 * 128 is false");
        e.call(1, 7, 137, &mut ev);
        assert_eq!(kinds(&ev), ["profile_frozen"]);
        assert_eq!(e.profile(p).frozen_since, 137);
        assert!(!e.profile(p).normal, "normal_wait is infinite");
        // Frozen is reported once, and a new pair unfreezes.
        ev.clear();
        assert!(run(&mut e, 1, &[7, 7]).is_empty());
        e.call(1, 3, 200, &mut ev);
        assert!(ev.is_empty());
        assert_eq!(e.profile(p).frozen_since, 0);
    }

    #[test]
    fn empty_profile_never_freezes() {
        let (mut e, p) = engine(settings(0));
        let ev = run(&mut e, 1, &[4]);
        assert!(ev.is_empty());
        assert!(!e.profile(p).normal);
        assert_eq!(e.profile(p).frozen_since, 0);
    }

    /// Trains task 1 of profile "p" on `1 2 1 2 ...` until it is normal (normal_wait 0).
    fn normal_engine(s: Settings) -> (Engine, ProfileId) {
        let (mut e, p) = engine(s);
        let mut ev = Vec::new();
        let mut calls = 0;
        while !e.profile(p).normal {
            e.call(1, 1 + calls % 2, 5, &mut ev);
            calls += 1;
            assert!(calls < 100);
        }
        // Pairs are new up to call 10 (row 2's distance 8); frozen (and, at
        // once, normal) when train_count * 32 > 10 * 128, i.e. at call 41.
        assert_eq!(calls, 41);
        assert_eq!(kinds(&ev), ["profile_frozen", "profile_normal"]);
        assert_eq!(e.profile(p).frozen_since, 5);
        e.exit(1);
        e.exec(1, p);
        (e, p)
    }

    #[test]
    fn normal_at_once_with_zero_wait_then_anomalies() {
        let (mut e, p) = normal_engine(settings(0));
        let prof = e.profile(p);
        assert_eq!(prof.rows[&2].test, prof.rows[&2].train);
        // Known sequence: no anomaly. The first call of a task has no pairs.
        assert!(run(&mut e, 1, &[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]).is_empty());
        // 3 has no row: all 8 pairs miss. Then 2 after 3 misses only
        // (2, 3, distance 1); 2 at distance 2, 1 at 3, ... are known.
        let ev = run(&mut e, 1, &[3, 2]);
        let a = anomalies(&ev);
        assert_eq!(kinds(&ev), ["anomaly", "anomaly"]);
        assert_eq!(
            (a[0].tid, a[0].nr, a[0].misses, a[0].lfc, a[0].count),
            (1, 3, 8, 1, 11)
        );
        assert_eq!(a[0].window, [3, 2, 1, 2, 1, 2, 1, 2, 1]);
        assert_eq!((a[1].nr, a[1].misses, a[1].lfc, a[1].count), (2, 1, 2, 12));
        assert_eq!(a[1].window, [2, 3, 2, 1, 2, 1, 2, 1, 2]);
        assert_eq!(a[1].profile, "p");
        assert_eq!(e.profile(p).anomalies, 2);
        // Training went on while normal: the new pairs are in `train`, not `test`.
        assert_eq!(e.profile(p).rows[&2].train[3], 1);
        assert_eq!(e.profile(p).rows[&2].test[3], 0);
        assert!(e.profile(p).rows[&3].test.iter().all(|&b| b == 0));
        // Two anomalies are within the default limits: still normal.
        assert!(e.profile(p).normal);
    }

    #[test]
    fn first_call_of_a_task_is_never_anomalous() {
        let (mut e, _) = normal_engine(settings(0));
        assert!(run(&mut e, 1, &[9]).is_empty());
    }

    #[test]
    fn lfc_counts_the_last_128_calls_exactly() {
        let s = Settings {
            tolerize_limit: u64::MAX,
            anomaly_limit: u64::MAX,
            ..settings(0)
        };
        let (mut e, _) = normal_engine(s);
        let mut ev = Vec::new();
        // From the 2nd call on, every call of 10 (unknown) is anomalous.
        let mut flags = Vec::new();
        for i in 0..300u32 {
            ev.clear();
            e.call(1, 10 + i % 3, 1, &mut ev);
            flags.push(!anomalies(&ev).is_empty());
            let lo = flags.len().saturating_sub(128);
            let want = flags[lo..].iter().filter(|&&f| f).count() as u32;
            assert_eq!(e.task(1).unwrap().lfc(), want, "call {i}");
            match i {
                // Calls 2..=128 anomalous, slot 0 (the first call) not.
                127 => assert_eq!(want, 127),
                // Slot 0 reused: +1. Slot 1 reused by another anomaly: same.
                128 | 129 => assert_eq!(want, 128),
                _ => {}
            }
        }
        assert_eq!(e.task(1).unwrap().lfc(), 128);
        assert_eq!(e.task(1).unwrap().max_lfc(), 128);
    }

    #[test]
    fn anomaly_limit_sends_the_profile_back_to_training() {
        let s = Settings {
            anomaly_limit: 2,
            tolerize_limit: u64::MAX,
            ..settings(u64::MAX)
        };
        let (mut e, p) = engine(s);
        run(&mut e, 1, &[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
        e.normalize(p);
        e.exec(1, p);
        let ev = run(&mut e, 1, &[1, 3, 4, 5, 6]);
        // Anomalies 1 and 2 are within the limit; the 3rd exceeds it.
        assert_eq!(
            kinds(&ev),
            ["anomaly", "anomaly", "anomaly", "profile_training"]
        );
        let prof = e.profile(p);
        assert!(!prof.normal);
        assert_eq!((prof.anomalies, prof.frozen_since), (0, 0));
    }

    #[test]
    fn tolerize_resets_training_once_and_stops_it_while_above() {
        let s = Settings {
            tolerize_limit: 3,
            anomaly_limit: u64::MAX,
            ..settings(0)
        };
        let (mut e, p) = engine(s);
        run(&mut e, 1, &[1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
        e.normalize(p);
        e.exec(1, p);
        let ev = run(&mut e, 1, &[1, 3, 4, 5, 6]);
        // Calls 3, 4, 5, 6 are anomalous; 6 takes the LFC to 4 > 3: the
        // training data (14 calls) are reset, and 6 is not trained.
        assert_eq!(
            kinds(&ev),
            ["anomaly", "anomaly", "anomaly", "anomaly", "tolerize"]
        );
        let prof = e.profile(p);
        assert!(prof.normal, "tolerize keeps the testing data in force");
        assert_eq!(
            (prof.train_count, prof.last_mod_at, prof.frozen_since),
            (0, 0, 0)
        );
        assert_eq!(prof.rows[&2].train, vec![0; A]);
        assert_eq!(prof.rows[&2].test[1], 0b0101_0101, "testing data kept");
        assert!(!prof.rows.contains_key(&6));
        // Still above the limit: no second reset, no training (and so no
        // freezing either).
        let ev = run(&mut e, 1, &[7, 1, 2, 1, 2]);
        assert!(kinds(&ev).iter().all(|&k| k == "anomaly"), "{ev:?}");
        assert_eq!(e.task(1).unwrap().lfc(), 9);
        assert_eq!(e.profile(p).train_count, 0);
        // Another task, below the limit, trains.
        e.exec(2, p);
        run(&mut e, 2, &[1, 2]);
        assert_eq!(e.profile(p).train_count, 2);
        assert_eq!(e.profile(p).rows[&2].train[1], 1);
    }

    #[test]
    fn signal_frames_have_their_own_windows() {
        let s = settings(u64::MAX);
        let mut e = Engine::new(s, A).with_rt_sigreturn(Some(15));
        let p = e.profile_id("p");
        e.exec(1, p);
        run(&mut e, 1, &[1, 2]);
        e.signal_delivered(1);
        let t = e.task(1).unwrap();
        assert_eq!((t.nest(), t.window()), (1, &[][..]));
        run(&mut e, 1, &[3]);
        assert_eq!(e.profile(p).rows[&3].train, vec![0; A], "3 starts a frame");
        run(&mut e, 1, &[15]);
        let t = e.task(1).unwrap();
        assert_eq!((t.nest(), t.window()), (0, &[2, 1][..]));
        assert_eq!(
            e.profile(p).rows[&15].train[3],
            1,
            "processed in the handler frame"
        );
        run(&mut e, 1, &[4]);
        assert_eq!(e.profile(p).rows[&4].train[2], 1);
        assert_eq!(e.profile(p).rows[&4].train[15], 0);
        // Deep nesting shares the last frame; rt_sigreturn at nest 0 is a plain call.
        for _ in 0..6 {
            e.signal_delivered(1);
        }
        run(&mut e, 1, &[5, 6]);
        assert_eq!(e.task(1).unwrap().nest(), 6);
        assert_eq!(e.task(1).unwrap().window(), &[6, 5]);
        for _ in 0..2 {
            run(&mut e, 1, &[15]);
        }
        // nest 4 still uses frame 3.
        assert_eq!(e.task(1).unwrap().window(), &[15, 15, 6, 5]);
        for _ in 0..4 {
            run(&mut e, 1, &[15]);
        }
        let t = e.task(1).unwrap();
        assert_eq!((t.nest(), t.window()), (0, &[4, 2, 1][..]));
        run(&mut e, 1, &[15]);
        assert_eq!(e.task(1).unwrap().nest(), 0);
        // Without an rt_sigreturn number, 15 never pops.
        let mut e = Engine::new(s, A);
        let p = e.profile_id("p");
        e.exec(1, p);
        e.signal_delivered(1);
        run(&mut e, 1, &[15]);
        assert_eq!(e.task(1).unwrap().nest(), 1);
    }

    #[test]
    fn fork_exec_exit() {
        let (mut e, p) = engine(settings(u64::MAX));
        let q = e.profile_id("q");
        assert_eq!(e.profile_id("p"), p);
        assert_eq!(e.find("q"), Some(q));
        run(&mut e, 1, &[1, 2]);
        e.fork(1, 2);
        let child = e.task(2).unwrap();
        assert_eq!(
            (child.profile(), child.count(), child.window()),
            (p, 0, &[][..])
        );
        run(&mut e, 2, &[3]);
        assert_eq!(
            e.profile(p).rows[&3].train,
            vec![0; A],
            "child window empty"
        );
        e.exec(2, q);
        run(&mut e, 2, &[4, 5]);
        assert_eq!(e.profile(q).train_count, 2);
        assert_eq!(e.profile(p).train_count, 3);
        assert_eq!(e.task(2).unwrap().count(), 2);
        // The parent is untouched by the child's exec.
        assert_eq!(e.task(1).unwrap().window(), &[2, 1]);
        e.exit(2);
        assert!(e.task(2).is_none());
        let mut ev = Vec::new();
        assert!(!e.call(2, 1, 1, &mut ev), "no task, no profile: ignored");
        // A child of an unknown task has no profile either.
        e.fork(7, 8);
        assert!(e.task(8).is_none());
        // Calls outside the alphabet are ignored entirely.
        assert!(!e.call(1, A as u32, 1, &mut ev));
        assert_eq!(e.task(1).unwrap().count(), 2);
        assert_eq!(e.profile(p).train_count, 3);
    }

    #[test]
    fn copies_share_nothing() {
        let (mut e, p) = engine(settings(u64::MAX));
        run(&mut e, 1, &[1, 2]);
        let mut copy = e.without_tasks();
        assert!(copy.task(1).is_none());
        copy.exec(1, p);
        run(&mut copy, 1, &[1, 2, 3]);
        assert_eq!(copy.profile(p).train_count, 5);
        assert_eq!(e.profile(p).train_count, 2);
    }

    #[test]
    fn commands() {
        let (mut e, p) = engine(settings(u64::MAX));
        run(&mut e, 1, &[1, 2]);
        e.normalize(p);
        assert!(e.profile(p).normal);
        e.sensitize(p);
        assert_eq!(e.profile(p).train_count, 0);
        assert_eq!(e.profile(p).rows[&2].test[1], 1);
        e.tolerize(p);
        assert!(!e.profile(p).normal);
    }
}
