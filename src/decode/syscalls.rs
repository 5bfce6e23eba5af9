//! Syscall names and numbers for this architecture, and parsing of syscall selections (`--syscalls`).
//!
//! Names and numbers come from the `syscalls` crate's [`Sysno`] table for the
//! target architecture. A selection is a bitmap of [`SELECTION_BITS`] syscall
//! numbers, handed to the kernel side as [`Selection::words`].
//!
//! The selection syntax follows strace's `-e trace=`: a comma-separated list of
//! syscall names, numbers and `%class`es (or `all` / `none`); a leading `!`
//! negates the whole list and a `?` before an item skips it if it is unknown.
//! The classes are strace's, transcribed as data from strace's x86_64 syscall
//! table (`src/linux/x86_64/syscallent.h` plus `generic/syscallent-common.h`);
//! names missing on the target architecture (e.g. `open` or `stat` on aarch64)
//! are skipped when a class is expanded.

use std::fmt;
use std::str::FromStr;

use syscalls::Sysno;

/// Number of syscall numbers a [`Selection`] can hold.
pub const SELECTION_BITS: usize = 1024; // must equal AIF_SYSCALL_BITS in bpf/events.h
/// Number of `u64` words in [`Selection::words`].
pub const SELECTION_WORDS: usize = SELECTION_BITS / 64;

/// Spellings that differ between strace / architectures and the `syscalls`
/// crate: `(asked for, also try)`. aarch64 numbers 79 as `fstatat`, strace
/// (and x86_64) call it `newfstatat`.
const ALIASES: &[(&str, &str)] = &[("newfstatat", "fstatat"), ("fstatat", "newfstatat")];

/// Name of syscall `nr` on the target architecture, if known.
pub fn name(nr: u32) -> Option<&'static str> {
    Sysno::new(usize::try_from(nr).ok()?).map(|s| s.name())
}

/// Number of a syscall name on the target architecture.
pub fn number(name: &str) -> Option<u32> {
    let lookup = |n: &str| {
        Sysno::from_str(n)
            .ok()
            .and_then(|s| u32::try_from(s.id()).ok())
    };
    lookup(name).or_else(|| {
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .and_then(|(_, other)| lookup(other))
    })
}

/// Every syscall name known on the target architecture within the bitmap.
fn known_names() -> impl Iterator<Item = &'static str> {
    (0..SELECTION_BITS).filter_map(|nr| Sysno::new(nr).map(|s| s.name()))
}

/// A set of syscall numbers below [`SELECTION_BITS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    bits: [u64; SELECTION_WORDS],
}

impl Selection {
    /// Every syscall number below [`SELECTION_BITS`], including numbers this
    /// build does not know a name for (newer kernels' syscalls are traced too).
    pub fn all() -> Self {
        Self {
            bits: [u64::MAX; SELECTION_WORDS],
        }
    }

    /// No syscalls.
    pub fn none() -> Self {
        Self {
            bits: [0; SELECTION_WORDS],
        }
    }

    /// Whether syscall `nr` is selected.
    pub fn contains(&self, nr: u32) -> bool {
        match usize::try_from(nr) {
            Ok(nr) if nr < SELECTION_BITS => self.bits[nr / 64] & (1 << (nr % 64)) != 0,
            _ => false,
        }
    }

    /// The bitmap for the kernel: syscall `nr` is bit `nr % 64` of word `nr / 64`.
    pub fn words(&self) -> [u64; SELECTION_WORDS] {
        self.bits
    }

    /// The syscalls of these names this architecture has (others skipped).
    pub fn of_names<'n>(names: impl IntoIterator<Item = &'n str>) -> Self {
        let mut s = Self::none();
        for nr in names.into_iter().filter_map(number) {
            s.insert(nr);
        }
        s
    }

    /// The syscalls in either selection.
    pub fn union(&self, other: &Selection) -> Selection {
        let mut bits = self.bits;
        for (a, b) in bits.iter_mut().zip(other.bits) {
            *a |= b;
        }
        Selection { bits }
    }

    /// Number of selected syscall numbers.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// Parse an strace-like `-e trace=` expression.
    ///
    /// Items are separated by commas and trimmed: a syscall name (`openat`), a
    /// number (`257`), a class (`%file`, `%network`, ...; case-insensitive) or
    /// `all` / `none`. Leading `!`s negate the union of the items (`!read,write`
    /// is everything except `read` and `write`). An item prefixed with `?` is
    /// skipped instead of being an error when it is unknown.
    pub fn parse(expr: &str) -> Result<Self, SelectionError> {
        let mut rest = expr.trim();
        let mut negate = false;
        while let Some(after) = rest.strip_prefix('!') {
            negate = !negate;
            rest = after.trim_start();
        }

        let mut selection = Self::none();
        let mut saw_item = false;
        for raw in rest.split(',') {
            let mut item = raw.trim();
            if item.is_empty() {
                continue;
            }
            saw_item = true;
            let mut ignore_unknown = false;
            while let Some(after) = item.strip_prefix('?') {
                ignore_unknown = true;
                item = after.trim_start();
            }
            match selection.add_item(item) {
                Err(_) if ignore_unknown => {}
                result => result?,
            }
        }
        if !saw_item {
            return Err(SelectionError::Empty);
        }
        if negate {
            for word in &mut selection.bits {
                *word = !*word;
            }
        }
        Ok(selection)
    }

    /// Select `nr`; false if it does not fit in the bitmap.
    fn insert(&mut self, nr: u32) -> bool {
        match usize::try_from(nr) {
            Ok(nr) if nr < SELECTION_BITS => {
                self.bits[nr / 64] |= 1 << (nr % 64);
                true
            }
            _ => false,
        }
    }

    /// Add one trimmed item (without `!` or `?` prefixes) to the selection.
    fn add_item(&mut self, item: &str) -> Result<(), SelectionError> {
        let unknown = |suggestion| SelectionError::Unknown {
            name: item.to_string(),
            suggestion,
        };
        match item {
            "" | "none" => Ok(()),
            "all" => {
                *self = Self::all();
                Ok(())
            }
            _ if item.starts_with('%') => {
                let members = class(item).ok_or_else(|| SelectionError::UnknownClass {
                    name: item.to_string(),
                    suggestion: closest(item, CLASSES.iter().map(|(name, _)| *name)),
                })?;
                // Names absent on this architecture are skipped silently.
                for nr in members.iter().filter_map(|name| number(name)) {
                    self.insert(nr);
                }
                Ok(())
            }
            _ if item.bytes().all(|b| b.is_ascii_digit()) => match item.parse::<u32>() {
                Ok(nr) if self.insert(nr) => Ok(()),
                _ => Err(unknown(None)),
            },
            _ => match number(item) {
                Some(nr) if self.insert(nr) => Ok(()),
                Some(_) => Err(unknown(None)),
                None if item.starts_with(['!', '/']) => Err(unknown(None)),
                None => Err(unknown(closest(
                    item,
                    known_names().chain(CLASSES.iter().map(|(name, _)| *name)),
                ))),
            },
        }
    }
}

/// Why a syscall selection could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionError {
    /// A syscall name (or number) not known on this architecture.
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    /// A `%class` strace does not define.
    UnknownClass {
        name: String,
        suggestion: Option<String>,
    },
    /// No items at all.
    Empty,
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown { name, suggestion } => {
                if name.bytes().all(|b| b.is_ascii_digit()) {
                    return write!(
                        f,
                        "syscall number {name} is out of range (must be below {SELECTION_BITS})"
                    );
                }
                write!(f, "unknown syscall \"{name}\"")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean \"{s}\"?)")
                } else if name.starts_with('!') {
                    f.write_str(" (\"!\" negates the whole expression and must come first)")
                } else if name.starts_with('/') {
                    f.write_str(" (regular expressions are not supported)")
                } else if let Some(nr) = number(name) {
                    write!(
                        f,
                        " (its number {nr} is not below {SELECTION_BITS} and cannot be traced)"
                    )
                } else {
                    write!(
                        f,
                        " on {} (prefix it with \"?\" to skip it)",
                        std::env::consts::ARCH
                    )
                }
            }
            Self::UnknownClass { name, suggestion } => {
                write!(f, "unknown syscall class \"{name}\" (")?;
                if let Some(s) = suggestion {
                    write!(f, "did you mean \"{s}\"? ")?;
                }
                f.write_str("known: ")?;
                for (i, (class, _)) in CLASSES.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(class)?;
                }
                f.write_str(")")
            }
            Self::Empty => f.write_str(
                "empty syscall selection (expected e.g. \"openat,execve\", \"%file\" or \"all\")",
            ),
        }
    }
}

impl std::error::Error for SelectionError {}

/// The closest candidate to `input`, if it is reasonably close.
fn closest<'a>(input: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let input = input.to_ascii_lowercase();
    let limit = (input.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, f64, &str)> = None;
    for candidate in candidates {
        let distance = strsim::damerau_levenshtein(&input, candidate);
        let similarity = strsim::jaro_winkler(&input, candidate);
        let better = match best {
            None => true,
            Some((d, s, _)) => distance < d || (distance == d && similarity > s),
        };
        if better {
            best = Some((distance, similarity, candidate));
        }
    }
    best.filter(|&(distance, _, _)| distance <= limit)
        .map(|(_, _, candidate)| candidate.to_string())
}

/// Members of a `%class` (case-insensitive), if it exists.
fn class(name: &str) -> Option<&'static [&'static str]> {
    CLASSES
        .iter()
        .find(|(class, _)| class.eq_ignore_ascii_case(name))
        .map(|&(_, members)| members)
}

/// strace's syscall classes, in the order its manual lists them.
static CLASSES: &[(&str, &[&str])] = &[
    ("%file", FILE),
    ("%process", PROCESS),
    ("%network", NETWORK),
    ("%net", NETWORK),
    ("%signal", SIGNAL),
    ("%ipc", IPC),
    ("%desc", DESC),
    ("%memory", MEMORY),
    ("%creds", CREDS),
    ("%clock", CLOCK),
    ("%stat", STAT),
    ("%lstat", LSTAT),
    ("%fstat", FSTAT),
    ("%%stat", STAT_LIKE),
    ("%statfs", STATFS),
    ("%fstatfs", FSTATFS),
    ("%%statfs", STATFS_LIKE),
    ("%pure", PURE),
];

// Class members, transcribed from strace's x86_64 syscall table (flags in
// parentheses), in syscall-number order.

/// `%desc` (`TD`).
#[rustfmt::skip]
static DESC: &[&str] = &[
    "read", "write", "open", "close", "fstat", "poll", "lseek", "mmap", "ioctl", "pread64",
    "pwrite64", "readv", "writev", "pipe", "select", "dup", "dup2", "sendfile", "fcntl",
    "flock", "fsync", "fdatasync", "ftruncate", "getdents", "fchdir", "creat", "fchmod",
    "fchown", "fstatfs", "readahead", "fsetxattr", "fgetxattr", "flistxattr", "fremovexattr",
    "epoll_create", "getdents64", "fadvise64", "epoll_wait", "epoll_ctl", "mq_open",
    "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr", "inotify_init",
    "inotify_add_watch", "inotify_rm_watch", "openat", "mkdirat", "mknodat", "fchownat",
    "futimesat", "newfstatat", "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat",
    "fchmodat", "faccessat", "pselect6", "ppoll", "splice", "tee", "sync_file_range",
    "vmsplice", "utimensat", "epoll_pwait", "signalfd", "timerfd_create", "eventfd",
    "fallocate", "timerfd_settime", "timerfd_gettime", "signalfd4", "eventfd2", "epoll_create1",
    "dup3", "pipe2", "inotify_init1", "preadv", "pwritev", "perf_event_open", "fanotify_init",
    "fanotify_mark", "name_to_handle_at", "open_by_handle_at", "syncfs", "setns",
    "finit_module", "renameat2", "memfd_create", "kexec_file_load", "bpf", "execveat",
    "userfaultfd", "copy_file_range", "preadv2", "pwritev2", "statx", "pidfd_send_signal",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "pidfd_open", "openat2", "pidfd_getfd",
    "faccessat2", "process_madvise", "epoll_pwait2", "mount_setattr", "quotactl_fd",
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "memfd_secret",
    "process_mrelease", "cachestat", "fchmodat2", "setxattrat", "getxattrat", "listxattrat",
    "removexattrat", "open_tree_attr", "file_getattr", "file_setattr",
];

/// `%file` (`TF`).
#[rustfmt::skip]
static FILE: &[&str] = &[
    "open", "stat", "lstat", "access", "execve", "truncate", "getcwd", "chdir", "rename",
    "mkdir", "rmdir", "creat", "link", "unlink", "symlink", "readlink", "chmod", "chown",
    "lchown", "utime", "mknod", "uselib", "statfs", "pivot_root", "chroot", "acct", "mount",
    "umount2", "swapon", "swapoff", "quotactl", "setxattr", "lsetxattr", "getxattr",
    "lgetxattr", "listxattr", "llistxattr", "removexattr", "lremovexattr", "utimes",
    "inotify_add_watch", "openat", "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat",
    "unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat",
    "utimensat", "fanotify_mark", "name_to_handle_at", "renameat2", "execveat", "statx",
    "open_tree", "move_mount", "fsconfig", "fspick", "openat2", "faccessat2", "mount_setattr",
    "fchmodat2", "setxattrat", "getxattrat", "listxattrat", "removexattrat", "open_tree_attr",
    "file_getattr", "file_setattr",
];

/// `%memory` (`TM`).
#[rustfmt::skip]
static MEMORY: &[&str] = &[
    "mmap", "mprotect", "munmap", "brk", "mremap", "msync", "mincore", "madvise", "shmat",
    "shmdt", "mlock", "munlock", "mlockall", "munlockall", "io_setup", "io_destroy",
    "remap_file_pages", "mbind", "set_mempolicy", "get_mempolicy", "migrate_pages",
    "move_pages", "mlock2", "pkey_mprotect", "io_uring_register", "set_mempolicy_home_node",
    "map_shadow_stack", "mseal",
];

/// `%process` (`TP`).
#[rustfmt::skip]
static PROCESS: &[&str] = &[
    "clone", "fork", "vfork", "execve", "exit", "wait4", "kill", "rt_sigqueueinfo", "tkill",
    "exit_group", "tgkill", "waitid", "rt_tgsigqueueinfo", "execveat", "pidfd_send_signal",
    "clone3",
];

/// `%creds` (`TC`).
#[rustfmt::skip]
static CREDS: &[&str] = &[
    "getuid", "getgid", "setuid", "setgid", "geteuid", "getegid", "setreuid", "setregid",
    "getgroups", "setgroups", "setresuid", "getresuid", "setresgid", "getresgid", "setfsuid",
    "setfsgid", "capget", "capset", "prctl",
];

/// `%signal` (`TS`).
#[rustfmt::skip]
static SIGNAL: &[&str] = &[
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "pause", "kill", "rt_sigpending",
    "rt_sigtimedwait", "rt_sigqueueinfo", "rt_sigsuspend", "sigaltstack", "tkill", "tgkill",
    "signalfd", "signalfd4", "rt_tgsigqueueinfo", "pidfd_send_signal", "io_uring_enter",
];

/// `%ipc` (`TI`).
#[rustfmt::skip]
static IPC: &[&str] = &[
    "shmget", "shmat", "shmctl", "semget", "semop", "semctl", "shmdt", "msgget", "msgsnd",
    "msgrcv", "msgctl", "semtimedop",
];

/// `%network` (`TN`).
#[rustfmt::skip]
static NETWORK: &[&str] = &[
    "sendfile", "socket", "connect", "accept", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "shutdown", "bind", "listen", "getsockname", "getpeername", "socketpair", "setsockopt",
    "getsockopt", "getpmsg", "putpmsg", "accept4", "recvmmsg", "sendmmsg",
];

/// `%stat` (`TST`).
#[rustfmt::skip]
static STAT: &[&str] = &[
    "stat",
];

/// `%lstat` (`TLST`).
#[rustfmt::skip]
static LSTAT: &[&str] = &[
    "lstat",
];

/// `%fstat` (`TFST`).
#[rustfmt::skip]
static FSTAT: &[&str] = &[
    "fstat", "newfstatat", "statx",
];

/// `%%stat` (`TSTA`).
#[rustfmt::skip]
static STAT_LIKE: &[&str] = &[
    "stat", "fstat", "lstat", "newfstatat", "statx",
];

/// `%statfs` (`TSF`).
#[rustfmt::skip]
static STATFS: &[&str] = &[
    "statfs",
];

/// `%fstatfs` (`TFSF`).
#[rustfmt::skip]
static FSTATFS: &[&str] = &[
    "fstatfs",
];

/// `%%statfs` (`TSFA`).
#[rustfmt::skip]
static STATFS_LIKE: &[&str] = &[
    "ustat", "statfs", "fstatfs",
];

/// `%pure` (`PU`).
#[rustfmt::skip]
static PURE: &[&str] = &[
    "getpid", "getuid", "getgid", "geteuid", "getegid", "getppid", "getpgrp", "gettid",
];

/// `%clock` (`TCL`).
#[rustfmt::skip]
static CLOCK: &[&str] = &[
    "gettimeofday", "adjtimex", "settimeofday", "time", "clock_settime", "clock_gettime",
    "clock_getres", "clock_adjtime",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(expr: &str) -> Selection {
        Selection::parse(expr).unwrap_or_else(|e| panic!("{expr:?}: {e}"))
    }

    fn has(s: &Selection, name: &str) -> bool {
        s.contains(number(name).unwrap_or_else(|| panic!("no syscall {name}")))
    }

    #[test]
    fn names_and_numbers_round_trip() {
        let mut known = 0;
        for nr in 0..SELECTION_BITS as u32 {
            if let Some(n) = name(nr) {
                assert_eq!(number(n), Some(nr), "{n}");
                known += 1;
            }
        }
        assert!(known > 250, "only {known} syscalls known");
        assert_eq!(number("openat").and_then(name), Some("openat"));
        assert_eq!(number("no_such_syscall"), None);
        assert_eq!(name(u32::MAX), None);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_numbers() {
        assert_eq!(number("openat"), Some(257));
        assert_eq!(name(257), Some("openat"));
        assert_eq!(number("getppid"), Some(110));
        assert_eq!(name(110), Some("getppid"));
        assert_eq!(number("read"), Some(0));
        assert_eq!(number("fstatat"), Some(262)); // alias of newfstatat
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_class_member_exists_on_x86_64() {
        for (class, members) in CLASSES {
            for member in *members {
                assert!(number(member).is_some(), "{class}: {member}");
            }
        }
    }

    #[test]
    fn all_and_none() {
        let all = Selection::all();
        assert_eq!(all.len(), SELECTION_BITS);
        assert!(all.contains(0) && all.contains(SELECTION_BITS as u32 - 1));
        assert!(!all.contains(SELECTION_BITS as u32));
        assert_eq!(all.words(), [u64::MAX; SELECTION_WORDS]);
        let none = Selection::none();
        assert!(none.is_empty() && !none.contains(0));
        assert_eq!(none.len(), 0);
        assert_eq!(sel("all"), all);
        assert_eq!(sel("none"), none);
        assert_eq!(sel("!all"), none);
        assert_eq!(sel("!none"), all);
        assert_eq!(sel("read,all"), all);
    }

    #[test]
    fn classes() {
        let file = sel("%file");
        assert!(has(&file, "openat") && has(&file, "execve"));
        assert!(!has(&file, "read") && !has(&file, "close"));
        let process = sel("%process");
        assert!(has(&process, "execve") && has(&process, "clone") && has(&process, "exit_group"));
        assert!(!has(&process, "openat"));
        assert!(has(&sel("%network"), "connect") && has(&sel("%network"), "socket"));
        assert_eq!(sel("%net"), sel("%network"));
        assert!(has(&sel("%memory"), "mmap") && has(&sel("%memory"), "munmap"));
        assert!(has(&sel("%signal"), "rt_sigaction") && has(&sel("%signal"), "kill"));
        assert!(has(&sel("%ipc"), "semget") && !has(&sel("%ipc"), "socket"));
        assert!(has(&sel("%desc"), "read") && has(&sel("%desc"), "close"));
        assert!(has(&sel("%creds"), "setuid") && has(&sel("%creds"), "capset"));
        assert!(has(&sel("%clock"), "clock_gettime") && has(&sel("%clock"), "clock_settime"));
        let pure = sel("%pure");
        for n in ["getpid", "getppid", "gettid", "getuid", "getgid"] {
            assert!(has(&pure, n), "{n}");
        }
        assert!(!has(&pure, "read"));
        assert!(has(&sel("%%stat"), "fstat") && has(&sel("%%stat"), "statx"));
        assert!(has(&sel("%fstat"), "fstat") && has(&sel("%%stat"), "newfstatat"));
        assert!(has(&sel("%%statfs"), "statfs") && has(&sel("%fstatfs"), "fstatfs"));
        assert_eq!(sel("%FILE"), sel("%file"));
        for (class, _) in CLASSES {
            assert!(Selection::parse(class).is_ok(), "{class}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn x86_64_only_classes() {
        assert!(has(&sel("%stat"), "stat") && has(&sel("%lstat"), "lstat"));
        assert!(has(&sel("%%stat"), "stat") && has(&sel("%%stat"), "lstat"));
        assert!(has(&sel("%file"), "open") && has(&sel("%process"), "fork"));
        assert_eq!(sel("%stat").len(), 1);
    }

    #[test]
    fn names_numbers_and_unions() {
        let s = sel("openat,read,1,%process");
        assert!(has(&s, "openat") && has(&s, "read") && s.contains(1) && has(&s, "execve"));
        assert!(!has(&s, "close"));
        assert_eq!(sel("1023").len(), 1);
        // Numbers without a name are accepted (newer kernels).
        assert!(sel("1000").contains(1000));
    }

    #[test]
    fn negation() {
        let s = sel("!read,write");
        assert!(!has(&s, "read") && !has(&s, "write"));
        assert!(has(&s, "openat") && s.contains(SELECTION_BITS as u32 - 1));
        assert_eq!(s.len(), SELECTION_BITS - 2);
        assert_eq!(sel(" ! read , write "), s);
        assert_eq!(sel("!!read"), sel("read"));
        assert_eq!(sel("!%file").len(), SELECTION_BITS - sel("%file").len());
    }

    #[test]
    fn ignore_unknown_prefix() {
        assert_eq!(sel("?no_such_call,read"), sel("read"));
        assert_eq!(sel("?%no_such_class,read"), sel("read"));
        assert_eq!(sel("?read"), sel("read"));
        assert_eq!(sel("?99999,read"), sel("read"));
        assert!(sel("?no_such_call").is_empty());
        assert!(Selection::parse("no_such_call,read").is_err());
    }

    #[test]
    fn whitespace_and_empty_items() {
        assert_eq!(sel("  read ,\twrite  "), sel("read,write"));
        assert_eq!(sel("read,,write,"), sel("read,write"));
        for empty in ["", "   ", ",", " , ,", "!", " ! "] {
            assert_eq!(
                Selection::parse(empty),
                Err(SelectionError::Empty),
                "{empty:?}"
            );
        }
        assert!(SelectionError::Empty.to_string().contains("empty"));
    }

    #[test]
    fn unknown_syscall_suggestions() {
        let err = Selection::parse("read,opneat").unwrap_err();
        assert_eq!(
            err,
            SelectionError::Unknown {
                name: "opneat".into(),
                suggestion: Some("openat".into())
            }
        );
        assert_eq!(
            err.to_string(),
            r#"unknown syscall "opneat" (did you mean "openat"?)"#
        );
        assert!(matches!(
            Selection::parse("OPENAT"),
            Err(SelectionError::Unknown { suggestion: Some(s), .. }) if s == "openat"
        ));
        assert!(matches!(
            Selection::parse("file"),
            Err(SelectionError::Unknown { suggestion: Some(s), .. }) if s == "%file"
        ));
        let far = Selection::parse("xyzzyplugh").unwrap_err();
        assert!(matches!(
            &far,
            SelectionError::Unknown {
                suggestion: None,
                ..
            }
        ));
        assert!(far
            .to_string()
            .starts_with(r#"unknown syscall "xyzzyplugh""#));
        let big = Selection::parse("4096").unwrap_err();
        assert!(big.to_string().contains("out of range"), "{big}");
        let bang = Selection::parse("read,!write").unwrap_err();
        assert!(bang.to_string().contains("must come first"), "{bang}");
    }

    #[test]
    fn unknown_class_suggestions() {
        let err = Selection::parse("%fil").unwrap_err();
        assert_eq!(
            err,
            SelectionError::UnknownClass {
                name: "%fil".into(),
                suggestion: Some("%file".into())
            }
        );
        let msg = err.to_string();
        assert!(msg.starts_with(r#"unknown syscall class "%fil" (did you mean "%file"?"#));
        assert!(
            msg.contains("%process") && msg.contains("%%statfs"),
            "{msg}"
        );
        assert!(matches!(
            Selection::parse("%whatever"),
            Err(SelectionError::UnknownClass {
                suggestion: None,
                ..
            })
        ));
    }

    #[test]
    fn words_bit_layout() {
        let w = sel("0,63,64,257,1023").words();
        assert_eq!(w[0], 1 | 1 << 63);
        assert_eq!(w[1], 1);
        assert_eq!(w[4], 1 << 1);
        assert_eq!(w[SELECTION_WORDS - 1], 1 << 63);
        assert_eq!(w.iter().map(|x| x.count_ones()).sum::<u32>(), 5);
    }
}
