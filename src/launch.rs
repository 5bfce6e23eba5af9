//! Start a command held at a gate until the programs are attached, and reap all its descendants.
//!
//! The child is forked, then blocks reading a pipe; the tracer adds its pid to
//! the watched map, attaches, and opens the gate. The child's first traced
//! syscall is therefore its `execve`. The tracer is a child subreaper, so
//! orphaned descendants are reparented to it and it knows when the last one
//! is gone.
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;

use crate::error::{user, Kind};

/// A forked child waiting at the gate.
pub struct Held {
    pub pid: u32,
    gate: OwnedFd,
    gate_fd_in_child: i32,
    exec_status: OwnedFd,
    program: String,
}

fn pipe_cloexec() -> anyhow::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 returns.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("pipe2");
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn is_executable(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path.
    path.is_file() && unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0
}

/// Finds `program` the way execvp would (a name with a slash is used as is).
pub fn resolve(program: &OsStr) -> anyhow::Result<PathBuf> {
    let shown = program.to_string_lossy();
    if program.as_bytes().contains(&b'/') {
        let p = PathBuf::from(program);
        if !p.exists() {
            return Err(user(
                Kind::CommandNotFound,
                format!("{shown}: no such file"),
            ));
        }
        if !is_executable(&p) {
            return Err(user(
                Kind::CommandNotExecutable,
                format!("{shown}: not an executable file (check its mode with ls -l)"),
            ));
        }
        return Ok(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
        .ok_or_else(|| {
            user(
                Kind::CommandNotFound,
                format!("{shown}: command not found in PATH"),
            )
        })
}

/// Forks a child that waits at the gate, then execs `argv` (argv[0] resolved via PATH).
pub fn spawn_held(argv: &[OsString]) -> anyhow::Result<Held> {
    let program = resolve(&argv[0])?;
    let path =
        CString::new(program.as_os_str().as_bytes()).context("command path has a NUL byte")?;
    let args: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| user(Kind::Usage, "a command argument contains a NUL byte"))?;
    let mut arg_ptrs: Vec<*const libc::c_char> = args.iter().map(|a| a.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());
    let env: Vec<CString> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|e| e.as_ptr()).collect();
    env_ptrs.push(std::ptr::null());

    let (gate_r, gate_w) = pipe_cloexec()?;
    let (status_r, status_w) = pipe_cloexec()?;

    // SAFETY: the child only calls async-signal-safe functions (read, signal,
    // execve, write, _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(std::io::Error::last_os_error()).context("fork");
    }
    if pid == 0 {
        // SAFETY: see above; every pointer stays valid in the child's copy.
        unsafe {
            // Rust ignores SIGPIPE; the command must get the default back.
            // Done before the gate so the trace starts with execve.
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            // The tracer's ends: held here too, the gate would never
            // see end-of-file when the tracer dies before opening it.
            libc::close(gate_w.as_raw_fd());
            libc::close(status_r.as_raw_fd());
            let mut b = 0u8;
            let n = libc::read(gate_r.as_raw_fd(), (&mut b as *mut u8).cast(), 1);
            if n != 1 {
                // The tracer went away without opening the gate.
                libc::_exit(127);
            }
            libc::execve(path.as_ptr(), arg_ptrs.as_ptr(), env_ptrs.as_ptr());
            let errno = *libc::__errno_location();
            libc::write(
                status_w.as_raw_fd(),
                (&errno as *const i32).cast(),
                std::mem::size_of::<i32>(),
            );
            libc::_exit(if errno == libc::ENOENT { 127 } else { 126 });
        }
    }
    let gate_fd_in_child = gate_r.as_raw_fd();
    drop(gate_r);
    drop(status_w);
    Ok(Held {
        pid: pid as u32,
        gate: gate_w,
        gate_fd_in_child,
        exec_status: status_r,
        program: program.display().to_string(),
    })
}

impl Held {
    /// Waits until the child sleeps in read(2) on the gate, so that nothing it
    /// does before the gate opens can be traced once its pid is watched.
    pub fn wait_at_gate(&self) -> anyhow::Result<()> {
        let path = format!("/proc/{}/syscall", self.pid);
        let want = format!("{} {:#x} ", libc::SYS_read, self.gate_fd_in_child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let now = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
            if now.starts_with(&want) {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!(
                    "the command did not reach its start gate within 10 s ({path}: {now:?})"
                );
            }
            std::thread::sleep(std::time::Duration::from_micros(50));
        }
    }

    /// Opens the gate and waits until the child has exec'd (or failed to).
    pub fn release(self) -> anyhow::Result<()> {
        let b = [1u8];
        // SAFETY: writing one byte from a valid buffer to our pipe end.
        unsafe { libc::write(self.gate.as_raw_fd(), b.as_ptr().cast(), 1) };
        drop(self.gate);
        let mut errno = 0i32;
        // SAFETY: reading at most 4 bytes into `errno`; EOF means exec succeeded (CLOEXEC).
        let n = unsafe {
            libc::read(
                self.exec_status.as_raw_fd(),
                (&mut errno as *mut i32).cast(),
                std::mem::size_of::<i32>(),
            )
        };
        if n == std::mem::size_of::<i32>() as isize {
            let err = std::io::Error::from_raw_os_error(errno);
            let kind = if errno == libc::ENOENT {
                Kind::CommandNotFound
            } else {
                Kind::CommandNotExecutable
            };
            return Err(user(
                kind,
                format!("cannot execute {}: {err}", self.program),
            ));
        }
        Ok(())
    }
}

/// Makes orphaned descendants reparent to us instead of init.
pub fn become_subreaper() -> anyhow::Result<()> {
    // SAFETY: plain prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        return Err(std::io::Error::last_os_error()).context("prctl(PR_SET_CHILD_SUBREAPER)");
    }
    Ok(())
}

/// Shared between the reaper thread and the tracer.
#[derive(Debug, Default)]
pub struct ReapState {
    /// Set when no child or descendant is left.
    pub all_gone: AtomicBool,
    /// wait(2) status of the launched command, -1 until known.
    pub status: AtomicI32,
}

/// Reaps every child (and adopted orphan) until none is left, then calls `on_all_gone`.
pub fn spawn_reaper(
    main_pid: u32,
    on_all_gone: impl FnOnce() + Send + 'static,
) -> anyhow::Result<(Arc<ReapState>, JoinHandle<()>)> {
    let state = Arc::new(ReapState {
        all_gone: AtomicBool::new(false),
        status: AtomicI32::new(-1),
    });
    let st = Arc::clone(&state);
    let handle = std::thread::Builder::new()
        .name("reaper".into())
        .spawn(move || {
            loop {
                let mut status = 0;
                // SAFETY: waiting for any child; `status` is a valid out-pointer.
                let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL) };
                if pid < 0 {
                    if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                        continue;
                    }
                    break;
                }
                if pid as u32 == main_pid {
                    st.status.store(status, Ordering::SeqCst);
                }
            }
            st.all_gone.store(true, Ordering::SeqCst);
            on_all_gone();
        })
        .context("spawning the reaper thread")?;
    Ok((state, handle))
}

/// The shell convention for a wait status: the exit code, or 128 + signal.
pub fn exit_code_of(status: i32) -> u8 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u8
    } else if libc::WIFSIGNALED(status) {
        128u8.wrapping_add(libc::WTERMSIG(status) as u8)
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracer_gone_before_the_gate_opens_ends_the_command() {
        let held = spawn_held(&["sleep".into(), "30".into()]).unwrap();
        held.wait_at_gate().unwrap();
        let pid = held.pid as libc::pid_t;
        // What a tracer that fails to load, or is killed, leaves behind.
        drop(held);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut status = 0;
        // SAFETY: polling our own child's exit; `status` is a valid out-pointer.
        while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
            if std::time::Instant::now() > deadline {
                // SAFETY: killing the child this test made.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("the command still waits at its gate");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(exit_code_of(status), 127, "it exits without running");
    }

    #[test]
    fn wait_status_codes() {
        assert_eq!(exit_code_of(0), 0);
        assert_eq!(exit_code_of(3 << 8), 3);
        assert_eq!(exit_code_of(libc::SIGKILL), 128 + 9);
        assert_eq!(exit_code_of(libc::SIGSEGV | 0x80), 128 + 11);
    }

    #[test]
    fn resolve_finds_sh_and_rejects_missing() {
        assert!(resolve(OsStr::new("sh")).unwrap().is_absolute());
        let err = resolve(OsStr::new("definitely-not-a-command-xyz")).unwrap_err();
        let u = err.downcast_ref::<crate::error::UserError>().unwrap();
        assert_eq!(u.kind, Kind::CommandNotFound);
        let plain = std::env::temp_dir().join(format!("aif-not-exec-{}", std::process::id()));
        std::fs::write(&plain, "data").unwrap();
        let err = resolve(plain.as_os_str()).unwrap_err();
        std::fs::remove_file(&plain).unwrap();
        let u = err.downcast_ref::<crate::error::UserError>().unwrap();
        assert_eq!(u.kind, Kind::CommandNotExecutable);
    }
}
