//! `ai-forensics probe` reports the running kernel's features truthfully.
use std::process::Command;

#[test]
fn probe_json_reports_the_features_this_kernel_has() {
    let out = Command::new(env!("CARGO_BIN_EXE_ai-forensics"))
        .args(["probe", "--json"])
        .output()
        .expect("run probe");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(v["kernel"], release.trim());
    let features = v["features"].as_array().unwrap();
    let get = |name: &str| {
        features
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no feature {name} in {v}"))
    };
    // The tracer runs on this kernel, so what it requires must be reported present.
    for required in ["btf", "ringbuf", "tp_btf"] {
        assert_eq!(
            get(required)["available"],
            true,
            "{required}: {}",
            get(required)
        );
    }
    // What is missing says why.
    for f in features {
        assert!(f["available"].is_boolean(), "{f}");
        if f["available"] == false {
            assert!(f["detail"].as_str().is_some_and(|d| !d.is_empty()), "{f}");
        }
    }
    // bpf_lsm can only be there when the LSM list names bpf.
    let lsm = std::fs::read_to_string("/sys/kernel/security/lsm").unwrap_or_default();
    if !lsm.split(',').any(|l| l.trim() == "bpf") {
        assert_eq!(get("bpf_lsm")["available"], false);
    }
}

#[test]
fn probe_table_is_human_readable() {
    let out = Command::new(env!("CARGO_BIN_EXE_ai-forensics"))
        .arg("probe")
        .output()
        .expect("run probe");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("kernel "), "{text}");
    assert!(text
        .lines()
        .any(|l| l.trim_start().starts_with("ringbuf") && l.contains("yes")));
}
