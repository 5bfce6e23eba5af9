//! The per-boot cache of kernel types for CO-RE (src/kernel/core_btf.rs):
//! a first start makes it, the next uses it, a damaged one is made anew, and
//! the programs are relocated exactly as against the whole kernel BTF and
//! loaded against the attach IDs it keeps.
mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs `trace --verbose -- BIN ARGS` with the cache in `dir` ("" turns it
/// off); returns (stdout, stderr).
fn traced(dir: &str, command: &[&str]) -> (String, String) {
    let out = Command::new(BIN)
        .env("AI_FORENSICS_RUNTIME_DIR", dir)
        .args(["trace", "--verbose", "--"])
        .args(command)
        .output()
        .expect("running the tracer");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "exit status; stderr:\n{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// libbpf's debug line when it has parsed the kernel's BTF.
const KERNEL_BTF_LOADED: &str = "loaded kernel BTF from";

/// libbpf's account of each patched instruction, without BTF type ids.
fn relocations(stderr: &str) -> Vec<String> {
    let ids = regex::Regex::new(r"\[\d+\]").unwrap();
    let mut v: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("patched insn"))
        .map(|l| ids.replace_all(l, "").into_owned())
        .collect();
    v.sort();
    v
}

fn cache_files(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

/// Syscall names in order, per process.
fn calls(stdout: &str) -> Vec<String> {
    Events::parse(stdout)
        .syscalls()
        .iter()
        .map(|e| e["syscall"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn made_once_then_used_with_the_same_relocations() {
    let known = Fixture::build("known");
    let cmd = [known.path(), "5"];
    let dir = TempDir::new("corebtf");
    let cache_dir = dir.join("run");
    let cache = cache_dir.to_str().unwrap();

    let (_, plain) = traced("", &cmd);
    assert!(!plain.contains("kernel types"), "cache off: {plain}");

    let (cold_out, cold) = traced(cache, &cmd);
    assert!(cold.contains("kernel types cached in"), "{cold}");
    let files = cache_files(&cache_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        name.starts_with("tracer-core-") && name.ends_with(".btf"),
        "{name}"
    );
    let raw = std::fs::read(&files[0]).unwrap();
    assert_eq!(&raw[..2], &0xeb9fu16.to_ne_bytes(), "BTF magic");

    let (warm_out, warm) = traced(cache, &cmd);
    assert!(warm.contains("kernel types and attach IDs from"), "{warm}");
    // The task is read through the read-only cast where the kernel has it.
    assert_eq!(
        warm.contains("read through bpf_rdonly_cast"),
        kernel_has_rdonly_cast(),
        "{warm}"
    );
    // With both, libbpf never parses the kernel's BTF.
    assert!(plain.contains(KERNEL_BTF_LOADED), "{plain}");
    assert!(!warm.contains(KERNEL_BTF_LOADED), "{warm}");
    let want = relocations(&plain);
    assert!(want.len() > 10, "libbpf reported relocations: {want:?}");
    assert_eq!(relocations(&cold), want);
    assert_eq!(relocations(&warm), want);
    assert_eq!(calls(&warm_out), calls(&cold_out));
    assert_eq!(Events::parse(&warm_out).count("getppid"), 5);
}

/// Makes the cache in a new directory, damages it with `damage`, and checks
/// that the next start traces as usual, says the cache did not load and makes
/// it anew, and that the start after that uses it whole.
fn damaged_cache_is_made_anew(tag: &str, damage: impl FnOnce(&Path)) {
    let known = Fixture::build("known");
    let cmd = [known.path(), "2"];
    let dir = TempDir::new(tag);
    let cache = dir.path().to_str().unwrap();
    traced(cache, &cmd);
    let files = cache_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    damage(&files[0]);

    let (out, stderr) = traced(cache, &cmd);
    assert_eq!(Events::parse(&out).count("getppid"), 2);
    assert!(
        stderr.contains("did not load") && stderr.contains("made anew"),
        "{stderr}"
    );
    let raw = std::fs::read(&files[0]).unwrap();
    assert_eq!(&raw[..2], &0xeb9fu16.to_ne_bytes(), "rewritten");
    let (out, again) = traced(cache, &cmd);
    assert!(
        again.contains("kernel types and attach IDs from"),
        "{again}"
    );
    assert_eq!(Events::parse(&out).count("getppid"), 2);
}

#[test]
fn a_damaged_cache_is_made_anew() {
    damaged_cache_is_made_anew("corebtf-bad", |file| {
        std::fs::write(file, b"not BTF").unwrap()
    });
}

/// Whether the kernel's BTF has the kfunc `bpf_rdonly_cast` (6.2+), by the
/// name among its strings.
fn kernel_has_rdonly_cast() -> bool {
    let btf = std::fs::read("/sys/kernel/btf/vmlinux").unwrap();
    btf.windows(17).any(|w| w == b"\0bpf_rdonly_cast\0")
}

/// Sets the value of every `btf_trace_*` enumerator (the cached attach IDs)
/// in a BTF file to `id`; returns how many were changed.
fn overwrite_attach_ids(file: &Path, id: i32) -> usize {
    overwrite_enumerators(file, |name| name.starts_with(b"btf_trace_"), id)
}

/// Sets the value of every enumerator whose name `pick` accepts to `id`;
/// returns how many were changed.
fn overwrite_enumerators(file: &Path, pick: impl Fn(&[u8]) -> bool, id: i32) -> usize {
    let mut raw = std::fs::read(file).unwrap();
    fn word(raw: &[u8], at: usize) -> usize {
        u32::from_ne_bytes(raw[at..at + 4].try_into().unwrap()) as usize
    }
    let hdr_len = word(&raw, 4);
    let (type_start, type_len) = (hdr_len + word(&raw, 8), word(&raw, 12));
    let (str_start, str_len) = (hdr_len + word(&raw, 16), word(&raw, 20));
    let strings = &raw[str_start..str_start + str_len];
    let mut name_offs = Vec::new();
    let mut off = 0;
    for s in strings.split(|&b| b == 0) {
        if pick(s) {
            name_offs.push(off as u32);
        }
        off += s.len() + 1;
    }
    // An enumerator is (name offset, value), 4-byte aligned in the type section.
    let mut changed = 0;
    for at in (type_start..=type_start + type_len - 8).step_by(4) {
        if name_offs.contains(&(word(&raw, at) as u32)) {
            raw[at + 4..at + 8].copy_from_slice(&id.to_ne_bytes());
            changed += 1;
        }
    }
    std::fs::write(file, &raw).unwrap();
    changed
}

/// Attach IDs the kernel rejects (a damaged file) cost one start the cache:
/// the programs load the usual way and the file is made anew.
#[test]
fn rejected_attach_ids_are_made_anew() {
    damaged_cache_is_made_anew("corebtf-ids", |file| {
        // Type 1 of the kernel BTF is no tracepoint's typedef.
        assert!(overwrite_attach_ids(file, 1) >= 5);
    });
}

/// A kfunc ID the kernel rejects for the task cast costs one start the cache too.
#[test]
fn a_rejected_task_cast_is_made_anew() {
    if !kernel_has_rdonly_cast() {
        eprintln!("skipped: the kernel has no bpf_rdonly_cast");
        return;
    }
    damaged_cache_is_made_anew("corebtf-cast", |file| {
        // Type 1 of the kernel BTF is no function.
        let changed = overwrite_enumerators(file, |name| name == b"bpf_rdonly_cast", 1);
        assert_eq!(changed, 1);
    });
}

#[test]
fn an_unwritable_cache_directory_only_costs_the_cache() {
    let known = Fixture::build("known");
    // A directory that cannot be made: under a regular file.
    let dir = TempDir::new("corebtf-ro");
    let file = dir.join("file");
    std::fs::write(&file, b"").unwrap();
    let cache = file.join("run");
    let (out, stderr) = traced(cache.to_str().unwrap(), &[known.path(), "3"]);
    assert_eq!(Events::parse(&out).count("getppid"), 3);
    assert!(stderr.contains("kernel types not cached"), "{stderr}");
    // Without --verbose nothing is said about it.
    let quiet = Command::new(BIN)
        .env("AI_FORENSICS_RUNTIME_DIR", &cache)
        .args(["trace", "-o", "/dev/null", "--", known.path(), "3"])
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(3));
    let text = String::from_utf8_lossy(&quiet.stderr);
    assert!(!text.contains("kernel types"), "{text}");
}
