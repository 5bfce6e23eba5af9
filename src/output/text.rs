//! strace-style text lines: `1234 openat(0xffffff9c, 0x7ffd..., 0x80000, 0) = 3 <0.000012>`.
use std::io::Write;

use super::{errno_of, signal_name, syscall_name};
use crate::decode::signatures::Arg;
use crate::decode::structs::quote_into;
use crate::decode::table::{Decoding, RetShape};
use crate::decode::value::Value;
use crate::decode::{self, comm_bytes, render, split_argv, DecodeError, Event};
use crate::enrich::Notes;
use crate::kernel::types;

/// A quoted, escaped string, as strace prints one.
fn escaped(out: &mut Vec<u8>, s: &[u8]) {
    quote_into(out, s);
}

fn int(out: &mut Vec<u8>, v: impl Into<i64>) {
    render::put_i64(out, v.into());
}

/// A raw argument by its C type: pointers in hex (NULL for 0), integers in decimal.
fn raw_arg(out: &mut Vec<u8>, v: u64, arg: Option<&Arg>) {
    let _ = match arg {
        Some(a) if a.is_pointer() && v == 0 => write!(out, "NULL"),
        Some(a) if a.is_pointer() => write!(out, "{v:#x}"),
        Some(a) if a.is_signed() && (a.ctype.contains("long") || a.ctype.contains("off_t")) => {
            write!(out, "{}", v as i64)
        }
        Some(a) if a.is_signed() => write!(out, "{}", v as u32 as i32),
        Some(_) => write!(out, "{v}"),
        None => write!(out, "{v:#x}"),
    };
}

/// The arguments of a call: decoded when the table knows the syscall, raw otherwise.
fn args(
    e: &types::syscall_event,
    decoding: Option<&Decoding>,
    notes: Option<&Notes>,
    out: &mut Vec<u8>,
) {
    out.push(b'(');
    match decoding {
        Some(d) => {
            let named = d.named();
            let mut first = true;
            d.args(|name, v| {
                if !first {
                    out.extend_from_slice(b", ");
                }
                first = false;
                if named {
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                }
                arg(name, v, notes, out);
            });
        }
        None => {
            let sig = decode::signature(e.nr);
            for (i, &a) in decode::sent_args(e).iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                raw_arg(out, a, sig.and_then(|s| s.args.get(i)));
            }
        }
    }
    out.push(b')');
}

/// One decoded argument, with what -y says of the descriptors in it.
fn arg(name: &str, v: &Value, notes: Option<&Notes>, out: &mut Vec<u8>) {
    match (v, notes) {
        // Descriptors in an array, by their place: the ones a call wrote
        // (`[3<pipe:[9]>, 4<pipe:[9]>]`), poll's (`[{fd=3</dev/null>, ...}]`).
        (Value::Array { items, more: false }, Some(n)) if n.has_items(name) => {
            out.push(b'[');
            for (k, item) in items.iter().enumerate() {
                if k > 0 {
                    out.extend_from_slice(b", ");
                }
                let key = format!("{name}[{k}]");
                match item {
                    Value::Struct { fields, more } => {
                        render::struct_noted(out, fields, *more, |field, out| {
                            if field == "fd" {
                                fd_note(notes, &key, out);
                            }
                        })
                    }
                    _ => {
                        render::text(item, out);
                        fd_note(notes, &key, out);
                    }
                }
            }
            out.push(b']');
        }
        // Descriptors of a select set: `[3<pipe:[9]> 4</dev/null>]`.
        (Value::BitSet(fds), Some(n)) if !n.fds.is_empty() => {
            render::bit_list_noted(out, fds, b' ', |k, out| {
                fd_note(notes, &format!("{name}[{k}]"), out)
            });
        }
        _ => {
            render::text(v, out);
            fd_note(notes, name, out);
        }
    }
}

/// strace -y: `3</etc/passwd>`.
fn fd_note(notes: Option<&Notes>, name: &str, out: &mut Vec<u8>) {
    if let Some(path) = notes.and_then(|n| n.fd(name)) {
        out.push(b'<');
        out.extend_from_slice(path.as_bytes());
        out.push(b'>');
    }
}

/// ` = 3`, ` = -1 ENOENT (...)`, ` = 0x8002 (flags O_RDWR)`.
fn ret(ret: i64, shape: Option<RetShape>, notes: Option<&Notes>, out: &mut Vec<u8>) {
    match errno_of(ret) {
        Some((name, desc)) if (512..=516).contains(&-ret) => {
            let _ = write!(out, " = ? {name} ({desc})");
        }
        Some((name, desc)) => {
            let _ = write!(out, " = -1 {name} ({desc})");
        }
        None => {
            let hex = match &shape {
                Some(s) => s.hex,
                None => ret > 0xffff,
            };
            out.extend_from_slice(b" = ");
            if hex {
                render::push_hex(out, ret as u64);
            } else {
                int(out, ret);
            }
            fd_note(notes, "ret", out);
            if let Some(extra) = shape.and_then(|s| s.extra) {
                out.extend_from_slice(b" (");
                match &extra {
                    Value::Call {
                        func: "flags",
                        args,
                    } if args.len() == 1 => {
                        out.extend_from_slice(b"flags ");
                        render::text(&args[0], out);
                    }
                    v => render::text(v, out),
                }
                out.push(b')');
            }
        }
    }
}

pub fn event(ev: &Event<'_>, notes: Option<&Notes>, string_limit: usize, out: &mut Vec<u8>) {
    let h = ev.header();
    int(out, h.tid);
    out.push(b' ');
    match ev {
        Event::Syscall(e, caps) => {
            let mut buf = String::new();
            out.extend_from_slice(syscall_name(e.nr, &mut buf).as_bytes());
            let call = super::call_of(e, *caps, string_limit);
            let decoding = Decoding::new(&call);
            args(e, decoding.as_ref(), notes, out);
            if call.returned {
                ret(e.ret, decoding.map(|d| d.ret()), notes, out);
            }
            if !call.returned {
                out.extend_from_slice(b" = ?\n");
                return;
            }
            let d = e.duration_ns;
            out.extend_from_slice(b" <");
            render::put_u64(out, d / 1_000_000_000);
            out.push(b'.');
            render::put_padded::<6>(out, (d % 1_000_000_000) / 1000);
            out.extend_from_slice(b">\n");
        }
        Event::Exec { filename, argv, .. } => {
            out.extend_from_slice(b"+++ exec ");
            escaped(out, filename);
            out.extend_from_slice(b" [");
            for (i, a) in split_argv(argv).enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                escaped(out, a);
            }
            out.extend_from_slice(b"] comm=");
            escaped(out, comm_bytes(&h.comm));
            out.extend_from_slice(b" +++\n");
        }
        Event::Fork(e) => {
            let what = if e.hdr.flags & decode::F_THREAD != 0 {
                "thread"
            } else {
                "process"
            };
            let _ = writeln!(
                out,
                "+++ new {what} {} (pid {}) +++",
                e.child_tid, e.child_pid
            );
        }
        Event::Exit(e) => {
            let sig = e.exit_code & 0x7f;
            if sig == 0 {
                let _ = writeln!(out, "+++ exited with {} +++", (e.exit_code >> 8) & 0xff);
            } else {
                let core = if e.exit_code & 0x80 != 0 {
                    " (core dumped)"
                } else {
                    ""
                };
                let _ = writeln!(out, "+++ killed by {}{core} +++", signal_name(sig));
            }
        }
    }
}

pub fn lost(first_seq: u64, count: u64, out: &mut Vec<u8>) {
    let _ = writeln!(
        out,
        "--- lost {count} events (seq {first_seq}..{}) ---",
        first_seq + count - 1
    );
}

pub fn malformed(seq: Option<u64>, error: &DecodeError, out: &mut Vec<u8>) {
    match seq {
        Some(s) => {
            let _ = writeln!(out, "--- malformed record seq {s}: {error} ---");
        }
        None => {
            let _ = writeln!(out, "--- malformed record: {error} ---");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Captures;

    fn syscall(nr: u32, args: [u64; 6], ret: i64, flags: u16) -> types::syscall_event {
        let mut e = types::syscall_event {
            ret,
            duration_ns: 12_345,
            args,
            nr,
            // As the kernel sends it: the call's own arguments.
            nargs: decode::arity(nr) as u32,
            ..Default::default()
        };
        e.hdr.tid = 42;
        e.hdr.flags = flags;
        e
    }

    fn line(ev: &Event<'_>) -> String {
        let mut out = vec![];
        event(ev, None, 32, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn syscall_lines_like_strace() {
        // openat(AT_FDCWD, path, O_RDONLY|O_CLOEXEC, 0) = 3
        let e = syscall(257, [(-100i64) as u64, 0x7ffd_0000, 0x80000, 0, 0, 0], 3, 0);
        assert_eq!(
            line(&Event::Syscall(e, Captures::NONE)),
            "42 openat(AT_FDCWD, 0x7ffd0000, O_RDONLY|O_CLOEXEC) = 3 <0.000012>\n"
        );
        let e = syscall(257, [(-100i64) as u64, 0, 0, 0, 0, 0], -2, 0);
        assert_eq!(
            line(&Event::Syscall(e, Captures::NONE)),
            "42 openat(AT_FDCWD, NULL, O_RDONLY) = -1 ENOENT (No such file or directory) <0.000012>\n"
        );
        // mmap returns an address: hex.
        let e = syscall(9, [0, 8192, 3, 0x22, u64::MAX, 0], 0x7f00_0000_0000, 0);
        assert!(line(&Event::Syscall(e, Captures::NONE)).contains(") = 0x7f0000000000 <"));
        // Kernel-internal restart codes read like strace's.
        let e = syscall(0, [3, 0x1000, 10, 0, 0, 0], -512, 0);
        assert!(line(&Event::Syscall(e, Captures::NONE)).contains(") = ? ERESTARTSYS ("));
        // A call that never returns.
        let e = syscall(231, [0; 6], 0, decode::F_NORETURN);
        assert_eq!(
            line(&Event::Syscall(e, Captures::NONE)),
            "42 exit_group(0) = ?\n"
        );
    }

    /// Raw arguments are the ones the record carries, whatever the table says.
    #[test]
    fn raw_args_are_the_records_own() {
        let mut e = syscall(1000, [1, 2, 0, 0, 0, 0], 0, 0);
        e.nargs = 2;
        assert_eq!(
            line(&Event::Syscall(e, Captures::NONE)),
            "42 syscall_1000(0x1, 0x2) = 0 <0.000012>\n"
        );
    }

    #[test]
    fn unknown_syscall_shows_six_hex_args() {
        let e = syscall(1000, [1, 2, 3, 4, 5, 6], 0, 0);
        assert_eq!(
            line(&Event::Syscall(e, Captures::NONE)),
            "42 syscall_1000(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = 0 <0.000012>\n"
        );
    }

    #[test]
    fn lifecycle_lines() {
        let mut x = types::exit_event {
            exit_code: 3 << 8,
            ..Default::default()
        };
        x.hdr.tid = 7;
        assert_eq!(line(&Event::Exit(x)), "7 +++ exited with 3 +++\n");
        x.exit_code = libc::SIGSEGV as u32 | 0x80;
        assert_eq!(
            line(&Event::Exit(x)),
            "7 +++ killed by SIGSEGV (core dumped) +++\n"
        );
        let mut f = types::fork_event {
            child_pid: 7,
            child_tid: 9,
            ..Default::default()
        };
        f.hdr.tid = 7;
        f.hdr.flags = decode::F_THREAD;
        assert_eq!(line(&Event::Fork(f)), "7 +++ new thread 9 (pid 7) +++\n");
        let hdr = types::event_header {
            tid: 5,
            ..Default::default()
        };
        let exec = Event::Exec {
            hdr,
            old_tid: 5,
            filename: b"/bin/e\"cho",
            argv: b"echo\0a\nb\0",
        };
        assert_eq!(
            line(&exec),
            "5 +++ exec \"/bin/e\\\"cho\" [\"echo\", \"a\\nb\"] comm=\"\" +++\n"
        );
    }

    #[test]
    fn lost_and_malformed_lines() {
        let mut out = vec![];
        lost(10, 3, &mut out);
        malformed(Some(4), &DecodeError::UnknownType(9), &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "--- lost 3 events (seq 10..12) ---\n--- malformed record seq 4: unknown record type 9 ---\n"
        );
    }
}
