//! Descriptor tables and working directories per process, kept from the calls that change them.
//!
//! Descriptors created during the trace are known exactly (open, dup, pipe,
//! socket ...; close, close-on-exec, fork). Descriptors that existed before
//! (stdin of a launched command, everything of an attached process) and
//! kernel objects without a path (pipes, sockets) are looked up once in
//! `/proc/PID/fd`, which is best effort: the process may have moved on.
use foldhash::HashMap;
use std::sync::Arc;

use super::Notes;
use crate::decode::syscalls::{self, Selection};
use crate::decode::table::{self, Dec};
use crate::decode::{self, structs, Captures, Event};
use crate::decode::{CAP_BUF, CAP_ENTRY, CAP_EXEC, CAP_FIXED, CAP_INO, CAP_STR};
use crate::kernel::types;

#[derive(Debug, Clone)]
struct Fd {
    path: Arc<str>,
    cloexec: bool,
}

#[derive(Debug, Clone, Default)]
struct Proc {
    fds: HashMap<i32, Fd>,
    cwd: Option<Arc<str>>,
}

/// Where `/proc` is read from (a test can point it elsewhere or nowhere).
#[derive(Debug, Clone)]
pub struct Tracker {
    procs: HashMap<u32, Proc>,
    proc_root: Option<String>,
}

const AT_FDCWD: i32 = libc::AT_FDCWD;

/// `base/rel` with `.` and `..` resolved lexically.
pub fn join(base: &str, rel: &str) -> String {
    // Built as `/part` after `/part`; `..` drops the last one.
    let mut out = String::with_capacity(base.len() + rel.len() + 1);
    if !rel.starts_with('/') {
        for p in base.split('/').filter(|p| !p.is_empty()) {
            out.push('/');
            out.push_str(p);
        }
    }
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                let last = out.rfind('/').unwrap_or(0);
                out.truncate(last);
            }
            p => {
                out.push('/');
                out.push_str(p);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

fn int_pair(c: &[u8]) -> Option<(i32, i32)> {
    Some((
        i32::from_ne_bytes(c.get(0..4)?.try_into().ok()?),
        i32::from_ne_bytes(c.get(4..8)?.try_into().ok()?),
    ))
}

/// The inode numbers the kernel sent for a call's new descriptors
/// (CAP_INO at argument `arg`), in order.
fn inodes(caps: &Captures<'_>, arg: u8) -> Vec<u64> {
    caps.get(arg, CAP_INO)
        .filter(|c| !c.fault())
        .map(|c| {
            c.data
                .chunks_exact(8)
                .map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")))
                .collect()
        })
        .unwrap_or_default()
}

impl Tracker {
    /// `proc_root`: normally `Some("/proc")`; `None` never reads it.
    pub fn new(proc_root: Option<String>) -> Self {
        Tracker {
            procs: HashMap::default(),
            proc_root,
        }
    }

    fn readlink(&self, pid: u32, what: &str) -> Option<Arc<str>> {
        let root = self.proc_root.as_ref()?;
        let p = std::fs::read_link(format!("{root}/{pid}/{what}")).ok()?;
        Some(Arc::from(p.to_string_lossy().as_ref()))
    }

    fn proc_mut(&mut self, pid: u32) -> &mut Proc {
        self.procs.entry(pid).or_default()
    }

    /// What descriptor `fd` of `pid` refers to, asking /proc the first time.
    fn fd_path(&mut self, pid: u32, fd: i32) -> Option<Arc<str>> {
        if let Some(f) = self.procs.get(&pid).and_then(|p| p.fds.get(&fd)) {
            return Some(f.path.clone());
        }
        if fd < 0 {
            return None;
        }
        let path = self.readlink(pid, &format!("fd/{fd}"))?;
        self.proc_mut(pid).fds.insert(
            fd,
            Fd {
                path: path.clone(),
                cloexec: false,
            },
        );
        Some(path)
    }

    fn cwd(&mut self, pid: u32) -> Option<Arc<str>> {
        if let Some(c) = self.procs.get(&pid).and_then(|p| p.cwd.clone()) {
            return Some(c);
        }
        let cwd = self.readlink(pid, "cwd")?;
        self.proc_mut(pid).cwd = Some(cwd.clone());
        Some(cwd)
    }

    /// The file an absolute path names, symbolic links resolved as the
    /// kernel would show it (`/lib/x.so` is `/usr/lib/x.so`), when it can
    /// still be resolved (looked up now, from our mount namespace).
    fn canonical(&self, path: &str) -> String {
        if self.proc_root.is_none() {
            return path.to_string();
        }
        std::fs::canonicalize(path)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| path.to_string())
    }

    /// Gives a launched command the descriptors it inherits from us (0-2).
    pub fn inherit_std_fds(&mut self, pid: u32) {
        for fd in 0..3 {
            if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{fd}")) {
                let path = Arc::from(p.to_string_lossy().as_ref());
                self.set_fd(pid, fd, path, false);
            }
        }
    }

    /// Sets the working directory a process starts from (a launched command
    /// inherits ours).
    pub fn set_cwd(&mut self, pid: u32, cwd: &str) {
        self.proc_mut(pid).cwd = Some(Arc::from(cwd));
    }

    /// `path` made absolute against `dirfd` (or the cwd for AT_FDCWD).
    fn absolute(&mut self, pid: u32, dirfd: i32, path: &str) -> Option<String> {
        if path.starts_with('/') {
            return Some(join("/", path));
        }
        let base = if dirfd == AT_FDCWD {
            self.cwd(pid)?
        } else {
            self.fd_path(pid, dirfd)?
        };
        if !base.starts_with('/') {
            return None;
        }
        Some(join(&base, path))
    }

    fn set_fd(&mut self, pid: u32, fd: i32, path: Arc<str>, cloexec: bool) {
        if fd >= 0 {
            self.proc_mut(pid).fds.insert(fd, Fd { path, cloexec });
        }
    }

    /// A pipe or socket a call created, named by its inode as /proc names
    /// it (`pipe:[123]`). The kernel sends the inode with the call (`ino`);
    /// without it, /proc has it if the descriptor is still open and still
    /// that kind of object (it may be closed or reused by the time we
    /// look), else `pipe:[?]`.
    fn anon_fd(&mut self, pid: u32, fd: i32, kind: &str, ino: Option<u64>, cloexec: bool) {
        let path = match ino.filter(|&i| i != 0) {
            Some(ino) => Arc::from(format!("{kind}:[{ino}]")),
            None => {
                let prefix = format!("{kind}:[");
                self.readlink(pid, &format!("fd/{fd}"))
                    .filter(|p| p.starts_with(&prefix))
                    .unwrap_or_else(|| Arc::from(format!("{kind}:[?]")))
            }
        };
        self.set_fd(pid, fd, path, cloexec);
    }

    /// Takes the next event in sequence order; returns its notes.
    #[cfg(test)]
    pub fn event(&mut self, ev: &Event<'_>) -> Notes {
        let mut notes = Notes::default();
        self.event_into(ev, &mut notes);
        notes
    }

    /// [`Tracker::event`] adding the notes to `notes` (empty, and reused
    /// from event to event); only syscalls have notes.
    pub fn event_into(&mut self, ev: &Event<'_>, notes: &mut Notes) {
        match ev {
            Event::Syscall(e, caps) => self.syscall(e, caps, notes),
            Event::Fork(f) => {
                if f.hdr.flags & decode::F_THREAD == 0 {
                    let parent = self.procs.get(&f.hdr.pid).cloned().unwrap_or_default();
                    self.procs.insert(f.child_pid, parent);
                }
            }
            Event::Exec { hdr, .. } => {
                if let Some(p) = self.procs.get_mut(&hdr.pid) {
                    p.fds.retain(|_, f| !f.cloexec);
                }
            }
            Event::Exit(x) => {
                self.procs.remove(&x.hdr.pid);
            }
        }
    }

    fn syscall(&mut self, e: &types::syscall_event, caps: &Captures<'_>, notes: &mut Notes) {
        let pid = e.hdr.pid;
        let (Some(spec), Some(name)) = (table::lookup(e.nr), syscalls::name(e.nr)) else {
            return;
        };
        let sig = decode::signature(e.nr);
        let arg_name = |i: usize| -> &'static str {
            sig.and_then(|s| s.args.get(i)).map_or("arg", |a| a.name)
        };
        let fd_arg = |i: usize| e.args[i] as u32 as i32;
        let string_arg = |i: usize| -> Option<std::borrow::Cow<'_, str>> {
            let c = caps
                .get(i as u8, CAP_STR)
                .or_else(|| caps.iter().find(|c| c.kind == CAP_EXEC && c.arg == 0))?;
            if c.fault() {
                return None;
            }
            let data = c.data.strip_suffix(&[0]).unwrap_or(c.data);
            Some(String::from_utf8_lossy(data))
        };

        // Arguments refer to the state before the call.
        let mut dirfd = AT_FDCWD;
        for (i, dec) in spec.args.iter().enumerate() {
            match dec {
                Dec::Fd => {
                    if let Some(p) = self.fd_path(pid, fd_arg(i)) {
                        notes.fds.push((arg_name(i).into(), p));
                    }
                }
                Dec::Dirfd => {
                    dirfd = fd_arg(i);
                    // AT_FDCWD names the working directory (`AT_FDCWD</tmp>`).
                    let base = if dirfd == AT_FDCWD {
                        self.cwd(pid)
                    } else {
                        self.fd_path(pid, dirfd)
                    };
                    if let Some(p) = base {
                        notes.fds.push((arg_name(i).into(), p));
                    }
                }
                // Each descriptor of a select set, by its place in the set.
                Dec::FdSet => {
                    let fds = caps
                        .get(i as u8, CAP_ENTRY)
                        .filter(|c| !c.fault() && e.args[i] != 0)
                        .and_then(|c| table::fd_set_fds(c.data, e.args[0]));
                    for (k, fd) in fds.into_iter().flatten().enumerate() {
                        if let Some(p) = self.fd_path(pid, fd as i32) {
                            notes.fds.push((format!("{}[{k}]", arg_name(i)).into(), p));
                        }
                    }
                }
                // Each descriptor of poll's array, by its place in the array.
                Dec::PollFds => {
                    let fds = caps.get(i as u8, CAP_BUF).filter(|c| !c.fault());
                    let fds = fds.map(|c| structs::pollfd_fds(c.data));
                    for (k, fd) in fds.into_iter().flatten().enumerate() {
                        if let Some(p) = self.fd_path(pid, fd) {
                            notes.fds.push((format!("{}[{k}]", arg_name(i)).into(), p));
                        }
                    }
                }
                Dec::Path | Dec::ExecPath => {
                    if let Some(rel) =
                        string_arg(i).filter(|p| !p.starts_with('/') && !p.is_empty())
                    {
                        if let Some(abs) = self.absolute(pid, dirfd, &rel) {
                            notes.abs.push((arg_name(i), abs));
                        }
                    }
                }
                _ => {}
            }
        }

        let ret = e.ret;
        if decode::is_error(ret) || e.hdr.flags & decode::F_NORETURN != 0 {
            return;
        }
        let fd = ret as i32;
        let flags = |i: usize| e.args[i];
        let cloexec_open = |f: u64| f & libc::O_CLOEXEC as u64 != 0;
        let sock_cloexec = |f: u64| f & libc::SOCK_CLOEXEC as u64 != 0;
        match name {
            "open" | "creat" | "openat" | "openat2" => {
                let (dfd, path_arg, fl) = match name {
                    "open" => (AT_FDCWD, 0, flags(1)),
                    "creat" => (AT_FDCWD, 0, 0),
                    "openat" => (fd_arg(0), 1, flags(2)),
                    // openat2's flags are in its struct; close-on-exec unknown.
                    _ => (fd_arg(0), 1, 0),
                };
                let path = string_arg(path_arg)
                    .and_then(|p| self.absolute(pid, dfd, &p))
                    .map(|p| self.canonical(&p));
                match path {
                    Some(p) => self.set_fd(pid, fd, Arc::from(p), cloexec_open(fl)),
                    None => self.anon_fd(pid, fd, "file", None, cloexec_open(fl)),
                }
            }
            "close" => {
                self.proc_mut(pid).fds.remove(&fd_arg(0));
            }
            "close_range" => {
                let (lo, hi) = (e.args[0] as u32, e.args[1] as u32);
                let cloexec_only = e.args[2] & libc::CLOSE_RANGE_CLOEXEC as u64 != 0;
                self.proc_mut(pid).fds.retain(|&n, f| {
                    let inside = (n as u32) >= lo && (n as u32) <= hi;
                    if inside && cloexec_only {
                        f.cloexec = true;
                    }
                    !inside || cloexec_only
                });
            }
            "dup" | "dup2" | "dup3" | "fcntl" => {
                let cmd = e.args[1] as u32 as i32;
                let cloexec = match name {
                    "dup3" => flags(2) & libc::O_CLOEXEC as u64 != 0,
                    "fcntl" if cmd == libc::F_DUPFD_CLOEXEC => true,
                    "fcntl" if cmd == libc::F_DUPFD => false,
                    "fcntl" => {
                        if cmd == libc::F_SETFD {
                            let on = flags(2) & libc::FD_CLOEXEC as u64 != 0;
                            if let Some(f) = self.proc_mut(pid).fds.get_mut(&fd_arg(0)) {
                                f.cloexec = on;
                            }
                        }
                        return;
                    }
                    _ => false,
                };
                if let Some(p) = self.fd_path(pid, fd_arg(0)) {
                    self.set_fd(pid, fd, p, cloexec);
                }
            }
            "pipe" | "pipe2" | "socketpair" => {
                let (arg, kind, cloexec) = match name {
                    "socketpair" => (3, "socket", sock_cloexec(flags(1))),
                    "pipe2" => (0, "pipe", cloexec_open(flags(1))),
                    _ => (0, "pipe", false),
                };
                if let Some((a, b)) = caps
                    .get(arg, CAP_FIXED)
                    .filter(|c| !c.fault())
                    .and_then(|c| int_pair(c.data))
                {
                    let inos = inodes(caps, arg);
                    for (k, fd) in [a, b].into_iter().enumerate() {
                        self.anon_fd(pid, fd, kind, inos.get(k).copied(), cloexec);
                        if let Some(f) = self.procs.get(&pid).and_then(|p| p.fds.get(&fd)) {
                            let name = format!("{}[{k}]", arg_name(arg as usize));
                            notes.fds.push((name.into(), f.path.clone()));
                        }
                    }
                }
            }
            "socket" | "accept" | "accept4" => {
                let cloexec = match name {
                    "socket" => sock_cloexec(flags(1)),
                    "accept4" => sock_cloexec(flags(3)),
                    _ => false,
                };
                let ino = inodes(caps, table::RETURNED_FD).first().copied();
                self.anon_fd(pid, fd, "socket", ino, cloexec);
            }
            "epoll_create" | "epoll_create1" | "eventfd2" | "timerfd_create" | "memfd_create"
            | "inotify_init1" | "signalfd4" | "pidfd_open" | "userfaultfd" | "perf_event_open" => {
                // Their close-on-exec flag has the value of O_CLOEXEC.
                let fl = match name {
                    "epoll_create1" | "inotify_init1" | "userfaultfd" => flags(0),
                    "eventfd2" | "timerfd_create" | "memfd_create" => flags(1),
                    _ => 0,
                };
                // The names the kernel gives these objects (as /proc shows them).
                let path = match name {
                    "memfd_create" => match string_arg(0) {
                        Some(n) => format!("/memfd:{n} (deleted)"),
                        None => "/memfd:? (deleted)".into(),
                    },
                    "epoll_create" | "epoll_create1" => "anon_inode:[eventpoll]".into(),
                    "eventfd2" => "anon_inode:[eventfd]".into(),
                    "timerfd_create" => "anon_inode:[timerfd]".into(),
                    "inotify_init1" => "anon_inode:inotify".into(),
                    "signalfd4" => "anon_inode:[signalfd]".into(),
                    "pidfd_open" => "anon_inode:[pidfd]".into(),
                    "userfaultfd" => "anon_inode:[userfaultfd]".into(),
                    _ => "anon_inode:[perf_event]".into(),
                };
                self.set_fd(pid, fd, Arc::from(path), cloexec_open(fl));
            }
            "chdir" => {
                if let Some(p) = string_arg(0).and_then(|p| self.absolute(pid, AT_FDCWD, &p)) {
                    self.proc_mut(pid).cwd = Some(Arc::from(p));
                }
            }
            "fchdir" => {
                if let Some(p) = self.fd_path(pid, fd_arg(0)) {
                    self.proc_mut(pid).cwd = Some(p);
                }
            }
            _ => return,
        }
        let dup_cmd = |c: i32| c == libc::F_DUPFD || c == libc::F_DUPFD_CLOEXEC;
        if returns_fd(name) || (name == "fcntl" && dup_cmd(e.args[1] as u32 as i32)) {
            if let Some(f) = self.procs.get(&pid).and_then(|p| p.fds.get(&fd)) {
                notes.fds.push(("ret".into(), f.path.clone()));
            }
        }
    }
}

/// Calls whose return value is a new descriptor.
const RETURNS_FD: &[&str] = &[
    "open",
    "creat",
    "openat",
    "openat2",
    "dup",
    "dup2",
    "dup3",
    "socket",
    "accept",
    "accept4",
    "epoll_create",
    "epoll_create1",
    "eventfd2",
    "timerfd_create",
    "memfd_create",
    "inotify_init1",
    "signalfd4",
    "pidfd_open",
    "userfaultfd",
    "perf_event_open",
];

/// The other calls [`Tracker`] keeps its tables by.
const CHANGES_FDS: &[&str] = &[
    "close",
    "close_range",
    "fcntl",
    "pipe",
    "pipe2",
    "socketpair",
    "chdir",
    "fchdir",
];

/// The syscalls the tracker needs to see. Under a syscall selection, -y has
/// the kernel trace these too, so that a descriptor's name is known however
/// short-lived its process.
pub fn tracked() -> Selection {
    Selection::of_names(RETURNS_FD.iter().chain(CHANGES_FDS).copied())
}

fn returns_fd(name: &str) -> bool {
    RETURNS_FD.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn every_tracked_name_is_a_syscall() {
        // of_names skips names this architecture lacks: on x86_64, which
        // has them all, a misspelt one would go missing here.
        assert_eq!(tracked().len(), RETURNS_FD.len() + CHANGES_FDS.len());
    }

    #[test]
    fn join_as_the_part_list_did() {
        fn old(base: &str, rel: &str) -> String {
            let mut parts: Vec<&str> = if rel.starts_with('/') {
                Vec::new()
            } else {
                base.split('/').filter(|p| !p.is_empty()).collect()
            };
            for p in rel.split('/') {
                match p {
                    "" | "." => {}
                    ".." => {
                        parts.pop();
                    }
                    p => parts.push(p),
                }
            }
            format!("/{}", parts.join("/"))
        }
        let paths = [
            "",
            "/",
            ".",
            "..",
            "a",
            "a/b",
            "/a/b/",
            "../x",
            "a/../../b",
            "./a/./b/..",
            "//a//b",
            "/usr/share/doc",
            "x/..",
            "../..",
            "a/b/../../../c",
            "/./..",
            "a/./../b/",
        ];
        for base in paths {
            for rel in paths {
                assert_eq!(join(base, rel), old(base, rel), "{base:?} {rel:?}");
            }
        }
    }

    #[test]
    fn join_resolves_lexically() {
        assert_eq!(join("/a/b", "c"), "/a/b/c");
        assert_eq!(join("/a/b", "./c/../d"), "/a/b/d");
        assert_eq!(join("/a", "../../x"), "/x");
        assert_eq!(join("/a", "/etc//passwd"), "/etc/passwd");
        assert_eq!(join("/", ""), "/");
    }

    fn record(pid: u32, name: &str, args: [u64; 6], ret: i64) -> types::syscall_event {
        let mut e = types::syscall_event {
            nr: syscalls::number(name).unwrap(),
            args,
            ret,
            ..Default::default()
        };
        e.hdr.pid = pid;
        e.hdr.tid = pid;
        e
    }

    fn str_capture(arg: u8, s: &[u8]) -> Vec<u8> {
        let mut out = vec![arg, CAP_STR, 0, 0];
        out.extend_from_slice(&(s.len() as u32 + 1).to_ne_bytes());
        out.extend_from_slice(s);
        out.push(0);
        while out.len() % 8 != 0 {
            out.push(0);
        }
        out
    }

    const CWD: u64 = libc::AT_FDCWD as i64 as u64;

    #[test]
    fn opens_dups_closes_and_cloexec() {
        let mut t = Tracker::new(None);
        t.set_cwd(10, "/home/u");
        let raw = str_capture(1, b"data/x.txt");
        let caps = Captures::new(&raw).unwrap();
        // openat(AT_FDCWD, "data/x.txt", O_RDONLY|O_CLOEXEC) = 3
        let open = record(
            10,
            "openat",
            [CWD, 0x1000, libc::O_CLOEXEC as u64, 0, 0, 0],
            3,
        );
        let n = t.event(&Event::Syscall(open, caps));
        assert_eq!(n.abs, vec![("filename", "/home/u/data/x.txt".to_string())]);
        assert_eq!(n.fd("ret"), Some("/home/u/data/x.txt"));
        // read(3, ...) names the file.
        let read = record(10, "read", [3, 0x2000, 10, 0, 0, 0], 10);
        let n = t.event(&Event::Syscall(read, Captures::NONE));
        assert_eq!(n.fd("fd"), Some("/home/u/data/x.txt"));
        // dup2(3, 7): 7 is the same file, without close-on-exec.
        let dup = record(10, "dup2", [3, 7, 0, 0, 0, 0], 7);
        t.event(&Event::Syscall(dup, Captures::NONE));
        // A fork copies the table; exec drops close-on-exec descriptors.
        let mut fork = types::fork_event {
            child_pid: 11,
            child_tid: 11,
            ..Default::default()
        };
        fork.hdr.pid = 10;
        t.event(&Event::Fork(fork));
        let hdr = types::event_header {
            pid: 11,
            tid: 11,
            ..Default::default()
        };
        t.event(&Event::Exec {
            hdr,
            old_tid: 11,
            filename: b"/bin/x",
            argv: b"x\0",
        });
        let r3 = record(11, "read", [3, 0, 1, 0, 0, 0], 1);
        let n = t.event(&Event::Syscall(r3, Captures::NONE));
        assert_eq!(n.fd("fd"), None, "close-on-exec fd survived exec: {n:?}");
        let r7 = record(11, "read", [7, 0, 1, 0, 0, 0], 1);
        let n = t.event(&Event::Syscall(r7, Captures::NONE));
        assert_eq!(n.fd("fd"), Some("/home/u/data/x.txt"));
        // close(7) forgets it.
        let close = record(11, "close", [7, 0, 0, 0, 0, 0], 0);
        t.event(&Event::Syscall(close, Captures::NONE));
        let n = t.event(&Event::Syscall(r7, Captures::NONE));
        assert_eq!(n.fd("fd"), None);
        // The parent still has both.
        let n = t.event(&Event::Syscall(read, Captures::NONE));
        assert_eq!(n.fd("fd"), Some("/home/u/data/x.txt"));
    }

    #[test]
    fn dirfd_and_chdir_resolve_relative_paths() {
        let mut t = Tracker::new(None);
        t.set_cwd(5, "/");
        let raw = str_capture(1, b"etc");
        let open = record(5, "openat", [CWD, 0, libc::O_DIRECTORY as u64, 0, 0, 0], 4);
        t.event(&Event::Syscall(open, Captures::new(&raw).unwrap()));
        // openat(4</etc>, "passwd", ...) = 5</etc/passwd>
        let raw = str_capture(1, b"passwd");
        let open = record(5, "openat", [4, 0, 0, 0, 0, 0], 5);
        let n = t.event(&Event::Syscall(open, Captures::new(&raw).unwrap()));
        assert_eq!(n.fd("dfd"), Some("/etc"));
        assert_eq!(n.fd("ret"), Some("/etc/passwd"));
        // chdir("/tmp") moves the base of relative paths.
        let raw = str_capture(0, b"/tmp");
        let cd = record(5, "chdir", [0; 6], 0);
        t.event(&Event::Syscall(cd, Captures::new(&raw).unwrap()));
        let raw = str_capture(0, b"../var/log");
        let unlink = record(5, "unlink", [0; 6], -2);
        let n = t.event(&Event::Syscall(unlink, Captures::new(&raw).unwrap()));
        assert_eq!(n.abs, vec![("pathname", "/var/log".to_string())]);
    }

    #[test]
    fn unknown_descriptors_without_proc_have_no_note() {
        let mut t = Tracker::new(None);
        let read = record(9, "read", [0, 0, 1, 0, 0, 0], 1);
        let n = t.event(&Event::Syscall(read, Captures::NONE));
        assert!(n.is_empty());
    }
}
