//! Checks made before touching BPF, so that a missing privilege or kernel feature is one clear line.
use std::path::Path;

use crate::error::{user, Kind};

pub const BTF_PATH: &str = "/sys/kernel/btf/vmlinux";

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Effective capability bits of this process, from /proc/self/status.
fn effective_caps() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_cap_eff(&status)
}

fn parse_cap_eff(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

fn has_privileges(caps: u64) -> bool {
    let has = |c: u32| caps & (1u64 << c) != 0;
    has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))
}

/// Fails with a remedy unless we can load tracing programs on this kernel.
pub fn check() -> anyhow::Result<()> {
    if let Some(caps) = effective_caps() {
        if !has_privileges(caps) {
            return Err(user(
                Kind::Permission,
                "needs root, or CAP_BPF and CAP_PERFMON (try: sudo ai-forensics ...)",
            ));
        }
    }
    if !Path::new(BTF_PATH).exists() {
        return Err(user(
            Kind::Unsupported,
            format!(
                "this kernel has no BTF at {BTF_PATH}: boot a kernel built with \
                 CONFIG_DEBUG_INFO_BTF=y (the default on current Debian, Ubuntu, Fedora, RHEL)"
            ),
        ));
    }
    // BTF came in 4.18-5.2; the ring buffer, which every event needs, in 5.8.
    // (tp_btf programs arrived in 5.5, so every kernel that passes this check has them.)
    if !libbpf_rs::MapType::RingBuf.is_supported().unwrap_or(false) {
        return Err(user(
            Kind::Unsupported,
            "this kernel has no BPF ring buffer: ai-forensics needs Linux 5.8 or newer",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_parsing() {
        let root = "Name:\tx\nCapEff:\t000001ffffffffff\n";
        assert!(has_privileges(parse_cap_eff(root).unwrap()));
        let none = "CapEff:\t0000000000000000\n";
        assert!(!has_privileges(parse_cap_eff(none).unwrap()));
        let bpf_only = format!("CapEff:\t{:016x}\n", 1u64 << CAP_BPF);
        assert!(!has_privileges(parse_cap_eff(&bpf_only).unwrap()));
        let bpf_perfmon = format!(
            "CapEff:\t{:016x}\n",
            (1u64 << CAP_BPF) | (1u64 << CAP_PERFMON)
        );
        assert!(has_privileges(parse_cap_eff(&bpf_perfmon).unwrap()));
        assert_eq!(parse_cap_eff("nothing"), None);
    }
}
