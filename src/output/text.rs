//! strace-style text lines: `1234 openat(0xffffff9c, 0x7ffd..., 0x80000, 0) = 3 <0.000012>`.
use std::io::Write;

use super::{errno_of, signal_name, syscall_name};
use crate::decode::signatures::Arg;
use crate::decode::{self, comm_bytes, split_argv, DecodeError, Event};

fn escaped(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x20..=0x7e => out.push(b),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push(b'"');
}

/// A raw argument by its C type: pointers in hex (NULL for 0), integers in decimal.
fn raw_arg(out: &mut Vec<u8>, v: u64, arg: Option<&Arg>) {
    let _ = match arg {
        Some(a) if a.is_pointer() && v == 0 => write!(out, "NULL"),
        Some(a) if a.is_pointer() => write!(out, "{v:#x}"),
        Some(a) if a.is_signed() && a.ctype.contains("long") || a.ctype.contains("off_t") => {
            write!(out, "{}", v as i64)
        }
        Some(a) if a.is_signed() => write!(out, "{}", v as u32 as i32),
        Some(_) => write!(out, "{v}"),
        None => write!(out, "{v:#x}"),
    };
}

pub fn event(ev: &Event<'_>, out: &mut Vec<u8>) {
    let h = ev.header();
    let _ = write!(out, "{} ", h.tid);
    match ev {
        Event::Syscall(e) => {
            let mut buf = String::new();
            out.extend_from_slice(syscall_name(e.nr, &mut buf).as_bytes());
            out.push(b'(');
            let sig = decode::signature(e.nr);
            for (i, &a) in e.args[..decode::arity(e.nr)].iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                raw_arg(out, a, sig.map(|s| &s.args[i]));
            }
            out.push(b')');
            if e.hdr.flags & decode::F_NORETURN != 0 {
                out.extend_from_slice(b" = ?\n");
                return;
            }
            match errno_of(e.ret) {
                Some((name, desc)) if (512..=516).contains(&-e.ret) => {
                    let _ = write!(out, " = ? {name} ({desc})");
                }
                Some((name, desc)) => {
                    let _ = write!(out, " = -1 {name} ({desc})");
                }
                None if e.ret > 0xffff => {
                    let _ = write!(out, " = {:#x}", e.ret);
                }
                None => {
                    let _ = write!(out, " = {}", e.ret);
                }
            }
            let d = e.duration_ns;
            let _ = writeln!(
                out,
                " <{}.{:06}>",
                d / 1_000_000_000,
                (d % 1_000_000_000) / 1000
            );
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
