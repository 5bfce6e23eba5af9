//! pH profile data shared by the kernel engine's loader, the user-space engine and the store.
//!
//! The algorithm is specified in docs/ph.md; names here follow it.
use std::collections::BTreeMap;

/// Calls per window: the current call and the 8 before it.
pub const WINDOW: usize = 9;
/// Previous calls kept per window.
pub const HISTORY: usize = WINDOW - 1;
/// Calls in a locality frame.
pub const LFC_SIZE: usize = 128;
/// Signal frames with their own window (deeper handlers share the last).
pub const FRAMES: usize = 4;
/// Denominator of `normal_factor` (pH's fixed 32).
pub const NORMAL_FACTOR_DEN: u64 = 32;
/// Syscall numbers the kernel engine learns (`PH_NSYS` in bpf/ph.h).
pub const KERNEL_ALPHABET: usize = 512;

/// Tunables, as in pH and ebpH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// How long a profile stays frozen before it becomes normal (ns).
    pub normal_wait_ns: u64,
    /// Freeze when `train_count * 32 > last_mod_at * normal_factor`.
    pub normal_factor: u64,
    /// A normal profile with more anomalies than this goes back to training.
    pub anomaly_limit: u64,
    /// A task whose LFC exceeds this resets its profile's training data.
    pub tolerize_limit: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            normal_wait_ns: 7 * 24 * 3600 * 1_000_000_000,
            normal_factor: 128,
            anomaly_limit: 30,
            tolerize_limit: 12,
        }
    }
}

impl Settings {
    /// These settings with the ones given on the command line instead.
    pub fn overridden(self, a: &crate::cli::PhSettingsArgs) -> Settings {
        Settings {
            normal_wait_ns: a.normal_wait.map_or(self.normal_wait_ns, |d| {
                u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
            }),
            normal_factor: a.normal_factor.unwrap_or(self.normal_factor),
            anomaly_limit: a.anomaly_limit.unwrap_or(self.anomaly_limit),
            tolerize_limit: a.tolerize_limit.unwrap_or(self.tolerize_limit),
        }
    }
}

/// Which executable a profile belongs to, on this machine; shown as `DEV:INO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ProfileKey {
    pub dev: u64,
    pub ino: u64,
}

impl std::fmt::Display for ProfileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.dev, self.ino)
    }
}

/// How a user names a profile: its executable's path (as given, or made
/// canonical) or its key `DEV:INO`.
pub struct ProfileName<'a> {
    given: &'a str,
    key: Option<ProfileKey>,
    canonical: Option<String>,
}

impl<'a> ProfileName<'a> {
    pub fn new(given: &'a str) -> Self {
        let key = given.split_once(':').and_then(|(d, i)| {
            Some(ProfileKey {
                dev: d.parse().ok()?,
                ino: i.parse().ok()?,
            })
        });
        let canonical = std::fs::canonicalize(given)
            .ok()
            .map(|p| p.to_string_lossy().into_owned());
        ProfileName {
            given,
            key,
            canonical,
        }
    }

    /// True when this names the profile of `key` kept under `path`.
    pub fn matches(&self, key: ProfileKey, path: &str) -> bool {
        self.key == Some(key) || path == self.given || self.canonical.as_deref() == Some(path)
    }
}

/// pH's freezing rule: more than `1 - 32/normal_factor` of the training calls
/// added nothing (`last_mod_at` is the count when a pair was last added).
pub fn frozen(train_count: u64, last_mod_at: u64, settings: &Settings) -> bool {
    last_mod_at > 0
        && u128::from(train_count) * u128::from(NORMAL_FACTOR_DEN)
            > u128::from(last_mod_at) * u128::from(settings.normal_factor)
}

/// A profile's state as a word: normal, frozen or training.
pub fn status_word(normal: bool, frozen: bool) -> &'static str {
    if normal {
        "normal"
    } else if frozen {
        "frozen"
    } else {
        "training"
    }
}

/// The pairs that follow one call `c0`: `train[c1]` and `test[c1]`, one
/// byte each (bit `i-1`: `c1` seen `i` calls before `c0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub train: Vec<u8>,
    pub test: Vec<u8>,
}

impl Row {
    pub fn new(alphabet: usize) -> Self {
        Row {
            train: vec![0; alphabet],
            test: vec![0; alphabet],
        }
    }
}

/// One executable's profile. Rows exist only for calls seen, as in the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub key: ProfileKey,
    /// The executable's path, as last seen at exec.
    pub path: String,
    /// SHA-256 of the executable's contents, when known (export/import).
    pub exe_sha256: Option<[u8; 32]>,
    /// Number of syscall numbers (row and column count).
    pub alphabet: usize,
    /// Rows by first call `c0`.
    pub rows: BTreeMap<u32, Row>,
    pub train_count: u64,
    pub last_mod_at: u64,
    pub normal: bool,
    /// Clock value when the profile froze (0: not frozen).
    pub frozen_since: u64,
    /// Anomalous calls since the profile became normal.
    pub anomalies: u64,
}

impl Profile {
    pub fn new(key: ProfileKey, path: impl Into<String>, alphabet: usize) -> Self {
        Profile {
            key,
            path: path.into(),
            exe_sha256: None,
            alphabet,
            rows: BTreeMap::new(),
            train_count: 0,
            last_mod_at: 0,
            normal: false,
            frozen_since: 0,
            anomalies: 0,
        }
    }

    /// True when more than `1 - 32/normal_factor` of the training calls added nothing.
    pub fn frozen(&self, settings: &Settings) -> bool {
        frozen(self.train_count, self.last_mod_at, settings)
    }

    /// Training and testing pairs set (bits), for listings.
    pub fn pair_counts(&self) -> (u64, u64) {
        let bits = |v: &[u8]| v.iter().map(|b| u64::from(b.count_ones())).sum::<u64>();
        self.rows.values().fold((0, 0), |(tr, te), r| {
            (tr + bits(&r.train), te + bits(&r.test))
        })
    }

    /// `normalize`: testing data := training data.
    pub fn normalize(&mut self) {
        for row in self.rows.values_mut() {
            row.test.copy_from_slice(&row.train);
        }
        self.normal = true;
        self.anomalies = 0;
    }

    /// `sensitize`: forget the training data, keep the testing data.
    pub fn sensitize(&mut self) {
        for row in self.rows.values_mut() {
            row.train.fill(0);
        }
        self.train_count = 0;
        self.last_mod_at = 0;
        self.frozen_since = 0;
    }

    /// `tolerize`: back to training.
    pub fn tolerize(&mut self) {
        self.normal = false;
        self.anomalies = 0;
        self.frozen_since = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freezes_after_three_quarters_of_calls_add_nothing() {
        let s = Settings::default();
        let mut p = Profile::new(ProfileKey::default(), "/bin/x", 8);
        p.train_count = 100;
        assert!(!p.frozen(&s), "nothing learned: never frozen");
        p.last_mod_at = 25;
        assert!(!p.frozen(&s), "exactly 3/4 is not more than 3/4");
        p.train_count = 101;
        assert!(p.frozen(&s));
    }

    #[test]
    fn commands_move_the_data() {
        let mut p = Profile::new(ProfileKey::default(), "/bin/x", 4);
        let mut row = Row::new(4);
        row.train[2] = 0b101;
        p.rows.insert(1, row);
        p.train_count = 9;
        p.last_mod_at = 3;
        p.normalize();
        assert_eq!(p.rows[&1].test[2], 0b101);
        assert!(p.normal);
        p.sensitize();
        assert_eq!(p.rows[&1].train[2], 0);
        assert_eq!(p.rows[&1].test[2], 0b101);
        assert_eq!((p.train_count, p.last_mod_at), (0, 0));
        assert_eq!(p.pair_counts(), (0, 2));
        p.tolerize();
        assert!(!p.normal);
    }
}
