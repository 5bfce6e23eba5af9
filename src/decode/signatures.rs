//! Syscall argument signatures (names, C types, arity): a data table generated from tracefs.
//!
//! The table is `signatures.tsv`, produced by `scripts/gen-syscall-signatures.sh`
//! from the kernel's `events/syscalls/sys_enter_*/format` files (x86_64) and
//! embedded in the binary. Each line is `name<TAB>type name<TAB>...`; lines
//! starting with `#` are comments. It is parsed once, on first use.
//!
//! Names are the tracefs event names, which are the kernel's `SYSCALL_DEFINE`
//! names. A few differ from the x86_64 syscall table (`newfstat` for `fstat`,
//! `sendfile64` for `sendfile`, ...); [`by_name`] accepts both spellings.
//! Only syscalls the generating kernel was built with are present.

use std::sync::OnceLock;

/// The embedded table, as generated.
const TSV: &str = include_str!("signatures.tsv");

/// Syscall table names whose tracefs event is named differently:
/// `(syscall table name, tracefs name)`.
const ALIASES: &[(&str, &str)] = &[
    ("fstat", "newfstat"),
    ("lstat", "newlstat"),
    ("stat", "newstat"),
    ("uname", "newuname"),
    ("sendfile", "sendfile64"),
    ("umount2", "umount"),
];

/// Typedefs that are pointers although their spelling has no `*`.
const POINTER_TYPEDEFS: &[&str] = &["cap_user_header_t", "cap_user_data_t"];

/// Signed C integer types (after `const`/`volatile` are stripped).
const SIGNED_TYPES: &[&str] = &[
    "int",
    "signed",
    "signed int",
    "long",
    "signed long",
    "long int",
    "long long",
    "signed long long",
    "long long int",
    "short",
    "signed short",
    "short int",
    "signed char",
    "s8",
    "s16",
    "s32",
    "s64",
    "__s8",
    "__s16",
    "__s32",
    "__s64",
    "int8_t",
    "int16_t",
    "int32_t",
    "int64_t",
    "ssize_t",
    "pid_t",
    "off_t",
    "loff_t",
    "time_t",
    "clockid_t",
    "timer_t",
    "key_t",
    "key_serial_t",
    "mqd_t",
    "rwf_t",
];

/// One syscall argument: its C declaration split into type and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    pub ctype: &'static str,
}

impl Arg {
    /// Whether the argument is a pointer (its type contains `*`, or is a
    /// known pointer typedef such as `cap_user_header_t`).
    pub fn is_pointer(&self) -> bool {
        self.ctype.contains('*') || POINTER_TYPEDEFS.contains(&base_type(self.ctype))
    }

    /// Whether the argument is a signed C integer type (`int`, `long`,
    /// `pid_t`, `off_t`, `loff_t`, ...). A heuristic over the spelling:
    /// pointers, `unsigned ...`, enums, structs and unknown typedefs are not.
    pub fn is_signed(&self) -> bool {
        !self.is_pointer() && SIGNED_TYPES.contains(&base_type(self.ctype))
    }
}

/// `ctype` without leading `const` / `volatile` qualifiers.
fn base_type(ctype: &str) -> &str {
    let mut t = ctype.trim();
    loop {
        if let Some(rest) = t.strip_prefix("const ") {
            t = rest.trim_start();
        } else if let Some(rest) = t.strip_prefix("volatile ") {
            t = rest.trim_start();
        } else {
            return t;
        }
    }
}

/// A syscall's arguments, in order.
#[derive(Debug)]
pub struct Signature {
    pub name: &'static str,
    pub args: Vec<Arg>,
}

/// Parses one table line (`name<TAB>type name<TAB>...`).
fn parse_line(line: &'static str) -> Result<Signature, String> {
    let mut fields = line.split('\t');
    let name = fields.next().unwrap_or_default();
    if name.is_empty() || name.contains(' ') {
        return Err(format!("bad syscall name in {line:?}"));
    }
    let args = fields
        .map(|field| {
            let (ctype, arg) = field
                .trim()
                .rsplit_once(' ')
                .ok_or_else(|| format!("{name}: argument {field:?} is not `type name`"))?;
            let (ctype, arg) = (ctype.trim_end(), arg.trim());
            if ctype.is_empty() || arg.is_empty() {
                return Err(format!("{name}: argument {field:?} is not `type name`"));
            }
            Ok(Arg { name: arg, ctype })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Signature { name, args })
}

/// The table's data lines (not comments or blank lines).
fn data_lines() -> impl Iterator<Item = &'static str> {
    TSV.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
}

fn table() -> &'static [Signature] {
    static TABLE: OnceLock<Vec<Signature>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Malformed lines are skipped rather than fatal; the tests check there are none.
        let mut sigs: Vec<Signature> = data_lines().filter_map(|l| parse_line(l).ok()).collect();
        sigs.sort_by(|a, b| a.name.cmp(b.name));
        sigs.dedup_by(|a, b| a.name == b.name);
        sigs
    })
}

fn lookup(name: &str) -> Option<&'static Signature> {
    let t = table();
    t.binary_search_by(|s| s.name.cmp(name)).ok().map(|i| &t[i])
}

/// Signature of a syscall by name, if the table has it.
pub fn by_name(name: &str) -> Option<&'static Signature> {
    lookup(name).or_else(|| {
        ALIASES
            .iter()
            .find(|(table_name, _)| *table_name == name)
            .and_then(|(_, event_name)| lookup(event_name))
    })
}

/// All signatures, sorted by name.
#[cfg(test)]
pub fn all() -> &'static [Signature] {
    table()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn names(sig: &Signature) -> Vec<&'static str> {
        sig.args.iter().map(|a| a.name).collect()
    }

    #[test]
    fn openat() {
        let sig = by_name("openat").expect("openat");
        assert_eq!(sig.name, "openat");
        assert_eq!(names(sig), ["dfd", "filename", "flags", "mode"]);
        assert!(sig.args[1].is_pointer());
        assert_eq!(sig.args[1].ctype, "const char *");
        assert!(!sig.args[0].is_pointer());
        assert!(sig.args[0].is_signed());
        assert!(!sig.args[3].is_signed());
    }

    #[test]
    fn no_args() {
        assert!(by_name("getppid").expect("getppid").args.is_empty());
    }

    #[test]
    fn read() {
        let sig = by_name("read").expect("read");
        assert_eq!(names(sig), ["fd", "buf", "count"]);
        assert!(sig.args[1].is_pointer());
        assert!(!sig.args[0].is_signed(), "unsigned int fd");
        assert!(!sig.args[2].is_signed(), "size_t");
    }

    #[test]
    fn aliases_and_unknown() {
        assert_eq!(by_name("fstat").expect("fstat").name, "newfstat");
        assert_eq!(
            names(by_name("umount2").expect("umount2")),
            ["name", "flags"]
        );
        assert!(by_name("no_such_syscall").is_none());
        assert!(by_name("").is_none());
    }

    #[test]
    fn signedness_heuristics() {
        let arg = |ctype| Arg { name: "x", ctype };
        for t in [
            "int",
            "long",
            "pid_t",
            "off_t",
            "loff_t",
            "const int",
            "const clockid_t",
        ] {
            assert!(arg(t).is_signed(), "{t}");
        }
        for t in [
            "unsigned int",
            "unsigned long",
            "size_t",
            "u32",
            "umode_t",
            "uid_t",
            "int *",
        ] {
            assert!(!arg(t).is_signed(), "{t}");
        }
        assert!(arg("cap_user_header_t").is_pointer());
        assert!(arg("const char *const *").is_pointer());
    }

    #[test]
    fn table_is_large_sorted_and_unique() {
        let all = all();
        assert!(all.len() > 300, "only {} entries", all.len());
        assert!(
            all.windows(2).all(|w| w[0].name < w[1].name),
            "sorted, no duplicates"
        );
        let mut seen = HashSet::new();
        for line in data_lines() {
            let name = line.split('\t').next().unwrap();
            assert!(seen.insert(name), "duplicate line for {name}");
        }
        assert_eq!(seen.len(), all.len());
    }

    #[test]
    fn every_line_parses() {
        for line in data_lines() {
            let sig = parse_line(line).unwrap_or_else(|e| panic!("{e}"));
            assert!(sig.args.len() <= 6, "{}: {} args", sig.name, sig.args.len());
            let mut arg_names = HashSet::new();
            for a in &sig.args {
                assert!(
                    arg_names.insert(a.name),
                    "{}: argument {} twice",
                    sig.name,
                    a.name
                );
                assert!(
                    a.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{}: argument name {:?}",
                    sig.name,
                    a.name
                );
            }
        }
        assert!(TSV.starts_with('#'), "header comment");
    }

    #[test]
    fn parse_errors() {
        assert!(parse_line("x\tint").is_err());
        assert!(parse_line("\tint a").is_err());
        assert_eq!(parse_line("x").unwrap().args, []);
    }
}
