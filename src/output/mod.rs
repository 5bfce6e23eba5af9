//! Output: events to JSON lines or strace-style text, and the final statistics.
pub mod clock;
pub mod json;
pub mod stats;
pub mod summary;
pub mod text;

use std::sync::OnceLock;

use crate::cli::Format;
use crate::decode::table::{self, Call};
use crate::decode::{self, comm_bytes, render, split_argv, Captures, Event};
use crate::enrich::Notes;
use crate::kernel::types;
use json::key;

pub use clock::Clock;
pub use decode::is_error;

/// Formats events of one batch after another; one per worker thread.
#[derive(Debug, Clone)]
pub struct Formatter {
    format: Format,
    clock: Clock,
    /// `-s`: bytes of buffer data shown.
    string_limit: usize,
    /// False with `-c`: only counted, not printed.
    events: bool,
    /// The last header's `,"pid":..,"tid":..,"ppid":..,"uid":..,"comm":".."`
    /// and whose it is: consecutive events mostly come from one thread.
    identity: (Option<Identity>, Vec<u8>),
    /// `,"syscall":"name","nr":N` by syscall number, built on first use.
    call_names: Vec<Vec<u8>>,
    /// Flags and constants already rendered.
    reg_memo: render::RegMemo,
}

/// What the identity part of a header is made of.
type Identity = (u32, u32, u32, u32, [i8; 16]);

/// `{"k":"v",...}` from string pairs.
fn json_map<'a>(o: &mut Vec<u8>, pairs: impl Iterator<Item = (&'a str, &'a str)>) {
    o.push(b'{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            o.push(b',');
        }
        render::json_string(o, k.as_bytes());
        o.push(b':');
        render::json_string(o, v.as_bytes());
    }
    o.push(b'}');
}

/// The decoders' view of a syscall record.
pub fn call_of<'a>(
    e: &'a types::syscall_event,
    captures: Captures<'a>,
    string_limit: usize,
) -> Call<'a> {
    Call {
        nr: e.nr,
        args: &e.args,
        ret: e.ret,
        returned: e.hdr.flags & decode::F_NORETURN == 0,
        captures,
        string_limit,
    }
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

/// The C library's text for errno `n` (what strace prints), when it knows it.
fn libc_strerror(n: i32) -> Option<&'static str> {
    /// Errno values user space sees; above them are kernel-internal codes.
    const USER_ERRNO_MAX: usize = 512;
    static TEXTS: OnceLock<Vec<Option<String>>> = OnceLock::new();
    let texts = TEXTS.get_or_init(|| {
        (0..USER_ERRNO_MAX as i32)
            .map(|n| {
                let mut buf = [0 as libc::c_char; 128];
                // SAFETY: the buffer is valid for its length; the XSI/GNU
                // variant chosen by the libc crate writes a NUL-terminated
                // string into it (and returns 0) when it knows the number.
                let rc = unsafe { libc::strerror_r(n, buf.as_mut_ptr(), buf.len()) };
                // SAFETY: NUL-terminated by strerror_r (or zeroed).
                let text = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }.to_string_lossy();
                (rc == 0 && !text.starts_with("Unknown error")).then(|| text.into_owned())
            })
            .collect()
    });
    texts.get(usize::try_from(n).ok()?)?.as_deref()
}

/// Errno name and description for a failed return value.
/// Opens the `-o FILE` of a command: truncated, or appended to (a daemon's
/// log); a failure is one line that says what to do.
pub fn open_file(path: &std::path::Path, append: bool) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(!append)
        .append(append)
        .open(path)
        .map_err(|e| {
            crate::error::user(
                crate::error::Kind::Output,
                format!(
                    "cannot write {}: {e} (choose a writable path with -o)",
                    path.display()
                ),
            )
        })
}

pub fn errno_of(ret: i64) -> Option<(&'static str, &'static str)> {
    if is_error(ret) {
        let n = -ret as i32;
        let e = syscalls::Errno::new(n);
        Some((
            e.name().unwrap_or("E?"),
            libc_strerror(n)
                .or_else(|| e.description())
                .unwrap_or("Unknown error"),
        ))
    } else {
        None
    }
}

/// Signal name for a number (SIGKILL), or `SIG<n>`.
pub fn signal_name(sig: u32) -> String {
    decode::consts::signal_name(sig).map_or_else(|| format!("SIG{sig}"), str::to_owned)
}

impl Formatter {
    pub fn new(format: Format, clock: Clock, string_limit: usize) -> Self {
        Formatter {
            format,
            clock,
            string_limit,
            events: true,
            identity: (None, Vec::new()),
            call_names: Vec::new(),
            reg_memo: render::RegMemo::default(),
        }
    }

    /// Counts events without printing them (`-c`); loss and malformed
    /// records are still printed.
    pub fn without_events(mut self) -> Self {
        self.events = false;
        self
    }

    /// One event; `notes` is what -y adds (descriptor paths, absolute paths).
    pub fn event(&mut self, ev: &Event<'_>, notes: Option<&Notes>, out: &mut Vec<u8>) {
        if !self.events {
            return;
        }
        match self.format {
            Format::Json => self.json_event(ev, notes, out),
            Format::Text => text::event(ev, notes, self.string_limit, out),
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
        opening: &'static str,
        h: &types::event_header,
        out: &'o mut Vec<u8>,
    ) -> json::Line<'o> {
        let mut l = json::Line::open(out, opening);
        l.u64(key!("seq"), h.seq);
        let o = l.raw(concat!(key!("time"), "\""));
        self.clock.write_rfc3339(h.ts_ns, o);
        o.push(b'"');
        let who = (h.pid, h.tid, h.ppid, h.uid, h.comm);
        let (last, bytes) = &mut self.identity;
        if *last != Some(who) {
            bytes.clear();
            let mut part = json::Line::fragment(bytes);
            part.u64(key!("pid"), h.pid.into())
                .u64(key!("tid"), h.tid.into())
                .u64(key!("ppid"), h.ppid.into())
                .u64(key!("uid"), h.uid.into())
                .bytes(key!("comm"), comm_bytes(&h.comm));
            *last = Some(who);
        }
        l.buf().extend_from_slice(bytes);
        l
    }

    /// Writes `,"syscall":"name","nr":N`, cached for the numbers a
    /// selection can hold (a malformed record's can be anything).
    fn call_name(&mut self, nr: u32, out: &mut Vec<u8>) {
        let write = |o: &mut Vec<u8>| {
            let mut name = String::new();
            json::Line::fragment(o)
                .str(key!("syscall"), syscall_name(nr, &mut name))
                .u64(key!("nr"), nr.into());
        };
        let i = nr as usize;
        if i >= decode::syscalls::SELECTION_BITS {
            return write(out);
        }
        if i >= self.call_names.len() {
            self.call_names.resize(i + 1, Vec::new());
        }
        let slot = &mut self.call_names[i];
        if slot.is_empty() {
            write(slot);
        }
        render::put(out, slot);
    }

    fn json_event(&mut self, ev: &Event<'_>, notes: Option<&Notes>, out: &mut Vec<u8>) {
        match ev {
            Event::Syscall(e, caps) => {
                let call = call_of(e, *caps, self.string_limit);
                let decoding = table::Decoding::new(&call);
                let mut l = self.header(json::open!("syscall"), &e.hdr, out);
                self.call_name(e.nr, l.buf());
                if let Some(d) = &decoding {
                    let o = l.raw(key!("args"));
                    o.push(b'{');
                    let mut first = true;
                    let memo = &mut self.reg_memo;
                    d.args_or_reg(|name, arg| {
                        if !first {
                            o.push(b',');
                        }
                        first = false;
                        o.push(b'"');
                        render::put(o, name.as_bytes());
                        o.extend_from_slice(b"\":");
                        match arg {
                            Ok(v) => render::json(v, o),
                            Err((decode, value)) => memo.json(decode, value, o),
                        }
                    });
                    o.push(b'}');
                }
                if let Some(n) = notes {
                    if !n.fds.is_empty() {
                        let o = l.raw(key!("fd_paths"));
                        json_map(o, n.fds.iter().map(|(k, v)| (&**k, &**v)));
                    }
                    if !n.abs.is_empty() {
                        let o = l.raw(key!("abs_paths"));
                        json_map(o, n.abs.iter().map(|(k, v)| (*k, v.as_str())));
                    }
                }
                l.hex_array(key!("raw_args"), decode::sent_args(e));
                if call.returned {
                    l.i64(key!("ret"), e.ret);
                    if let Some((errno, _)) = errno_of(e.ret) {
                        l.str(key!("errno"), errno);
                    }
                    if let Some(extra) = decoding.and_then(|d| d.ret().extra) {
                        render::json(&extra, l.raw(key!("ret_decoded")));
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
                let mut l = self.header(json::open!("exec"), hdr, out);
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
                let mut l = self.header(json::open!("fork"), &e.hdr, out);
                l.u64(key!("child_pid"), e.child_pid.into())
                    .u64(key!("child_tid"), e.child_tid.into())
                    .bool(key!("thread"), e.hdr.flags & decode::F_THREAD != 0);
                l.end();
            }
            Event::Exit(e) => {
                let mut l = self.header(json::open!("exit"), &e.hdr, out);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn json(ev: &Event<'_>) -> serde_json::Value {
        let mut f = Formatter::new(
            Format::Json,
            Clock::with_offset(1_795_327_653_000_000_000),
            32,
        );
        let mut out = vec![];
        f.event(ev, None, &mut out);
        let s = String::from_utf8(out).unwrap();
        assert!(s.ends_with('\n') && s.matches('\n').count() == 1);
        serde_json::from_str(&s).unwrap()
    }

    fn header(tid: u32) -> types::event_header {
        let mut h = types::event_header {
            seq: 9,
            ts_ns: 5,
            pid: 100,
            tid,
            ppid: 1,
            uid: 1000,
            ..Default::default()
        };
        h.comm[..2].copy_from_slice(&[b'p' as i8, b'y' as i8]);
        h
    }

    #[test]
    fn syscall_event_fields() {
        let e = types::syscall_event {
            hdr: header(101),
            ret: -13,
            duration_ns: 77,
            args: [1, 0xdead, 3, 0, 0, 0],
            nr: 2, // open on x86_64
            nargs: 3,
        };
        let v = json(&Event::Syscall(e, decode::Captures::NONE));
        assert_eq!(v["type"], "syscall");
        assert_eq!(v["seq"], 9);
        assert_eq!(v["time"], "2026-11-22T06:07:33.000000005Z");
        assert_eq!(v["pid"], 100);
        assert_eq!(v["tid"], 101);
        assert_eq!(v["ppid"], 1);
        assert_eq!(v["uid"], 1000);
        assert_eq!(v["comm"], "py");
        assert_eq!(v["nr"], 2);
        assert_eq!(v["ret"], -13);
        assert_eq!(v["errno"], "EACCES");
        assert_eq!(v["duration_ns"], 77);
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(v["syscall"], "open");
            assert_eq!(v["raw_args"], serde_json::json!(["0x1", "0xdead", "0x3"]));
        }
    }

    /// The cached parts of a header follow the thread and the call.
    #[test]
    fn headers_of_interleaved_threads_and_calls() {
        let mut f = Formatter::new(Format::Json, Clock::with_offset(0), 32);
        let mut out = vec![];
        let mut expect = vec![];
        for (tid, nr, comm) in [
            (101, 39, b'a'),
            (101, 39, b'a'),
            (102, 0, b'a'),
            (101, 1, b'a'),
            (101, 1, b'b'),
            (101, 5000, b'b'),
        ] {
            let mut hdr = header(tid);
            hdr.comm[0] = comm as i8;
            let e = types::syscall_event {
                hdr,
                nr,
                ..Default::default()
            };
            f.event(&Event::Syscall(e, decode::Captures::NONE), None, &mut out);
            expect.push((tid, nr, comm));
        }
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), expect.len());
        for (v, (tid, nr, comm)) in lines.iter().zip(expect) {
            assert_eq!(v["tid"], tid, "{v}");
            assert_eq!(v["nr"], nr, "{v}");
            assert_eq!(v["comm"], format!("{}y", comm as char), "{v}");
            assert_eq!(v["pid"], 100);
        }
        assert_eq!(lines[5]["syscall"], "syscall_5000");
        #[cfg(target_arch = "x86_64")]
        assert_eq!(lines[2]["syscall"], "read");
    }

    #[test]
    fn noreturn_has_no_ret() {
        let mut e = types::syscall_event {
            hdr: header(100),
            nr: 60,
            ..Default::default()
        };
        e.hdr.flags = decode::F_NORETURN;
        let v = json(&Event::Syscall(e, decode::Captures::NONE));
        assert!(v.get("ret").is_none() && v.get("duration_ns").is_none());
        assert!(v.get("errno").is_none());
    }

    #[test]
    fn exit_event_signal_and_code() {
        let e = types::exit_event {
            hdr: header(100),
            exit_code: libc::SIGKILL as u32,
            ..Default::default()
        };
        let v = json(&Event::Exit(e));
        assert_eq!(v["signal"], "SIGKILL");
        assert_eq!(v["core_dumped"], false);
        assert!(v.get("exit_code").is_none());
        let e = types::exit_event {
            hdr: header(100),
            exit_code: 2 << 8,
            ..Default::default()
        };
        assert_eq!(json(&Event::Exit(e))["exit_code"], 2);
    }

    #[test]
    fn exec_and_fork_events() {
        let mut hdr = header(100);
        hdr.flags = decode::F_ARGV_TRUNC;
        let v = json(&Event::Exec {
            hdr,
            old_tid: 103,
            filename: b"/usr/bin/python3",
            argv: b"python3\0-c\0pass\0",
        });
        assert_eq!(v["filename"], "/usr/bin/python3");
        assert_eq!(v["argv"], serde_json::json!(["python3", "-c", "pass"]));
        assert_eq!(v["old_tid"], 103);
        assert_eq!(v["truncated"], true);
        let f = types::fork_event {
            hdr: header(100),
            child_pid: 200,
            child_tid: 200,
        };
        let v = json(&Event::Fork(f));
        assert_eq!(v["child_pid"], 200);
        assert_eq!(v["thread"], false);
    }

    #[test]
    fn names_for_unknown_numbers() {
        let mut buf = String::new();
        assert_eq!(syscall_name(999, &mut buf), "syscall_999");
        assert_eq!(signal_name(100), "SIG100");
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(errno_of(-1).unwrap().0, "EPERM");
        assert!(errno_of(-4096).is_none());
        assert!(errno_of(0).is_none());
    }
}
