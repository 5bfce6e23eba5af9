//! Profiles and settings on disk: atomic, versioned, checksummed files in the state directory, and portable export files.
//!
//! Layout: `STATE_DIR/profiles/<dev>-<ino>.prof` (decimal) and
//! `STATE_DIR/settings.json`. Every write goes to a temporary file in the
//! same directory, is fsynced, renamed over the old file, and the directory
//! is fsynced, so a crash at any point leaves either the old or the new file.
//! A file that is corrupt or of another format version is reported and
//! skipped, never half-loaded and never deleted.
//!
//! Profile file format (all integers little-endian):
//!
//! ```text
//! magic        8 bytes  "AIFPH\0\0\0"
//! version      u32      FORMAT_VERSION (1)
//! dev, ino     u64, u64 profile key (0, 0 in export files)
//! path_len     u32      then path_len bytes of UTF-8 (at most MAX_PATH_LEN)
//! has_sha      u8       0 or 1, then 32 bytes: the executable's SHA-256 (zeros when absent)
//! alphabet     u32      1 ..= MAX_ALPHABET
//! train_count  u64
//! last_mod_at  u64
//! normal       u8       0 or 1
//! frozen_since u64      Unix-epoch ns (wall clock); 0: not frozen
//! anomalies    u64
//! row_count    u32      at most alphabet; then per row, c0 strictly increasing:
//!   c0         u32      < alphabet
//!   n          u32      at most alphabet; then n entries, c1 strictly increasing:
//!     c1 u32 (< alphabet), train u8, test u8   (never both zero)
//! checksum     32 bytes SHA-256 of every byte before it
//! ```
use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use super::profile::{Profile, ProfileKey, Row, Settings};

/// First bytes of every profile file.
pub const MAGIC: [u8; 8] = *b"AIFPH\0\0\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Largest alphabet a file may declare.
pub const MAX_ALPHABET: usize = 65536;
/// Longest executable path a file may hold (Linux `PATH_MAX`).
pub const MAX_PATH_LEN: usize = 4096;
/// Largest profile file read (the kernel's 512-call alphabet needs at most ~1.5 MiB).
const MAX_FILE_LEN: u64 = 256 << 20;
/// Most memory the dense rows of one loaded profile may take (rows * alphabet * 2).
const MAX_DENSE_BYTES: u64 = 1 << 30;
const HEADER_LEN: usize = MAGIC.len() + 4;
const CHECKSUM_LEN: usize = 32;
const PROFILE_EXT: &str = "prof";
const SETTINGS_FILE: &str = "settings.json";

/// The current time on the boot clock (the engine's and kernel's clock,
/// `CLOCK_BOOTTIME`) and on the wall clock, read together, to convert
/// `frozen_since` between the two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub boot_ns: u64,
    pub unix_ns: u64,
}

impl Clock {
    /// Reads both clocks now.
    pub fn now() -> Clock {
        use crate::output::clock::clock_ns;
        let ns = |id| u64::try_from(clock_ns(id)).unwrap_or(0);
        Clock {
            boot_ns: ns(libc::CLOCK_BOOTTIME),
            unix_ns: ns(libc::CLOCK_REALTIME),
        }
    }

    /// A boot-clock time as wall-clock ns; 0 (not frozen) stays 0.
    pub fn boot_to_unix(&self, boot_ts: u64) -> u64 {
        if boot_ts == 0 {
            return 0;
        }
        let ago = self.boot_ns.saturating_sub(boot_ts);
        self.unix_ns.saturating_sub(ago).max(1)
    }

    /// A wall-clock time as boot-clock ns; 0 (not frozen) stays 0. A time in
    /// the future clamps to now; one before this boot clamps to 1 (the
    /// profile then waits from boot: longer than needed, never shorter).
    pub fn unix_to_boot(&self, unix_ts: u64) -> u64 {
        if unix_ts == 0 {
            return 0;
        }
        let ago = self.unix_ns.saturating_sub(unix_ts);
        self.boot_ns.saturating_sub(ago).max(1)
    }
}

/// Why a profile file was not loaded.
#[derive(Debug)]
pub enum FileErrorKind {
    Io(io::Error),
    NotRegular,
    TooLarge(u64),
    Truncated,
    BadMagic,
    Version(u32),
    Checksum,
    Malformed(String),
    /// The key inside differs from the one in the file name.
    KeyMismatch {
        name: ProfileKey,
        inside: ProfileKey,
    },
    /// An import file without the executable's content hash.
    NoContentHash,
}

impl fmt::Display for FileErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            FileErrorKind::NotRegular => f.write_str("not a regular file"),
            FileErrorKind::TooLarge(n) => {
                write!(f, "{n} bytes, more than a profile file can hold")
            }
            FileErrorKind::Truncated => f.write_str("truncated (shorter than header and checksum)"),
            FileErrorKind::BadMagic => f.write_str("not an ai-forensics profile (bad magic)"),
            FileErrorKind::Version(v) => write!(
                f,
                "format version {v}, this build reads version {FORMAT_VERSION}"
            ),
            FileErrorKind::Checksum => f.write_str("checksum mismatch (truncated or corrupt)"),
            FileErrorKind::Malformed(why) => write!(f, "malformed: {why}"),
            FileErrorKind::KeyMismatch { name, inside } => {
                write!(f, "holds profile {inside} but is named for {name}")
            }
            FileErrorKind::NoContentHash => {
                f.write_str("no executable content hash (not an export file)")
            }
        }
    }
}

/// A profile file that cannot be used, and why.
#[derive(Debug)]
pub struct ProfileFileError {
    pub path: PathBuf,
    pub kind: FileErrorKind,
}

impl fmt::Display for ProfileFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

impl std::error::Error for ProfileFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            FileErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// What `load_all` found: the profiles, and the files it skipped.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub profiles: Vec<Profile>,
    pub skipped: Vec<ProfileFileError>,
}

/// What `save_all` did.
#[derive(Debug, Default)]
pub struct SaveReport {
    pub saved: usize,
    pub failed: Vec<(ProfileKey, anyhow::Error)>,
    /// The files were renamed into place but the directory could not be
    /// fsynced: a power loss may bring back the previous versions.
    pub sync_error: Option<anyhow::Error>,
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    profiles: PathBuf,
}

impl Store {
    /// Opens the state directory, creating it and `profiles/` (mode 0700) if missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Store> {
        let dir = dir.into();
        let profiles = dir.join("profiles");
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&profiles)
            .with_context(|| format!("cannot create state directory {}", profiles.display()))?;
        Ok(Store { dir, profiles })
    }

    /// Takes the state directory for one daemon: held while the returned
    /// file is open; a second daemon on the same directory is refused.
    pub fn lock(&self) -> Result<File> {
        let path = self.dir.join("daemon.lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        // SAFETY: flock on a descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                bail!(
                    "another ai-forensics daemon uses {} (stop it, or choose another --state-dir)",
                    self.dir.display()
                );
            }
            return Err(e).with_context(|| format!("cannot lock {}", path.display()));
        }
        Ok(f)
    }

    /// Where the profile with this key is kept.
    #[cfg(test)]
    pub fn profile_path(&self, key: ProfileKey) -> PathBuf {
        self.profiles.join(profile_file_name(key))
    }

    /// Writes one profile atomically (`frozen_since` is converted from the boot clock).
    pub fn save(&self, profile: &Profile, clock: Clock) -> Result<()> {
        self.write_profile(profile, clock)?;
        sync_dir(&self.profiles)
    }

    /// Writes every profile atomically, going on past failures; the
    /// directory is fsynced once at the end.
    pub fn save_all<'a>(
        &self,
        profiles: impl IntoIterator<Item = &'a Profile>,
        clock: Clock,
    ) -> SaveReport {
        let mut report = SaveReport::default();
        for p in profiles {
            match self.write_profile(p, clock) {
                Ok(()) => report.saved += 1,
                Err(e) => report.failed.push((p.key, e)),
            }
        }
        if report.saved > 0 {
            report.sync_error = sync_dir(&self.profiles).err();
        }
        report
    }

    fn write_profile(&self, profile: &Profile, clock: Clock) -> Result<()> {
        let bytes = encode_profile(profile, clock)
            .with_context(|| format!("cannot save profile of {}", profile.path))?;
        let name = profile_file_name(profile.key);
        write_replace(&self.profiles, &name, &bytes, 0o600)
            .with_context(|| format!("cannot save profile of {}", profile.path))
    }

    /// Reads every `<dev>-<ino>.prof` file. Unusable files are listed in
    /// `skipped` and left in place; temporary files (names starting with
    /// `.`) and other names are ignored. Fails only when the directory
    /// itself cannot be read.
    pub fn load_all(&self, clock: Clock) -> Result<LoadReport> {
        let entries = fs::read_dir(&self.profiles)
            .with_context(|| format!("cannot read {}", self.profiles.display()))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry =
                entry.with_context(|| format!("cannot read {}", self.profiles.display()))?;
            names.push(entry.file_name());
        }
        names.sort();
        let mut report = LoadReport::default();
        for name in names {
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') || !name.ends_with(&format!(".{PROFILE_EXT}")) {
                continue;
            }
            let path = self.profiles.join(name);
            let result = match parse_file_name(name) {
                None => Err(FileErrorKind::Malformed(
                    "file name is not <dev>-<ino>.prof".into(),
                )),
                Some(key) => read_profile(&path, clock, false).and_then(|p| {
                    if p.key == key {
                        Ok(p)
                    } else {
                        Err(FileErrorKind::KeyMismatch {
                            name: key,
                            inside: p.key,
                        })
                    }
                }),
            };
            match result {
                Ok(p) => report.profiles.push(p),
                Err(kind) => report.skipped.push(ProfileFileError { path, kind }),
            }
        }
        Ok(report)
    }

    /// The saved settings, or `None` when none were saved.
    pub fn load_settings(&self) -> Result<Option<Settings>> {
        let path = self.dir.join(SETTINGS_FILE);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let settings = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not valid settings", path.display()))?;
        Ok(Some(settings))
    }

    /// Writes the settings atomically.
    pub fn save_settings(&self, settings: &Settings) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(settings).context("cannot encode settings")?;
        text.push(b'\n');
        write_replace(&self.dir, SETTINGS_FILE, &text, 0o600)
            .with_context(|| format!("cannot save {}", self.dir.join(SETTINGS_FILE).display()))?;
        sync_dir(&self.dir)
    }
}

/// `<dev>-<ino>.prof`, decimal.
pub fn profile_file_name(key: ProfileKey) -> String {
    format!("{}-{}.{PROFILE_EXT}", key.dev, key.ino)
}

fn parse_file_name(name: &str) -> Option<ProfileKey> {
    let stem = name.strip_suffix(PROFILE_EXT)?.strip_suffix('.')?;
    let (dev, ino) = stem.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(dev) || !digits(ino) {
        return None;
    }
    Some(ProfileKey {
        dev: dev.parse().ok()?,
        ino: ino.parse().ok()?,
    })
}

/// Distinguishes temporary files of concurrent saves within one process.
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// Replaces `dir/name` with `bytes`: write `.name.tmp-PID-N`, fsync, rename
/// over. The caller fsyncs `dir` (once for many files).
fn write_replace(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> Result<()> {
    let seq = TMP_SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{seq}", std::process::id()));
    let target = dir.join(name);
    let written = (|| -> Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)
            .with_context(|| format!("cannot create {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.sync_all()
            .with_context(|| format!("cannot fsync {}", tmp.display()))?;
        fs::rename(&tmp, &target)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), target.display()))
    })();
    if written.is_err() {
        // Our own temporary file, never the previous version.
        let _ = fs::remove_file(&tmp);
    }
    written
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot fsync directory {}", dir.display()))
}

/// Reads and decodes one profile file; a symbolic link is followed only
/// when `follow` (import files named by the user, not state files).
fn read_profile(path: &Path, clock: Clock, follow: bool) -> Result<Profile, FileErrorKind> {
    let meta = if follow {
        fs::metadata(path)
    } else {
        fs::symlink_metadata(path)
    }
    .map_err(FileErrorKind::Io)?;
    if !meta.file_type().is_file() {
        return Err(FileErrorKind::NotRegular);
    }
    if meta.len() > MAX_FILE_LEN {
        return Err(FileErrorKind::TooLarge(meta.len()));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(FileErrorKind::Io)?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(FileErrorKind::TooLarge(bytes.len() as u64));
    }
    decode_profile(&bytes, clock)
}

/// The bytes of a profile file. `frozen_since` is taken as boot-clock ns
/// and written as wall-clock ns. Fails on a profile the reader would reject.
pub fn encode_profile(p: &Profile, clock: Clock) -> Result<Vec<u8>> {
    if p.alphabet == 0 || p.alphabet > MAX_ALPHABET {
        bail!("alphabet {} is not in 1..={MAX_ALPHABET}", p.alphabet);
    }
    if p.path.len() > MAX_PATH_LEN {
        bail!("path is longer than {MAX_PATH_LEN} bytes");
    }
    let mut out = Vec::with_capacity(128 + p.path.len() + p.rows.len() * 64);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&p.key.dev.to_le_bytes());
    out.extend_from_slice(&p.key.ino.to_le_bytes());
    out.extend_from_slice(&(p.path.len() as u32).to_le_bytes());
    out.extend_from_slice(p.path.as_bytes());
    out.push(u8::from(p.exe_sha256.is_some()));
    out.extend_from_slice(&p.exe_sha256.unwrap_or([0; 32]));
    out.extend_from_slice(&(p.alphabet as u32).to_le_bytes());
    out.extend_from_slice(&p.train_count.to_le_bytes());
    out.extend_from_slice(&p.last_mod_at.to_le_bytes());
    out.push(u8::from(p.normal));
    out.extend_from_slice(&clock.boot_to_unix(p.frozen_since).to_le_bytes());
    out.extend_from_slice(&p.anomalies.to_le_bytes());
    out.extend_from_slice(&(p.rows.len() as u32).to_le_bytes());
    for (&c0, row) in &p.rows {
        if c0 as usize >= p.alphabet {
            bail!("row {c0} is outside the alphabet of {}", p.alphabet);
        }
        if row.train.len() != p.alphabet || row.test.len() != p.alphabet {
            bail!(
                "row {c0} has {}/{} columns, not the alphabet's {}",
                row.train.len(),
                row.test.len(),
                p.alphabet
            );
        }
        out.extend_from_slice(&c0.to_le_bytes());
        let count_at = out.len();
        out.extend_from_slice(&0u32.to_le_bytes());
        let mut n = 0u32;
        for (c1, (&tr, &te)) in row.train.iter().zip(&row.test).enumerate() {
            if tr != 0 || te != 0 {
                out.extend_from_slice(&(c1 as u32).to_le_bytes());
                out.push(tr);
                out.push(te);
                n += 1;
            }
        }
        out[count_at..count_at + 4].copy_from_slice(&n.to_le_bytes());
    }
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    Ok(out)
}

/// A bounds-checked cursor over a file body.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FileErrorKind> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(FileErrorKind::Malformed(format!(
                "ends inside {what} (offset {})",
                HEADER_LEN + self.pos
            )));
        };
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], FileErrorKind> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    fn u8(&mut self, what: &str) -> Result<u8, FileErrorKind> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32, FileErrorKind> {
        self.array(what).map(u32::from_le_bytes)
    }

    fn u64(&mut self, what: &str) -> Result<u64, FileErrorKind> {
        self.array(what).map(u64::from_le_bytes)
    }

    fn flag(&mut self, what: &str) -> Result<bool, FileErrorKind> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(malformed(format!("{what} flag is {v}, not 0 or 1"))),
        }
    }
}

fn malformed(why: impl Into<String>) -> FileErrorKind {
    FileErrorKind::Malformed(why.into())
}

/// A profile from the bytes of a profile file; `frozen_since` is converted
/// to the boot clock. Checks magic, version, checksum, then every length,
/// index and order, and that nothing follows the last row.
pub fn decode_profile(bytes: &[u8], clock: Clock) -> Result<Profile, FileErrorKind> {
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(
            if bytes.len() >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC {
                FileErrorKind::BadMagic
            } else {
                FileErrorKind::Truncated
            },
        );
    }
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(FileErrorKind::BadMagic);
    }
    let mut v = [0; 4];
    v.copy_from_slice(&bytes[MAGIC.len()..HEADER_LEN]);
    let version = u32::from_le_bytes(v);
    if version != FORMAT_VERSION {
        return Err(FileErrorKind::Version(version));
    }
    let (covered, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if Sha256::digest(covered).as_slice() != sum {
        return Err(FileErrorKind::Checksum);
    }
    let mut r = Reader {
        buf: &covered[HEADER_LEN..],
        pos: 0,
    };
    let key = ProfileKey {
        dev: r.u64("key")?,
        ino: r.u64("key")?,
    };
    let path_len = r.u32("path length")? as usize;
    if path_len > MAX_PATH_LEN {
        return Err(malformed(format!(
            "path length {path_len} exceeds {MAX_PATH_LEN}"
        )));
    }
    let path = std::str::from_utf8(r.take(path_len, "path")?)
        .map_err(|_| malformed("path is not UTF-8"))?
        .to_owned();
    let has_sha = r.flag("content hash")?;
    let sha: [u8; 32] = r.array("content hash")?;
    if !has_sha && sha != [0; 32] {
        return Err(malformed("content hash marked absent but not zero"));
    }
    let alphabet = r.u32("alphabet")? as usize;
    if alphabet == 0 || alphabet > MAX_ALPHABET {
        return Err(malformed(format!(
            "alphabet {alphabet} is not in 1..={MAX_ALPHABET}"
        )));
    }
    let mut p = Profile::new(key, path, alphabet);
    p.exe_sha256 = has_sha.then_some(sha);
    p.train_count = r.u64("train_count")?;
    p.last_mod_at = r.u64("last_mod_at")?;
    p.normal = r.flag("normal")?;
    p.frozen_since = clock.unix_to_boot(r.u64("frozen time")?);
    p.anomalies = r.u64("anomalies")?;
    let row_count = r.u32("row count")? as usize;
    if row_count > alphabet {
        return Err(malformed(format!(
            "{row_count} rows for an alphabet of {alphabet}"
        )));
    }
    if row_count as u64 * alphabet as u64 * 2 > MAX_DENSE_BYTES {
        return Err(malformed(format!(
            "{row_count} rows of {alphabet} would take more than {MAX_DENSE_BYTES} bytes"
        )));
    }
    let mut rows = BTreeMap::new();
    let mut prev_c0: Option<u32> = None;
    for _ in 0..row_count {
        let c0 = r.u32("row")?;
        if c0 as usize >= alphabet {
            return Err(malformed(format!(
                "row {c0} is outside the alphabet of {alphabet}"
            )));
        }
        if prev_c0.is_some_and(|prev| c0 <= prev) {
            return Err(malformed(format!("row {c0} is out of order or repeated")));
        }
        prev_c0 = Some(c0);
        let n = r.u32("row length")? as usize;
        if n > alphabet {
            return Err(malformed(format!(
                "row {c0} has {n} entries for an alphabet of {alphabet}"
            )));
        }
        let mut row = Row::new(alphabet);
        let mut prev_c1: Option<u32> = None;
        for _ in 0..n {
            let c1 = r.u32("pair")?;
            let train = r.u8("pair")?;
            let test = r.u8("pair")?;
            if c1 as usize >= alphabet {
                return Err(malformed(format!(
                    "pair ({c0}, {c1}) is outside the alphabet of {alphabet}"
                )));
            }
            if prev_c1.is_some_and(|prev| c1 <= prev) {
                return Err(malformed(format!(
                    "pair ({c0}, {c1}) is out of order or repeated"
                )));
            }
            if train == 0 && test == 0 {
                return Err(malformed(format!("pair ({c0}, {c1}) is empty")));
            }
            prev_c1 = Some(c1);
            row.train[c1 as usize] = train;
            row.test[c1 as usize] = test;
        }
        rows.insert(c0, row);
    }
    if r.pos != r.buf.len() {
        return Err(malformed(format!(
            "{} bytes after the last row",
            r.buf.len() - r.pos
        )));
    }
    p.rows = rows;
    Ok(p)
}

/// SHA-256 of a file's contents.
pub fn sha256_file(path: &Path) -> io::Result<[u8; 32]> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

/// The profile key of the file at `path` (symbolic links followed), from
/// `stat`: `st_dev` in the user-space encoding, and `st_ino`.
pub fn stat_key(path: &Path) -> io::Result<ProfileKey> {
    let m = fs::metadata(path)?;
    Ok(ProfileKey {
        dev: m.dev(),
        ino: m.ino(),
    })
}

/// Writes `profile` to `file` as a portable profile: key (0, 0), keyed
/// instead by path and content hash. When the profile has no content hash,
/// hashes the executable at `profile.path`, which must still be the file
/// the profile was learned from (same key).
pub fn export_profile(profile: &Profile, file: &Path, clock: Clock) -> Result<()> {
    let exe = Path::new(&profile.path);
    let sha = match profile.exe_sha256 {
        Some(sha) => sha,
        None => {
            let key = stat_key(exe)
                .with_context(|| format!("cannot hash {} for export", exe.display()))?;
            if key != profile.key {
                bail!(
                    "cannot export: {} is now a different file ({key}) than the profile's ({})",
                    exe.display(),
                    profile.key
                );
            }
            sha256_file(exe).with_context(|| format!("cannot hash {} for export", exe.display()))?
        }
    };
    let mut portable = profile.clone();
    portable.key = ProfileKey::default();
    portable.exe_sha256 = Some(sha);
    let bytes = encode_profile(&portable, clock)
        .with_context(|| format!("cannot export profile of {}", profile.path))?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{}: not a usable file name", file.display()))?;
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    write_replace(dir, name, &bytes, 0o644)
        .with_context(|| format!("cannot write {}", file.display()))?;
    sync_dir(dir)
}

/// Reads a file written by `export_profile`; the result still has the
/// exporting machine's view (key 0:0): pass it to `rekey_for_import`.
pub fn import_profile(file: &Path, clock: Clock) -> Result<Profile> {
    let p = read_profile(file, clock, true).map_err(|kind| ProfileFileError {
        path: file.to_owned(),
        kind,
    })?;
    if p.exe_sha256.is_none() {
        return Err(ProfileFileError {
            path: file.to_owned(),
            kind: FileErrorKind::NoContentHash,
        }
        .into());
    }
    Ok(p)
}

/// Gives an imported profile the key of `profile.path` on this machine,
/// after checking that the local file has the same contents (unless
/// `force`, in which case the local hash replaces the imported one).
pub fn rekey_for_import(mut profile: Profile, force: bool) -> Result<Profile> {
    let exe = PathBuf::from(&profile.path);
    if !exe.is_absolute() {
        bail!(
            "cannot import: profile path {} is not absolute",
            exe.display()
        );
    }
    let meta = fs::metadata(&exe)
        .with_context(|| format!("cannot import: no executable {} here", exe.display()))?;
    if !meta.is_file() {
        bail!("cannot import: {} is not a regular file", exe.display());
    }
    let local = sha256_file(&exe).with_context(|| format!("cannot hash {}", exe.display()))?;
    if profile.exe_sha256 != Some(local) && !force {
        bail!(
            "cannot import: {} here differs from the exported executable \
             (SHA-256 {} here, {} in the file); use --force to import anyway",
            exe.display(),
            hex(&local),
            profile
                .exe_sha256
                .as_ref()
                .map_or("none".into(), |s| hex(s))
        );
    }
    profile.exe_sha256 = Some(local);
    profile.key = ProfileKey {
        dev: meta.dev(),
        ino: meta.ino(),
    };
    Ok(profile)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    use crate::ph::testdir::TempDir;

    const CLOCK: Clock = Clock {
        boot_ns: 1_000_000_000_000,
        unix_ns: 1_700_000_000_000_000_000,
    };

    fn sample(dev: u64, ino: u64) -> Profile {
        let mut p = Profile::new(ProfileKey { dev, ino }, format!("/usr/bin/x{ino}"), 512);
        let mut r = Row::new(512);
        r.train[3] = 0b101;
        r.test[3] = 0b1;
        r.train[511] = 0xff;
        p.rows.insert(0, r);
        let mut r = Row::new(512);
        r.test[7] = 0x80;
        p.rows.insert(59, r);
        p.rows.insert(511, Row::new(512)); // a row seen with an empty window
        p.train_count = 1000;
        p.last_mod_at = 40;
        p.normal = true;
        p.frozen_since = CLOCK.boot_ns - 5_000;
        p.anomalies = 3;
        p.exe_sha256 = Some([7; 32]);
        p
    }

    #[test]
    fn round_trip_with_rows() {
        let t = TempDir::new("rt");
        let store = Store::open(t.0.join("state")).unwrap();
        let mode = fs::metadata(t.0.join("state/profiles")).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let p = sample(2049, 1 << 33);
        store.save(&p, CLOCK).unwrap();
        let file = store.profile_path(p.key);
        assert!(file.ends_with("profiles/2049-8589934592.prof"));
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let report = store.load_all(CLOCK).unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert_eq!(report.profiles, vec![p.clone()]);

        // Saving again replaces the file, leaving no temporary file behind.
        let mut q = p.clone();
        q.anomalies = 4;
        q.exe_sha256 = None;
        q.frozen_since = 0;
        let rep = store.save_all([&q], CLOCK);
        assert_eq!((rep.saved, rep.failed.len()), (1, 0));
        assert!(rep.sync_error.is_none());
        assert_eq!(store.load_all(CLOCK).unwrap().profiles, vec![q]);
        let names: Vec<_> = fs::read_dir(t.0.join("state/profiles"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn frozen_time_converts_between_clocks() {
        assert_eq!(CLOCK.boot_to_unix(0), 0);
        assert_eq!(CLOCK.unix_to_boot(0), 0);
        let boot = CLOCK.boot_ns - 7;
        let unix = CLOCK.boot_to_unix(boot);
        assert_eq!(unix, CLOCK.unix_ns - 7);
        // After a reboot (boot clock restarted), the elapsed time is kept.
        let later = Clock {
            boot_ns: 50,
            unix_ns: CLOCK.unix_ns + 50,
        };
        assert_eq!(later.unix_to_boot(unix), 1, "froze before this boot");
        let later = Clock {
            boot_ns: 1_000_000,
            unix_ns: CLOCK.unix_ns + 50,
        };
        assert_eq!(later.unix_to_boot(unix), 1_000_000 - 57);
        // A time in the future (clock set back) clamps to now.
        assert_eq!(later.unix_to_boot(CLOCK.unix_ns + 1_000_000), 1_000_000);
        let now = Clock::now();
        assert!(now.boot_ns > 0 && now.unix_ns > CLOCK.unix_ns);
    }

    #[test]
    fn bad_files_are_skipped_and_kept() {
        let t = TempDir::new("bad");
        let store = Store::open(&t.0).unwrap();
        let good = sample(1, 1);
        store.save(&good, CLOCK).unwrap();
        let bytes = encode_profile(&sample(1, 2), CLOCK).unwrap();
        let dir = t.0.join("profiles");

        let truncated = dir.join("1-2.prof");
        fs::write(&truncated, &bytes[..bytes.len() - 10]).unwrap();
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        fs::write(dir.join("1-3.prof"), &flipped).unwrap();
        // Another version, with a valid checksum for it.
        let mut v2 = bytes[..bytes.len() - 32].to_vec();
        v2[8..12].copy_from_slice(&2u32.to_le_bytes());
        let sum: [u8; 32] = Sha256::digest(&v2).into();
        v2.extend_from_slice(&sum);
        fs::write(dir.join("1-4.prof"), &v2).unwrap();
        let mut magic = bytes.clone();
        magic[0] = b'X';
        fs::write(dir.join("1-5.prof"), &magic).unwrap();
        fs::write(dir.join("1-6.prof"), b"AIF").unwrap();
        std::os::unix::fs::symlink(store.profile_path(good.key), dir.join("1-7.prof")).unwrap();
        // Valid bytes under another key's name.
        fs::write(dir.join("9-9.prof"), &bytes).unwrap();
        fs::write(dir.join("junk.prof"), &bytes).unwrap();
        fs::write(dir.join("README"), b"ignored").unwrap();

        let report = store.load_all(CLOCK).unwrap();
        assert_eq!(report.profiles, vec![good]);
        let reasons: Vec<_> = report
            .skipped
            .iter()
            .map(|e| {
                (
                    e.path.file_name().unwrap().to_str().unwrap().to_owned(),
                    e.kind.to_string(),
                )
            })
            .collect();
        let expect = [
            ("1-2.prof", "checksum"),
            ("1-3.prof", "checksum"),
            ("1-4.prof", "format version 2"),
            ("1-5.prof", "bad magic"),
            ("1-6.prof", "truncated"),
            ("1-7.prof", "not a regular file"),
            ("9-9.prof", "named for 9:9"),
            ("junk.prof", "file name"),
        ];
        assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
        for ((name, reason), (want_name, want)) in reasons.iter().zip(expect) {
            assert_eq!(name, want_name);
            assert!(reason.contains(want), "{name}: {reason}");
        }
        let shown = report.skipped[0].to_string();
        assert!(shown.contains("1-2.prof: checksum"), "{shown}");
        for (name, _) in expect {
            assert!(dir.join(name).exists(), "{name} was deleted");
        }
    }

    /// Re-checksums a hand-edited body so the structural checks run.
    fn resum(mut body: Vec<u8>) -> Vec<u8> {
        body.truncate(body.len() - 32);
        let sum: [u8; 32] = Sha256::digest(&body).into();
        body.extend_from_slice(&sum);
        body
    }

    #[test]
    fn structural_violations_are_named() {
        let mut p = Profile::new(ProfileKey { dev: 1, ino: 2 }, "/a", 4);
        let mut r = Row::new(4);
        r.train[1] = 1;
        p.rows.insert(2, r);
        let bytes = encode_profile(&p, CLOCK).unwrap();
        assert_eq!(decode_profile(&bytes, CLOCK).unwrap(), p);
        // Offsets: header 12, key 16, path len 4 + 2, sha flag 1 + 32 => alphabet at 67.
        let alphabet_at = 12 + 16 + 4 + 2 + 1 + 32;
        let rows_at = alphabet_at + 4 + 8 + 8 + 1 + 8 + 8;
        let rejects = |b: Vec<u8>, want: &str| {
            let err = decode_profile(&resum(b), CLOCK).unwrap_err().to_string();
            assert!(err.contains(want), "want {want:?}, got {err:?}");
        };
        // (offset, bytes written there, expected reason)
        let patches: [(usize, &[u8], &str); 8] = [
            (alphabet_at, &0u32.to_le_bytes(), "alphabet 0"),
            (alphabet_at, &70000u32.to_le_bytes(), "alphabet 70000"),
            (rows_at + 4, &9u32.to_le_bytes(), "row 9 is outside"),
            (rows_at + 12, &4u32.to_le_bytes(), "pair (2, 4) is outside"),
            (rows_at + 16, &[0], "is empty"),
            (rows_at + 8, &2u32.to_le_bytes(), "ends inside pair"),
            (alphabet_at - 33, &[2], "flag is 2"),
            (30, &[0xff], "path length"),
        ];
        for (at, patch, want) in patches {
            let mut b = bytes.clone();
            b[at..at + patch.len()].copy_from_slice(patch);
            rejects(b, want);
        }
        let mut b = bytes.clone();
        b.insert(b.len() - 32, 0);
        rejects(b, "1 bytes after");
        // The writer refuses what the reader would refuse.
        let mut bad = p.clone();
        bad.rows.insert(4, Row::new(4));
        assert!(encode_profile(&bad, CLOCK).is_err());
        let mut bad = p.clone();
        bad.rows.insert(1, Row::new(3));
        assert!(encode_profile(&bad, CLOCK).is_err());
    }

    #[test]
    fn leftover_temp_file_is_ignored() {
        let t = TempDir::new("tmp");
        let store = Store::open(&t.0).unwrap();
        let p = sample(8, 9);
        store.save(&p, CLOCK).unwrap();
        // A save killed between creating and renaming its temporary file.
        let bytes = encode_profile(&sample(8, 9), CLOCK).unwrap();
        let tmp = t.0.join("profiles/.8-9.prof.tmp-4242-0");
        fs::write(&tmp, &bytes[..bytes.len() / 2]).unwrap();
        let report = store.load_all(CLOCK).unwrap();
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        assert_eq!(report.profiles, vec![p]);
        assert!(tmp.exists());
    }

    #[test]
    fn settings_round_trip() {
        let t = TempDir::new("settings");
        let store = Store::open(&t.0).unwrap();
        assert_eq!(store.load_settings().unwrap(), None);
        let s = Settings {
            normal_wait_ns: 5,
            normal_factor: 64,
            anomaly_limit: 1,
            tolerize_limit: 2,
        };
        store.save_settings(&s).unwrap();
        assert_eq!(store.load_settings().unwrap(), Some(s));
        let mode = fs::metadata(t.0.join("settings.json")).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::write(t.0.join("settings.json"), b"{nope").unwrap();
        let err = format!("{:#}", store.load_settings().unwrap_err());
        assert!(err.contains("settings.json"), "{err}");
    }

    #[test]
    fn export_import_rekeys_by_content() {
        let t = TempDir::new("export");
        let exe = t.0.join("true");
        fs::copy("/bin/true", &exe).unwrap();
        let key = stat_key(&exe).unwrap();
        let mut p = sample(key.dev, key.ino);
        p.path = exe.to_str().unwrap().to_owned();
        p.exe_sha256 = None;
        let file = t.0.join("true.aifph");
        export_profile(&p, &file, CLOCK).unwrap();

        let link = t.0.join("link.aifph");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        let imported = import_profile(&link, CLOCK).unwrap();
        assert_eq!(imported.key, ProfileKey::default());
        let sha = sha256_file(Path::new("/bin/true")).unwrap();
        assert_eq!(imported.exe_sha256, Some(sha));

        // The same contents under another inode: rekeyed to it.
        let exe2 = t.0.join("true2");
        fs::copy(&exe, &exe2).unwrap();
        let mut moved = imported.clone();
        moved.path = exe2.to_str().unwrap().to_owned();
        let local = rekey_for_import(moved, false).unwrap();
        assert_eq!(local.key, stat_key(&exe2).unwrap());
        assert_ne!(local.key, key);
        let mut expect = p.clone();
        expect.key = local.key;
        expect.path = local.path.clone();
        expect.exe_sha256 = Some(sha);
        assert_eq!(local, expect);

        // Different contents: refused, unless forced.
        fs::write(&exe, b"#!/bin/sh\n").unwrap();
        let err = format!(
            "{:#}",
            rekey_for_import(imported.clone(), false).unwrap_err()
        );
        assert!(err.contains("--force"), "{err}");
        let forced = rekey_for_import(imported, true).unwrap();
        assert_eq!(forced.key, stat_key(&exe).unwrap());
        assert_eq!(forced.exe_sha256, Some(sha256_file(&exe).unwrap()));

        // A state file without a content hash is not an export.
        let store = Store::open(t.0.join("state")).unwrap();
        let mut plain = sample(3, 3);
        plain.exe_sha256 = None;
        store.save(&plain, CLOCK).unwrap();
        let err = import_profile(&store.profile_path(plain.key), CLOCK).unwrap_err();
        assert!(
            err.to_string().contains("no executable content hash"),
            "{err}"
        );
    }
}
