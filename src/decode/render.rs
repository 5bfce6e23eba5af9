//! Renders decoded values: strace's text syntax, and typed JSON.
use std::io::Write;

use super::structs::quote;
use super::value::Value;

fn hex(out: &mut Vec<u8>, v: u64) {
    if v == 0 {
        out.push(b'0');
    } else {
        let _ = write!(out, "{v:#x}");
    }
}

/// Bytes in strace's `-x` style: every byte as `\xNN`.
fn hex_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for b in bytes {
        let _ = write!(out, "\\x{b:02x}");
    }
    out.push(b'"');
}

fn join(out: &mut Vec<u8>, items: &[Value], sep: &[u8]) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        text(v, out);
    }
}

/// Writes `v` as strace prints it.
pub fn text(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::UInt(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
        Value::Hex(h) => hex(out, *h),
        Value::Octal(0) => out.extend_from_slice(b"000"),
        Value::Octal(o) => {
            let _ = write!(out, "0{o:o}");
        }
        Value::Ptr(0) => out.extend_from_slice(b"NULL"),
        Value::Ptr(p) | Value::Unreadable(p) => {
            let _ = write!(out, "{p:#x}");
        }
        Value::Sym(s) => out.extend_from_slice(s.as_bytes()),
        Value::Flags { names, rest } => {
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b'|');
                }
                out.extend_from_slice(n.as_bytes());
            }
            if *rest != 0 || names.is_empty() {
                if !names.is_empty() {
                    out.push(b'|');
                }
                hex(out, *rest);
            }
        }
        Value::Str { bytes, truncated } => {
            out.extend_from_slice(quote(bytes).as_bytes());
            if *truncated {
                out.extend_from_slice(b"...");
            }
        }
        Value::Struct { fields, more } => {
            out.push(b'{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                // strace prints an IPv6 address as a bare inet_pton() call.
                if !matches!(
                    v,
                    Value::Call {
                        func: "inet_pton",
                        ..
                    }
                ) {
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                }
                text(v, out);
            }
            if *more {
                if !fields.is_empty() {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(b"...");
            }
            out.push(b'}');
        }
        Value::Array { items, more } => {
            out.push(b'[');
            join(out, items, b", ");
            if *more {
                if !items.is_empty() {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(b"...");
            }
            out.push(b']');
        }
        Value::SigSet { names, inverted } => {
            if *inverted {
                out.push(b'~');
            }
            out.push(b'[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(n.as_bytes());
            }
            out.push(b']');
        }
        Value::Call { func: "hex", args } => match args.first() {
            Some(Value::Str { bytes, truncated }) => {
                hex_escaped(out, bytes);
                if *truncated {
                    out.extend_from_slice(b"...");
                }
            }
            _ => join(out, args, b", "),
        },
        // What a call wrote back into a struct: `{...} => {parent_tid=[5]}`.
        Value::Call { func: "=>", args } => join(out, args, b" => "),
        Value::Call { func, args } => {
            out.extend_from_slice(func.as_bytes());
            out.push(b'(');
            join(out, args, b", ");
            out.push(b')');
        }
        Value::Commented { value, comment } => {
            text(value, out);
            let _ = write!(out, " /* {comment} */");
        }
        Value::Text(t) => out.extend_from_slice(t.as_bytes()),
    }
}

fn json_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

fn json_hex(out: &mut Vec<u8>, v: u64) {
    let _ = write!(out, "\"{v:#x}\"");
}

/// Bytes as a JSON string when they are UTF-8, else `{"hex":"..."}`.
fn json_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) => json_str(out, s),
        Err(_) => {
            out.extend_from_slice(b"{\"hex\":\"");
            for b in bytes {
                let _ = write!(out, "{b:02x}");
            }
            out.extend_from_slice(b"\"}");
        }
    }
}

fn json_list(out: &mut Vec<u8>, items: &[Value]) {
    out.push(b'[');
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json(v, out);
    }
    out.push(b']');
}

/// Writes `v` as a typed JSON value: numbers, names, lists, objects.
pub fn json(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::UInt(u) => out.extend_from_slice(itoa::Buffer::new().format(*u).as_bytes()),
        Value::Hex(h) => json_hex(out, *h),
        Value::Ptr(0) => out.extend_from_slice(b"null"),
        Value::Ptr(p) => json_hex(out, *p),
        Value::Octal(o) => {
            let _ = write!(out, "\"0{o:o}\"");
        }
        Value::Sym(s) => json_str(out, s),
        Value::Flags { names, rest } => {
            out.push(b'[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, n);
            }
            if *rest != 0 {
                if !names.is_empty() {
                    out.push(b',');
                }
                json_hex(out, *rest);
            }
            out.push(b']');
        }
        Value::Str { bytes, truncated } => {
            if *truncated {
                out.extend_from_slice(b"{\"data\":");
                json_bytes(out, bytes);
                out.extend_from_slice(b",\"truncated\":true}");
            } else {
                json_bytes(out, bytes);
            }
        }
        Value::Unreadable(p) => {
            out.extend_from_slice(b"{\"unreadable\":");
            json_hex(out, *p);
            out.push(b'}');
        }
        Value::Struct { fields, .. } => {
            out.push(b'{');
            for (i, (name, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, name);
                out.push(b':');
                json(v, out);
            }
            out.push(b'}');
        }
        Value::Array { items, .. } => json_list(out, items),
        Value::SigSet { names, inverted } => {
            if *inverted {
                out.extend_from_slice(b"{\"all_but\":");
            }
            out.push(b'[');
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, &format!("SIG{n}"));
            }
            out.push(b']');
            if *inverted {
                out.push(b'}');
            }
        }
        Value::Call {
            func: "makedev",
            args,
        } => {
            out.extend_from_slice(b"{\"major\":");
            json_number_of(out, args.first());
            out.extend_from_slice(b",\"minor\":");
            json_number_of(out, args.get(1));
            out.push(b'}');
        }
        Value::Call { args, .. } => {
            // htons(443) -> 443, inet_addr("1.2.3.4") -> "1.2.3.4",
            // inet_pton(AF_INET6, "::1", &sin6_addr) -> "::1".
            let main = args
                .iter()
                .find(|a| matches!(a, Value::Str { .. }))
                .or(args.first());
            match main {
                Some(a) => json(a, out),
                None => out.extend_from_slice(b"null"),
            }
        }
        Value::Commented { value, comment } => {
            out.extend_from_slice(b"{\"value\":");
            json(value, out);
            out.extend_from_slice(b",\"comment\":");
            json_str(out, comment);
            out.push(b'}');
        }
        Value::Text(t) => json_str(out, t),
    }
}

fn json_number_of(out: &mut Vec<u8>, v: Option<&Value>) {
    match v {
        Some(Value::Hex(n) | Value::UInt(n)) => {
            out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes())
        }
        Some(Value::Int(n)) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        _ => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &Value) -> String {
        let mut out = vec![];
        text(v, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn j(v: &Value) -> serde_json::Value {
        let mut out = vec![];
        json(v, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(t(&Value::Int(-1)), "-1");
        assert_eq!(t(&Value::Hex(0)), "0");
        assert_eq!(t(&Value::Hex(0x28000)), "0x28000");
        assert_eq!(t(&Value::Octal(0o644)), "0644");
        assert_eq!(t(&Value::Octal(0)), "000");
        assert_eq!(t(&Value::Ptr(0)), "NULL");
        assert_eq!(t(&Value::Ptr(0x7ffd)), "0x7ffd");
        assert_eq!(j(&Value::Ptr(0)), serde_json::Value::Null);
        assert_eq!(j(&Value::Ptr(0x10)), "0x10");
        assert_eq!(j(&Value::Hex(0)), "0x0");
        assert_eq!(j(&Value::Octal(0o755)), "0755");
    }

    #[test]
    fn flags() {
        let f = Value::Flags {
            names: vec!["O_RDONLY", "O_CLOEXEC"],
            rest: 0,
        };
        assert_eq!(t(&f), "O_RDONLY|O_CLOEXEC");
        assert_eq!(j(&f), serde_json::json!(["O_RDONLY", "O_CLOEXEC"]));
        let f = Value::Flags {
            names: vec!["MAP_PRIVATE"],
            rest: 0x1000000,
        };
        assert_eq!(t(&f), "MAP_PRIVATE|0x1000000");
        assert_eq!(j(&f), serde_json::json!(["MAP_PRIVATE", "0x1000000"]));
        let none = Value::Flags {
            names: vec![],
            rest: 0,
        };
        assert_eq!(t(&none), "0");
        assert_eq!(j(&none), serde_json::json!([]));
    }

    #[test]
    fn strings_and_structs() {
        let s = Value::Str {
            bytes: b"ab\n".to_vec(),
            truncated: true,
        };
        assert_eq!(t(&s), "\"ab\\n\"...");
        assert_eq!(
            j(&s),
            serde_json::json!({"data": "ab\n", "truncated": true})
        );
        assert_eq!(
            j(&Value::str(b"\xff\x00")),
            serde_json::json!({"hex": "ff00"})
        );
        let st = Value::Struct {
            fields: vec![
                ("sa_family", Value::Sym("AF_INET")),
                (
                    "sin_port",
                    Value::Call {
                        func: "htons",
                        args: vec![Value::UInt(443)],
                    },
                ),
            ],
            more: false,
        };
        assert_eq!(t(&st), "{sa_family=AF_INET, sin_port=htons(443)}");
        assert_eq!(
            j(&st),
            serde_json::json!({"sa_family": "AF_INET", "sin_port": 443})
        );
        let more = Value::Struct {
            fields: vec![("st_size", Value::UInt(3))],
            more: true,
        };
        assert_eq!(t(&more), "{st_size=3, ...}");
        let arr = Value::Array {
            items: vec![Value::str(b"ls")],
            more: true,
        };
        assert_eq!(t(&arr), "[\"ls\", ...]");
        let set = Value::SigSet {
            names: vec!["KILL", "STOP"],
            inverted: true,
        };
        assert_eq!(t(&set), "~[KILL STOP]");
        assert_eq!(
            j(&set),
            serde_json::json!({"all_but": ["SIGKILL", "SIGSTOP"]})
        );
        let c = Value::Commented {
            value: Box::new(Value::Ptr(0x10)),
            comment: "3 vars".into(),
        };
        assert_eq!(t(&c), "0x10 /* 3 vars */");
        let h = Value::Call {
            func: "hex",
            args: vec![Value::str(b"\x01\xab")],
        };
        assert_eq!(t(&h), "\"\\x01\\xab\"");
    }
}
