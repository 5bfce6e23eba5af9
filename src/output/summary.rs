//! The `-c` summary: time, calls and errors per syscall, as strace's table or one JSON event.
use std::io::Write;

use super::json::{key, Line};
use super::stats::SyscallCount;

const RULE: &str = "------ ----------- ----------- --------- --------- ----------------";

/// Rows sorted as strace sorts them: by time, then calls, then name.
fn sorted(rows: &[SyscallCount]) -> Vec<&SyscallCount> {
    let mut v: Vec<&SyscallCount> = rows.iter().collect();
    v.sort_by(|a, b| {
        b.time_ns
            .cmp(&a.time_ns)
            .then(b.calls.cmp(&a.calls))
            .then(a.syscall.cmp(&b.syscall))
    });
    v
}

fn percent(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * part as f64 / total as f64
    }
}

fn usecs_per_call(time_ns: u64, calls: u64) -> u64 {
    time_ns / 1000 / calls.max(1)
}

fn errors(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        n.to_string()
    }
}

/// strace's `-c` table.
pub fn text(rows: &[SyscallCount], w: &mut dyn Write) -> std::io::Result<()> {
    let total_ns: u64 = rows.iter().map(|r| r.time_ns).sum();
    let calls: u64 = rows.iter().map(|r| r.calls).sum();
    let errs: u64 = rows.iter().map(|r| r.errors).sum();
    writeln!(
        w,
        "% time     seconds  usecs/call     calls    errors syscall"
    )?;
    writeln!(w, "{RULE}")?;
    for r in sorted(rows) {
        writeln!(
            w,
            "{:>6.2} {:>11.6} {:>11} {:>9} {:>9} {}",
            percent(r.time_ns, total_ns),
            r.time_ns as f64 / 1e9,
            usecs_per_call(r.time_ns, r.calls),
            r.calls,
            errors(r.errors),
            r.syscall
        )?;
    }
    writeln!(w, "{RULE}")?;
    writeln!(
        w,
        "{:>6.2} {:>11.6} {:>11} {:>9} {:>9} total",
        100.0,
        total_ns as f64 / 1e9,
        usecs_per_call(total_ns, calls),
        calls,
        errors(errs)
    )
}

/// The same as one `{"type":"summary",...}` line.
pub fn json(rows: &[SyscallCount], out: &mut Vec<u8>) {
    let total_ns: u64 = rows.iter().map(|r| r.time_ns).sum();
    let mut l = Line::new(out, "summary");
    let o = l.raw(key!("syscalls"));
    o.push(b'[');
    for (i, r) in sorted(rows).into_iter().enumerate() {
        if i > 0 {
            o.push(b',');
        }
        let row = serde_json::json!({
            "syscall": r.syscall,
            "calls": r.calls,
            "errors": r.errors,
            "time_ns": r.time_ns,
            "usecs_per_call": usecs_per_call(r.time_ns, r.calls),
            "percent_time": (percent(r.time_ns, total_ns) * 100.0).round() / 100.0,
        });
        serde_json::to_writer(&mut *o, &row).expect("writing to a Vec cannot fail");
    }
    o.push(b']');
    l.u64(key!("calls"), rows.iter().map(|r| r.calls).sum())
        .u64(key!("errors"), rows.iter().map(|r| r.errors).sum())
        .u64(key!("time_ns"), total_ns);
    l.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<SyscallCount> {
        let row = |name: &str, calls, errors, time_ns| SyscallCount {
            syscall: name.into(),
            calls,
            errors,
            time_ns,
        };
        vec![row("read", 4, 0, 10_000), row("openat", 2, 1, 30_000)]
    }

    #[test]
    fn table_like_strace() {
        let mut out = Vec::new();
        text(&rows(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "% time     seconds  usecs/call     calls    errors syscall"
        );
        assert_eq!(
            lines[2],
            " 75.00    0.000030          15         2         1 openat"
        );
        assert_eq!(
            lines[3],
            " 25.00    0.000010           2         4           read"
        );
        assert_eq!(
            lines[5],
            "100.00    0.000040           6         6         1 total"
        );
    }

    #[test]
    fn summary_event() {
        let mut out = Vec::new();
        json(&rows(), &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["type"], "summary");
        assert_eq!(v["syscalls"][0]["syscall"], "openat");
        assert_eq!(v["syscalls"][0]["percent_time"], 75.0);
        assert_eq!(v["calls"], 6);
        assert_eq!(v["errors"], 1);
        assert_eq!(v["time_ns"], 40_000);
    }
}
