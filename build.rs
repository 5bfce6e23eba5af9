//! Compiles `bpf/*.bpf.c` with clang and generates the libbpf-rs skeletons into `OUT_DIR`.
use std::env;
use std::path::PathBuf;

use libbpf_cargo::SkeletonBuilder;

const PROGRAMS: &[&str] = &["tracer", "ph", "floor", "probe"];

/// FNV-1a, 64 bits: a stable fingerprint of a build output.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("CARGO_CFG_TARGET_ARCH");
    let vmlinux = manifest.join("vmlinux").join(&arch);
    if !vmlinux.join("vmlinux.h").exists() {
        panic!(
            "no vmlinux.h for target arch {arch}: generate vmlinux/{arch}/vmlinux.h with \
             scripts/gen-vmlinux.sh on a kernel of that architecture"
        );
    }
    let bpf_dir = manifest.join("bpf");

    let mut clang_args = vec![
        "-I".into(),
        vmlinux.display().to_string(),
        "-I".into(),
        bpf_dir.display().to_string(),
        "-Wall".into(),
        "-Werror".into(),
    ];
    if let Ok(extra) = env::var("BPF_CFLAGS") {
        clang_args.extend(extra.split_whitespace().map(str::to_owned));
    }

    for prog in PROGRAMS {
        let src = bpf_dir.join(format!("{prog}.bpf.c"));
        let skel = out.join(format!("{prog}.skel.rs"));
        let mut builder = SkeletonBuilder::new();
        builder.source(&src).clang_args(&clang_args);
        if let Ok(clang) = env::var("CLANG") {
            builder.clang(clang);
        }
        if let Err(e) = builder.build_and_generate(&skel) {
            panic!("building {}: {e:#}", src.display());
        }
        if *prog == "tracer" {
            // Keys the runtime cache of kernel types (src/kernel/core_btf.rs).
            let bytes = std::fs::read(&skel).expect("read the tracer skeleton");
            println!(
                "cargo:rustc-env=AIF_TRACER_OBJECT_HASH={:016x}",
                fnv1a(&bytes)
            );
        }
    }

    for entry in std::fs::read_dir(&bpf_dir).expect("read bpf/") {
        let path = entry.expect("bpf/ entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        vmlinux.join("vmlinux.h").display()
    );
    println!("cargo:rerun-if-env-changed=CLANG");
    println!("cargo:rerun-if-env-changed=BPF_CFLAGS");
}
