//! Decode: raw ring-buffer records into typed events (checked lengths, no blind casts).
pub mod consts;
pub mod render;
pub mod signatures;
pub mod structs;
pub mod syscalls;
pub mod table;
pub mod value;

use std::sync::OnceLock;

use std::mem::{offset_of, size_of};

use crate::kernel::types;

// SAFETY: the generated types are plain C structs of integers and byte arrays:
// every bit pattern is valid.
unsafe impl plain::Plain for types::event_header {}
unsafe impl plain::Plain for types::syscall_event {}
unsafe impl plain::Plain for types::fork_event {}
unsafe impl plain::Plain for types::exit_event {}
unsafe impl plain::Plain for types::inflight {}
unsafe impl plain::Plain for types::capture {}

pub const EVENT_SYSCALL: u16 = types::event_type::EVENT_SYSCALL.0 as u16;
pub const EVENT_EXEC: u16 = types::event_type::EVENT_EXEC.0 as u16;
pub const EVENT_FORK: u16 = types::event_type::EVENT_FORK.0 as u16;
pub const EVENT_EXIT: u16 = types::event_type::EVENT_EXIT.0 as u16;

pub const F_NORETURN: u16 = types::event_flags::EVENT_F_NORETURN.0 as u16;
pub const F_THREAD: u16 = types::event_flags::EVENT_F_THREAD.0 as u16;
pub const F_FILENAME_TRUNC: u16 = types::event_flags::EVENT_F_FILENAME_TRUNC.0 as u16;
pub const F_ARGV_TRUNC: u16 = types::event_flags::EVENT_F_ARGV_TRUNC.0 as u16;
pub const F_ARGV_FAULT: u16 = types::event_flags::EVENT_F_ARGV_FAULT.0 as u16;
pub const F_CAPTURES: u16 = types::event_flags::EVENT_F_CAPTURES.0 as u16;

pub const CAP_STR: u8 = types::capture_kind::CAP_STR.0 as u8;
pub const CAP_BUF: u8 = types::capture_kind::CAP_BUF.0 as u8;
pub const CAP_FIXED: u8 = types::capture_kind::CAP_FIXED.0 as u8;
pub const CAP_STRV: u8 = types::capture_kind::CAP_STRV.0 as u8;
pub const CAP_EXEC: u8 = types::capture_kind::CAP_EXEC.0 as u8;
pub const CAP_COUNT: u8 = types::capture_kind::CAP_COUNT.0 as u8;
pub const CAP_IOV: u8 = types::capture_kind::CAP_IOV.0 as u8;
pub const CAP_IOV_DATA: u8 = types::capture_kind::CAP_IOV_DATA.0 as u8;
pub const CAP_MSG: u8 = types::capture_kind::CAP_MSG.0 as u8;
pub const CAP_MSG_NAME: u8 = types::capture_kind::CAP_MSG_NAME.0 as u8;
pub const CAP_DIRENTS: u8 = types::capture_kind::CAP_DIRENTS.0 as u8;
pub const CAP_ENTRY: u8 = types::capture_kind::CAP_ENTRY.0 as u8;
pub const CAP_INO: u8 = types::capture_kind::CAP_INO.0 as u8;
/// The `arg` of a CAP_ENTRY read at the user stack pointer.
pub const CAP_ENTRY_ARG_SP: u8 = types::capture_limits::CAP_ENTRY_ARG_SP.0 as u8;
/// Most bytes of one CAP_ENTRY capture.
pub const CAP_ENTRY_READ_MAX: usize = types::capture_limits::CAP_ENTRY_READ_MAX.0 as usize;
/// Bytes per argv string slot of a CAP_STRV capture.
pub const CAP_STRV_SLOT: usize = types::capture_limits::CAP_STRV_SLOT.0 as usize;
pub const CAPR_TRUNC: u16 = types::capture_result::CAPR_TRUNC.0 as u16;
pub const CAPR_FAULT: u16 = types::capture_result::CAPR_FAULT.0 as u16;

/// A failed return value (-4095..-1), like the kernel's `IS_ERR_VALUE`.
pub fn is_error(ret: i64) -> bool {
    (-4095..0).contains(&ret)
}

/// User memory captured with a syscall record, checked at decode time.
#[derive(Debug, Clone, Copy, Default)]
pub struct Captures<'a>(&'a [u8]);

/// One captured value: which argument, how it was read, and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Captured<'a> {
    pub arg: u8,
    pub kind: u8,
    /// `CAPR_TRUNC`, `CAPR_FAULT`.
    pub flags: u16,
    pub data: &'a [u8],
}

impl Captured<'_> {
    pub fn truncated(&self) -> bool {
        self.flags & CAPR_TRUNC != 0
    }
    pub fn fault(&self) -> bool {
        self.flags & CAPR_FAULT != 0
    }
}

const CAPTURE_HDR: usize = size_of::<types::capture>();

impl<'a> Captures<'a> {
    pub const NONE: Captures<'static> = Captures(&[]);

    /// Checks that `raw` is a sequence of whole capture records.
    pub fn new(raw: &'a [u8]) -> Result<Self, DecodeError> {
        let mut rest = raw;
        while !rest.is_empty() {
            let (_, used) = Self::first(rest)?;
            rest = &rest[used.min(rest.len())..];
        }
        Ok(Captures(raw))
    }

    /// The record at the start of `raw` and the bytes it occupies (padded to 8).
    fn first(raw: &[u8]) -> Result<(Captured<'_>, usize), DecodeError> {
        let bad = DecodeError::BadLength {
            kind: "syscall",
            what: "captured data",
        };
        if raw.len() < CAPTURE_HDR {
            return Err(bad);
        }
        let hdr: types::capture = copy(raw, "capture")?;
        let len = hdr.len as usize;
        let data = raw.get(CAPTURE_HDR..CAPTURE_HDR + len).ok_or(bad)?;
        let c = Captured {
            arg: hdr.arg,
            kind: hdr.kind,
            flags: hdr.flags,
            data,
        };
        Ok((c, (CAPTURE_HDR + len + 7) & !7))
    }

    pub fn iter(&self) -> impl Iterator<Item = Captured<'a>> + 'a {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            let (c, used) = Self::first(rest).ok()?;
            rest = &rest[used.min(rest.len())..];
            Some(c)
        })
    }

    /// The capture of argument `arg` with kind `kind`, if any.
    pub fn get(&self, arg: u8, kind: u8) -> Option<Captured<'a>> {
        self.iter().find(|c| c.arg == arg && c.kind == kind)
    }
}

/// One decoded record. Variable parts borrow from the record bytes.
#[derive(Debug)]
pub enum Event<'a> {
    /// A completed (or never-returning) call and the user memory read for it.
    Syscall(types::syscall_event, Captures<'a>),
    Exec {
        hdr: types::event_header,
        old_tid: u32,
        filename: &'a [u8],
        argv: &'a [u8],
    },
    Fork(types::fork_event),
    Exit(types::exit_event),
}

impl Event<'_> {
    pub fn header(&self) -> &types::event_header {
        match self {
            Event::Syscall(e, _) => &e.hdr,
            Event::Exec { hdr, .. } => hdr,
            Event::Fork(e) => &e.hdr,
            Event::Exit(e) => &e.hdr,
        }
    }
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    Short {
        kind: &'static str,
        need: usize,
        got: usize,
    },
    UnknownType(u16),
    BadLength {
        kind: &'static str,
        what: &'static str,
    },
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Short { kind, need, got } => {
                write!(f, "{kind} record too short: {got} bytes, need {need}")
            }
            DecodeError::UnknownType(t) => write!(f, "unknown record type {t}"),
            DecodeError::BadLength { kind, what } => {
                write!(f, "{kind} record: {what} overruns the record")
            }
        }
    }
}

fn copy<T: plain::Plain + Default>(raw: &[u8], kind: &'static str) -> Result<T, DecodeError> {
    let mut v = T::default();
    plain::copy_from_bytes(&mut v, raw).map_err(|_| DecodeError::Short {
        kind,
        need: size_of::<T>(),
        got: raw.len(),
    })?;
    Ok(v)
}

fn u16_at(raw: &[u8], off: usize) -> u16 {
    u16::from_ne_bytes([raw[off], raw[off + 1]])
}

fn u32_at(raw: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(raw[off..off + 4].try_into().expect("4 bytes"))
}

/// A syscall record's fixed part and its `nargs` arguments (the rest zero),
/// and where they end.
#[inline(always)]
fn syscall_event(raw: &[u8]) -> Result<(types::syscall_event, usize), DecodeError> {
    let fixed = offset_of!(types::syscall_event, args);
    let short = |need| DecodeError::Short {
        kind: "syscall",
        need,
        got: raw.len(),
    };
    if raw.len() < fixed {
        return Err(short(fixed));
    }
    let nargs = u32_at(raw, offset_of!(types::syscall_event, nargs)) as usize;
    let mut e = types::syscall_event::default();
    if nargs > e.args.len() {
        return Err(DecodeError::BadLength {
            kind: "syscall",
            what: "the argument count",
        });
    }
    let end = fixed + nargs * size_of::<u64>();
    let args = raw.get(fixed..end).ok_or_else(|| short(end))?;
    // Two copies of known size, not one of `end` bytes: that would be a
    // memcpy call for every event.
    // SAFETY: syscall_event is Plain (any bytes are a valid value) and
    // `fixed` is the offset of its last field.
    unsafe { plain::as_mut_bytes(&mut e)[..fixed].copy_from_slice(&raw[..fixed]) };
    for (dst, src) in e.args.iter_mut().zip(args.chunks_exact(size_of::<u64>())) {
        *dst = u64::from_ne_bytes(src.try_into().expect("8 bytes"));
    }
    Ok((e, end))
}

/// Decodes one record as it came out of the ring buffer. Inlined: built in
/// its caller's frame, the event is not copied again on the way out.
#[inline(always)]
pub fn decode(raw: &[u8]) -> Result<Event<'_>, DecodeError> {
    // Peek at the type without copying the header: most records are
    // syscalls, copied once below.
    if raw.len() < size_of::<types::event_header>() {
        return Err(DecodeError::Short {
            kind: "event",
            need: size_of::<types::event_header>(),
            got: raw.len(),
        });
    }
    match u16_at(raw, offset_of!(types::event_header, r#type)) {
        EVENT_SYSCALL => {
            let (e, end) = syscall_event(raw)?;
            let captures = if e.hdr.flags & F_CAPTURES != 0 {
                Captures::new(&raw[end..])?
            } else {
                Captures::NONE
            };
            Ok(Event::Syscall(e, captures))
        }
        EVENT_FORK => Ok(Event::Fork(copy(raw, "fork")?)),
        EVENT_EXIT => Ok(Event::Exit(copy(raw, "exit")?)),
        EVENT_EXEC => {
            let hdr: types::event_header = copy(raw, "event")?;
            let data = offset_of!(types::exec_event, data);
            if raw.len() < data {
                return Err(DecodeError::Short {
                    kind: "exec",
                    need: data,
                    got: raw.len(),
                });
            }
            let old_tid = u32_at(raw, offset_of!(types::exec_event, old_tid));
            let flen = u16_at(raw, offset_of!(types::exec_event, filename_len)) as usize;
            let alen = u16_at(raw, offset_of!(types::exec_event, argv_len)) as usize;
            let rest = &raw[data..];
            if flen + alen > rest.len() {
                return Err(DecodeError::BadLength {
                    kind: "exec",
                    what: "filename and argv",
                });
            }
            let filename = &rest[..flen];
            let filename = filename.strip_suffix(&[0]).unwrap_or(filename);
            Ok(Event::Exec {
                hdr,
                old_tid,
                filename,
                argv: &rest[flen..flen + alen],
            })
        }
        other => Err(DecodeError::UnknownType(other)),
    }
}

/// The argument signature of syscall `nr`, if the table knows it.
pub fn signature(nr: u32) -> Option<&'static signatures::Signature> {
    static BY_NR: OnceLock<Vec<Option<&'static signatures::Signature>>> = OnceLock::new();
    BY_NR
        .get_or_init(|| {
            (0..syscalls::SELECTION_BITS as u32)
                .map(|nr| syscalls::name(nr).and_then(signatures::by_name))
                .collect()
        })
        .get(nr as usize)
        .copied()
        .flatten()
}

/// How many arguments syscall `nr` takes (all 6 when its signature is unknown).
pub fn arity(nr: u32) -> usize {
    signature(nr).map_or(6, |s| s.args.len())
}

/// The arguments a syscall record carries (its `nargs`, which the decoder
/// has checked; never more than the array).
pub fn sent_args(e: &types::syscall_event) -> &[u64] {
    &e.args[..(e.nargs as usize).min(e.args.len())]
}

/// Splits a NUL-separated argument block (as in /proc/PID/cmdline) into arguments.
pub fn split_argv(block: &[u8]) -> impl Iterator<Item = &[u8]> {
    let block = block.strip_suffix(&[0]).unwrap_or(block);
    block.split(|&b| b == 0).filter(move |_| !block.is_empty())
}

/// The NUL-terminated kernel `comm` as bytes.
pub fn comm_bytes(comm: &[i8; 16]) -> &[u8] {
    // SAFETY: i8 and u8 have the same size and alignment.
    let bytes: &[u8; 16] = unsafe { &*(comm as *const [i8; 16] as *const [u8; 16]) };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_bytes(ty: u16, seq: u64) -> types::event_header {
        let mut h = types::event_header {
            seq,
            pid: 10,
            tid: 11,
            ..Default::default()
        };
        h.r#type = ty;
        h.comm[..3].copy_from_slice(&[b'c' as i8, b'a' as i8, b't' as i8]);
        h
    }

    fn as_bytes<T>(v: &T) -> Vec<u8> {
        // SAFETY: test-only view of a plain C struct as bytes.
        unsafe { std::slice::from_raw_parts(v as *const T as *const u8, size_of::<T>()).to_vec() }
    }

    /// A syscall record as the kernel sends it: `nargs` arguments, then `captures`.
    fn syscall_bytes(ev: &types::syscall_event, captures: &[u8]) -> Vec<u8> {
        let mut raw = as_bytes(ev);
        raw.truncate(offset_of!(types::syscall_event, args) + 8 * ev.nargs as usize);
        raw.extend_from_slice(captures);
        raw
    }

    #[test]
    fn syscall_roundtrip() {
        let mut ev = types::syscall_event {
            hdr: header_bytes(EVENT_SYSCALL, 7),
            ret: -2,
            nr: 257,
            nargs: 2,
            args: [5, 6, 7, 8, 9, 10],
            ..Default::default()
        };
        ev.hdr.flags = F_CAPTURES;
        // One capture: arg 1, CAP_STR, no flags, 2 bytes, padded to 8.
        let mut cap = vec![1, CAP_STR, 0, 0, 2, 0, 0, 0, b'/', 0];
        cap.resize(16, 0);
        let raw = syscall_bytes(&ev, &cap);
        assert_eq!(
            raw.len(),
            80 + 2 * 8 + 16,
            "the arguments past nargs are not sent"
        );
        match decode(&raw).unwrap() {
            Event::Syscall(s, caps) => {
                assert_eq!(s.hdr.seq, 7);
                assert_eq!(s.ret, -2);
                assert_eq!(s.nr, 257);
                assert_eq!(s.args, [5, 6, 0, 0, 0, 0]);
                assert_eq!(comm_bytes(&s.hdr.comm), b"cat");
                assert_eq!(caps.get(1, CAP_STR).unwrap().data, b"/\0");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_records_are_errors() {
        let mut ev = types::syscall_event {
            hdr: header_bytes(EVENT_SYSCALL, 1),
            nargs: 6,
            ..Default::default()
        };
        let raw = syscall_bytes(&ev, &[]);
        for cut in [raw.len() - 1, offset_of!(types::syscall_event, args) - 1] {
            assert!(matches!(
                decode(&raw[..cut]),
                Err(DecodeError::Short {
                    kind: "syscall",
                    ..
                })
            ));
        }
        ev.nargs = 7;
        assert!(matches!(
            decode(&as_bytes(&ev)),
            Err(DecodeError::BadLength {
                kind: "syscall",
                ..
            })
        ));
        assert!(matches!(
            decode(&raw[..10]),
            Err(DecodeError::Short { kind: "event", .. })
        ));
        assert!(matches!(decode(&[]), Err(DecodeError::Short { .. })));
    }

    #[test]
    fn unknown_type() {
        let h = header_bytes(99, 1);
        assert_eq!(
            decode(&as_bytes(&h)).unwrap_err(),
            DecodeError::UnknownType(99)
        );
    }

    #[test]
    fn exec_variable_part() {
        let h = header_bytes(EVENT_EXEC, 3);
        let mut raw = as_bytes(&h);
        raw.resize(offset_of!(types::exec_event, data), 0);
        let fname = b"/bin/ls\0";
        let argv = b"ls\0-l\0";
        raw[offset_of!(types::exec_event, old_tid)..][..4].copy_from_slice(&12u32.to_ne_bytes());
        raw[offset_of!(types::exec_event, filename_len)..][..2]
            .copy_from_slice(&(fname.len() as u16).to_ne_bytes());
        raw[offset_of!(types::exec_event, argv_len)..][..2]
            .copy_from_slice(&(argv.len() as u16).to_ne_bytes());
        raw.extend_from_slice(fname);
        raw.extend_from_slice(argv);
        match decode(&raw).unwrap() {
            Event::Exec {
                filename,
                argv,
                old_tid,
                ..
            } => {
                assert_eq!(filename, b"/bin/ls");
                assert_eq!(old_tid, 12);
                let args: Vec<&[u8]> = split_argv(argv).collect();
                assert_eq!(args, [&b"ls"[..], b"-l"]);
            }
            other => panic!("{other:?}"),
        }
        // Lengths that overrun the record are rejected, not trusted.
        raw.truncate(raw.len() - 2);
        assert!(matches!(decode(&raw), Err(DecodeError::BadLength { .. })));
    }

    #[test]
    fn argv_splitting() {
        assert_eq!(split_argv(b"").count(), 0);
        assert_eq!(
            split_argv(b"a\0\0b\0").collect::<Vec<_>>(),
            [&b"a"[..], b"", b"b"]
        );
    }
}
