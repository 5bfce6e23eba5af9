//! Cross-checks the embedded syscall signature table (src/decode/signatures.tsv)
//! against the running kernel's tracefs syscall event formats.
//!
//! Needs root (to mount tracefs if it is not mounted). Skips, with a message,
//! only if tracefs cannot be found or mounted or has no syscall events.
//! Self-contained: the project is a binary crate, so the table is included
//! and parsed here rather than through the project's `decode::signatures`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TSV: &str = include_str!("../src/decode/signatures.tsv");

const TRACEFS: &str = "/sys/kernel/tracing";
const DEBUGFS_TRACING: &str = "/sys/kernel/debug/tracing";

/// A syscall's arguments as `(C type, name)` pairs, in order.
type Args = Vec<(String, String)>;

/// Splits a C declaration `type name` into `(type, name)`.
fn split_decl(decl: &str) -> Option<(String, String)> {
    let decl = decl.split_whitespace().collect::<Vec<_>>().join(" ");
    let (ctype, name) = decl.rsplit_once(' ')?;
    Some((ctype.to_string(), name.to_string()))
}

/// The embedded table: syscall name -> arguments.
fn table() -> BTreeMap<String, Args> {
    let mut map = BTreeMap::new();
    for line in TSV
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.split('\t');
        let name = fields.next().unwrap().to_string();
        let args = fields
            .map(|f| split_decl(f).unwrap_or_else(|| panic!("{name}: bad field {f:?}")))
            .collect();
        assert!(
            map.insert(name.clone(), args).is_none(),
            "{name} twice in the table"
        );
    }
    map
}

/// Arguments from one `sys_enter_*/format` file: the `field:` lines after
/// `__syscall_nr`.
fn parse_format(text: &str) -> Args {
    let mut args = Vec::new();
    let mut after_nr = false;
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("field:") else {
            continue;
        };
        let decl = rest.split(';').next().unwrap_or_default();
        let (ctype, name) = split_decl(decl).unwrap_or_else(|| panic!("bad field line {line:?}"));
        if name == "__syscall_nr" {
            after_nr = true;
        } else if after_nr {
            args.push((ctype, name));
        }
    }
    args
}

fn has_syscall_events(dir: &Path) -> bool {
    dir.join("events/syscalls").is_dir()
}

/// The tracefs directory with syscall events, mounting tracefs if needed.
fn tracefs() -> Result<PathBuf, String> {
    for d in [TRACEFS, DEBUGFS_TRACING] {
        if has_syscall_events(Path::new(d)) {
            return Ok(d.into());
        }
    }
    let out = Command::new("mount")
        .args(["-t", "tracefs", "tracefs", TRACEFS])
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if has_syscall_events(Path::new(TRACEFS)) {
        return Ok(TRACEFS.into());
    }
    if !out.status.success() {
        return Err(format!(
            "mount -t tracefs tracefs {TRACEFS} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Err(format!(
        "tracefs mounted at {TRACEFS} but has no events/syscalls (CONFIG_FTRACE_SYSCALLS off?)"
    ))
}

/// The kernel's syscalls: name -> arguments.
fn kernel(tracefs: &Path) -> BTreeMap<String, Args> {
    let dir = tracefs.join("events/syscalls");
    let mut map = BTreeMap::new();
    for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let entry = entry.unwrap();
        let file_name = entry.file_name();
        let Some(name) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix("sys_enter_"))
        else {
            continue;
        };
        let path = entry.path().join("format");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        map.insert(name.to_string(), parse_format(&text));
    }
    map
}

fn arg_names(args: &Args) -> Vec<&str> {
    args.iter().map(|(_, n)| n.as_str()).collect()
}

#[test]
fn table_matches_running_kernel() {
    let tracefs = match tracefs() {
        Ok(d) => d,
        Err(why) => {
            println!("SKIP signatures_tracefs: {why}");
            return;
        }
    };
    let kernel = kernel(&tracefs);
    let table = table();
    assert!(
        !kernel.is_empty(),
        "no sys_enter_* events in {}",
        tracefs.display()
    );

    let mut compared = 0;
    let mut mismatches = Vec::new();
    let mut type_diffs = Vec::new();
    for (name, kargs) in &kernel {
        let Some(targs) = table.get(name) else {
            continue;
        };
        compared += 1;
        if arg_names(kargs) != arg_names(targs) {
            mismatches.push(format!(
                "{name}: kernel ({}) {:?}, table ({}) {:?}",
                kargs.len(),
                arg_names(kargs),
                targs.len(),
                arg_names(targs)
            ));
        } else if kargs != targs {
            type_diffs.push(name.as_str());
        }
    }
    let kernel_only: Vec<&str> = kernel
        .keys()
        .filter(|n| !table.contains_key(*n))
        .map(String::as_str)
        .collect();
    let table_only: Vec<&str> = table
        .keys()
        .filter(|n| !kernel.contains_key(*n))
        .map(String::as_str)
        .collect();

    println!(
        "compared {compared} syscalls (kernel {} under {}, table {})",
        kernel.len(),
        tracefs.display(),
        table.len()
    );
    println!(
        "kernel only ({}): {}",
        kernel_only.len(),
        kernel_only.join(" ")
    );
    println!(
        "table only ({}): {}",
        table_only.len(),
        table_only.join(" ")
    );
    if !type_diffs.is_empty() {
        println!(
            "argument types differ, names agree ({}): {}",
            type_diffs.len(),
            type_diffs.join(" ")
        );
    }
    assert!(compared > 0, "no syscall in both the kernel and the table");
    assert!(
        mismatches.is_empty(),
        "{} syscalls disagree with the kernel:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn format_parsing() {
    let text = "name: sys_enter_openat\nID: 1\nformat:\n\
        \tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
        \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
        \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
        \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
        \tfield:const char *const * argv;\toffset:24;\tsize:8;\tsigned:0;\n\n\
        print fmt: \"dfd: 0x%08lx\"\n";
    let args = parse_format(text);
    assert_eq!(
        args,
        [
            ("int".to_string(), "dfd".to_string()),
            ("const char *const *".to_string(), "argv".to_string())
        ]
    );
    assert!(table().len() > 300);
}
