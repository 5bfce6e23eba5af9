//! The `probe` command: which BPF features and hooks this kernel offers, and which the tracer uses.
use std::mem::MaybeUninit;
use std::path::Path;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapType, OpenObject};
use serde::Serialize;

use crate::decode::syscalls::Selection;
use crate::kernel::features::Features;
use crate::kernel::loader;
use crate::kernel::preflight::{self, BTF_PATH};
use crate::kernel::probe_skel::ProbeSkelBuilder;

/// One line of the feature table.
#[derive(Debug, Serialize)]
pub struct Feature {
    pub name: &'static str,
    pub available: bool,
    /// What ai-forensics does with it (or instead of it).
    pub used_for: &'static str,
    /// Why it is missing, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What the verifier accepted for one of the tracer's programs.
#[derive(Debug, Serialize)]
pub struct ProgramStats {
    pub name: String,
    /// Instructions the verifier processed (bpf_prog_info.verified_insns, 5.16+; 0 if unknown).
    pub verified_insns: u32,
    /// Instructions after the verifier's rewrites.
    pub xlated_insns: u32,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub kernel: String,
    pub features: Vec<Feature>,
    /// The tracer's and the pH engine's programs as loaded (not attached) on this kernel.
    pub programs: Vec<ProgramStats>,
}

/// Loads the tracer as `trace --all` would, and the pH engine, and reads
/// back each program's verifier figures.
fn tracer_programs(features: Features) -> anyhow::Result<Vec<ProgramStats>> {
    let cfg = loader::Config {
        tracer_tgid: std::process::id(),
        trace_all: true,
        follow_children: false,
        comm: None,
        syscall_filter: Selection::all().words(),
        capture: true,
        string_limit: 32,
        ring_bytes: 1 << 20,
        features,
        storage_marks_watched: false,
    };
    let mut object = MaybeUninit::<OpenObject>::uninit();
    let skel = loader::load(&mut object, &cfg)?;
    let mut out = program_stats(skel.object());
    // The pH engine, as `daemon` loads it.
    let ph_cfg = crate::kernel::ph::Config {
        daemon_tgid: std::process::id(),
        scope: crate::kernel::ph::Scope::All,
        max_profiles: 16,
        max_rows: 16,
    };
    let mut ph_object = MaybeUninit::<OpenObject>::uninit();
    let ph = crate::kernel::ph::load(&mut ph_object, &ph_cfg)?;
    out.extend(program_stats(ph.object()));
    Ok(out)
}

/// Each loaded program's verifier figures.
fn program_stats(object: &libbpf_rs::Object) -> Vec<ProgramStats> {
    use std::os::fd::{AsFd, AsRawFd};

    let mut out = Vec::new();
    for prog in object.progs() {
        let mut info = libbpf_rs::libbpf_sys::bpf_prog_info::default();
        let mut len = std::mem::size_of_val(&info) as u32;
        // SAFETY: `info` is a zeroed bpf_prog_info of `len` bytes; the kernel fills it.
        let rc = unsafe {
            libbpf_rs::libbpf_sys::bpf_prog_get_info_by_fd(
                prog.as_fd().as_raw_fd(),
                &mut info,
                &mut len,
            )
        };
        if rc != 0 {
            continue;
        }
        out.push(ProgramStats {
            name: prog.name().to_string_lossy().into_owned(),
            verified_insns: info.verified_insns,
            xlated_insns: info.xlated_prog_len / 8,
        });
    }
    out
}

/// Loads and attaches only the program `name` of the probe object.
fn try_program(name: &str) -> Result<(), String> {
    let mut object = MaybeUninit::<OpenObject>::uninit();
    let mut open = ProbeSkelBuilder::default()
        .open(&mut object)
        .map_err(|e| e.to_string())?;
    for mut prog in open.open_object_mut().progs_mut() {
        let keep = prog.name() == name;
        prog.set_autoload(keep);
    }
    let mut skel = open.load().map_err(|e| format!("load: {e}"))?;
    let prog = skel
        .object_mut()
        .progs_mut()
        .find(|p| p.name() == name)
        .ok_or_else(|| format!("no program {name}"))?;
    prog.attach().map(drop).map_err(|e| format!("attach: {e}"))
}

fn feature(name: &'static str, used_for: &'static str, result: Result<(), String>) -> Feature {
    Feature {
        name,
        available: result.is_ok(),
        used_for,
        detail: result.err(),
    }
}

fn bool_result(ok: bool, why: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why.to_owned())
    }
}

pub fn report() -> anyhow::Result<Report> {
    preflight::check()?;
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let f = Features::probe();
    let lsm_list = std::fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
    let features = vec![
        feature(
            "btf",
            "CO-RE relocations, tp_btf programs",
            bool_result(Path::new(BTF_PATH).exists(), "no /sys/kernel/btf/vmlinux"),
        ),
        feature(
            "ringbuf",
            "the event stream (required)",
            bool_result(
                MapType::RingBuf.is_supported().unwrap_or(false),
                "BPF ring buffer needs Linux 5.8",
            ),
        ),
        feature(
            "tp_btf",
            "sys_enter/sys_exit and scheduler hooks (required)",
            try_program("probe_tp_btf"),
        ),
        feature(
            "raw_tracepoint",
            "not used yet (fallback for kernels without tp_btf)",
            try_program("probe_raw_tp"),
        ),
        feature(
            "task_storage",
            "per-thread entry state and watched marks (else a hash by tid)",
            bool_result(f.task_btf, "task-local storage needs Linux 5.11"),
        ),
        feature(
            "pidfd_thread",
            "marking threads of --pid/--comm targets (else a hash lookup per syscall)",
            bool_result(f.pidfd_thread, "pidfd_open(PIDFD_THREAD) needs Linux 6.9"),
        ),
        feature(
            "bpf_loop",
            "reading the data of iovec arrays (readv, writev, sendmsg ...)",
            bool_result(f.bpf_loop, "bpf_loop() needs Linux 5.17"),
        ),
        feature(
            "bpf_send_signal",
            "not used yet (in-kernel responses)",
            try_program("probe_send_signal"),
        ),
        feature("kprobe", "not used yet", try_program("probe_kprobe")),
        feature("fentry", "not used yet", try_program("probe_fentry")),
        feature(
            "bpf_lsm",
            "not used yet (enforcement)",
            if lsm_list.split(',').any(|l| l.trim() == "bpf") {
                try_program("probe_lsm")
            } else {
                Err(format!(
                    "\"bpf\" is not in /sys/kernel/security/lsm ({}); boot with lsm=...,bpf",
                    lsm_list.trim()
                ))
            },
        ),
    ];
    let programs = tracer_programs(f)?;
    Ok(Report {
        kernel,
        features,
        programs,
    })
}

pub fn run(json: bool) -> anyhow::Result<u8> {
    crate::kernel::loader::set_verbose(false);
    let r = report()?;
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("kernel {}", r.kernel);
        for f in &r.features {
            let state = if f.available { "yes" } else { "no " };
            println!("  {:<16} {state}  {}", f.name, f.used_for);
            if let Some(d) = &f.detail {
                println!("  {:<16}      ({d})", "");
            }
        }
        println!("programs (verified / translated instructions)");
        for p in &r.programs {
            println!(
                "  {:<20} {:>7} {:>7}",
                p.name, p.verified_insns, p.xlated_insns
            );
        }
    }
    Ok(0)
}
