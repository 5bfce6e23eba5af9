//! The `probe` command: which BPF features and hooks this kernel offers, and which the tracer uses.
use std::mem::MaybeUninit;
use std::path::Path;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapType, OpenObject};
use serde::Serialize;

use crate::kernel::features::Features;
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

#[derive(Debug, Serialize)]
pub struct Report {
    pub kernel: String,
    pub features: Vec<Feature>,
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
    Ok(Report { kernel, features })
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
    }
    Ok(0)
}
