//! Which processes a command watches: pids resolved to processes, and command names.
use crate::error::{user, Kind};

/// The process (tgid) of a pid or thread id, checking it exists.
pub fn resolve_pids(pids: &[u32]) -> anyhow::Result<Vec<u32>> {
    let me = std::process::id();
    let mut out = Vec::new();
    for &pid in pids {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|_| {
            user(
                Kind::NoSuchProcess,
                format!("no process with pid {pid} (check with: ps -p {pid})"),
            )
        })?;
        let tgid = status
            .lines()
            .find_map(|l| l.strip_prefix("Tgid:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(pid);
        if tgid == me {
            return Err(user(Kind::Usage, "ai-forensics cannot trace itself"));
        }
        if !out.contains(&tgid) {
            out.push(tgid);
        }
    }
    Ok(out)
}

/// The NUL-padded name for `--comm` (the kernel keeps 15 bytes of it).
pub fn comm_filter(name: &str) -> anyhow::Result<[u8; 16]> {
    if name.is_empty() || name.contains('\0') {
        return Err(user(Kind::Usage, "--comm needs a non-empty name"));
    }
    if name.len() > 15 {
        eprintln!(
            "ai-forensics: note: the kernel keeps 15 bytes of a command name; matching {:?}",
            &name[..15]
        );
    }
    let mut comm = [0u8; 16];
    for (d, s) in comm.iter_mut().zip(name.bytes().take(15)) {
        *d = s;
    }
    Ok(comm)
}

/// Running processes whose comm equals `comm` (NUL-padded).
pub fn pids_with_comm(comm: &[u8; 16]) -> Vec<u32> {
    let want = &comm[..comm.iter().position(|&b| b == 0).unwrap_or(16)];
    let me = std::process::id();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/comm"))
                .map(|c| c.strip_suffix(b"\n").unwrap_or(&c) == want)
                .unwrap_or(false)
        })
        .collect()
}
