//! Output: events to JSON lines or strace-style text, and the final statistics.
pub mod clock;
pub mod json;
pub mod stats;
pub mod text;

use crate::cli::Format;
use crate::decode::{self, comm_bytes, split_argv, Event};
use crate::kernel::types;
use json::key;

pub use clock::Clock;

/// Formats events of one batch after another; one per worker thread.
#[derive(Debug, Clone)]
pub struct Formatter {
    format: Format,
    clock: Clock,
}

/// Name of a syscall number, or `syscall_N` for numbers this build does not know.
pub fn syscall_name(nr: u32, buf: &mut String) -> &str {
    match decode::syscalls::name(nr) {
        Some(n) => n,
        None => {
            buf.clear();
            buf.push_str("syscall_");
            buf.push_str(itoa::Buffer::new().format(nr));
            buf
        }
    }
}

/// Errno name for a failed return value (-4095..-1), like the kernel's `IS_ERR_VALUE`.
pub fn errno_of(ret: i64) -> Option<(&'static str, &'static str)> {
    if (-4095..0).contains(&ret) {
        let e = syscalls::Errno::new(-ret as i32);
        Some((
            e.name().unwrap_or("E?"),
            e.description().unwrap_or("Unknown error"),
        ))
    } else {
        None
    }
}

/// Signal name for a number (SIGKILL), or `SIG<n>`.
pub fn signal_name(sig: u32) -> String {
    let name = match sig as i32 {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSTKFLT => "SIGSTKFLT",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGPWR => "SIGPWR",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("SIG{sig}"),
    };
    name.to_owned()
}

impl Formatter {
    pub fn new(format: Format, clock: Clock) -> Self {
        Formatter { format, clock }
    }

    pub fn event(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => self.json_event(ev, out),
            Format::Text => text::event(ev, out),
        }
    }

    pub fn lost(&mut self, first_seq: u64, count: u64, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => {
                let mut l = json::Line::new(out, "lost");
                l.u64(key!("seq"), first_seq).u64(key!("count"), count);
                l.end();
            }
            Format::Text => text::lost(first_seq, count, out),
        }
    }

    /// A record that could not be decoded: reported in-band, never dropped silently.
    pub fn malformed(&mut self, seq: Option<u64>, error: &decode::DecodeError, out: &mut Vec<u8>) {
        match self.format {
            Format::Json => {
                let mut l = json::Line::new(out, "malformed");
                if let Some(seq) = seq {
                    l.u64(key!("seq"), seq);
                }
                l.str(key!("error"), &error.to_string());
                l.end();
            }
            Format::Text => text::malformed(seq, error, out),
        }
    }

    /// Opens a line with the fields every event shares.
    fn header<'o>(
        &mut self,
        kind: &str,
        h: &types::event_header,
        out: &'o mut Vec<u8>,
    ) -> json::Line<'o> {
        let mut l = json::Line::new(out, kind);
        l.u64(key!("seq"), h.seq);
        let o = l.raw(key!("time"));
        o.push(b'"');
        self.clock.write_rfc3339(h.ts_ns, o);
        o.push(b'"');
        l.u64(key!("pid"), h.pid.into())
            .u64(key!("tid"), h.tid.into())
            .u64(key!("ppid"), h.ppid.into())
            .u64(key!("uid"), h.uid.into())
            .bytes(key!("comm"), comm_bytes(&h.comm));
        l
    }

    fn json_event(&mut self, ev: &Event<'_>, out: &mut Vec<u8>) {
        match ev {
            Event::Syscall(e) => {
                let mut name = String::new();
                let mut l = self.header("syscall", &e.hdr, out);
                l.str(key!("syscall"), syscall_name(e.nr, &mut name))
                    .u64(key!("nr"), e.nr.into())
                    .hex_array(key!("raw_args"), &e.args[..decode::arity(e.nr)]);
                if e.hdr.flags & decode::F_NORETURN == 0 {
                    l.i64(key!("ret"), e.ret);
                    if let Some((errno, _)) = errno_of(e.ret) {
                        l.str(key!("errno"), errno);
                    }
                    l.u64(key!("duration_ns"), e.duration_ns);
                }
                l.end();
            }
            Event::Exec {
                hdr,
                old_tid,
                filename,
                argv,
            } => {
                let mut l = self.header("exec", hdr, out);
                l.bytes(key!("filename"), filename)
                    .strs(key!("argv"), split_argv(argv));
                if *old_tid != hdr.tid {
                    l.u64(key!("old_tid"), (*old_tid).into());
                }
                if hdr.flags & (decode::F_ARGV_TRUNC | decode::F_FILENAME_TRUNC) != 0 {
                    l.bool(key!("truncated"), true);
                }
                if hdr.flags & decode::F_ARGV_FAULT != 0 {
                    l.bool(key!("argv_unreadable"), true);
                }
                l.end();
            }
            Event::Fork(e) => {
                let mut l = self.header("fork", &e.hdr, out);
                l.u64(key!("child_pid"), e.child_pid.into())
                    .u64(key!("child_tid"), e.child_tid.into())
                    .bool(key!("thread"), e.hdr.flags & decode::F_THREAD != 0);
                l.end();
            }
            Event::Exit(e) => {
                let mut l = self.header("exit", &e.hdr, out);
                let status = e.exit_code;
                let sig = status & 0x7f;
                if sig == 0 {
                    l.u64(key!("exit_code"), ((status >> 8) & 0xff).into());
                } else {
                    l.str(key!("signal"), &signal_name(sig))
                        .bool(key!("core_dumped"), status & 0x80 != 0);
                }
                l.end();
            }
        }
    }
}
