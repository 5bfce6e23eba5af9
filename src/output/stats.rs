//! Final statistics: events by kind, per-syscall counts, loss, and what the tracer itself cost.
use std::io::Write;

use serde::Serialize;

use super::syscall_name;
use crate::decode::{syscalls::SELECTION_BITS, Event};

/// Counted per worker while formatting, then merged.
#[derive(Debug, Clone)]
pub struct Counts {
    pub syscalls: u64,
    pub execs: u64,
    pub forks: u64,
    pub exits: u64,
    pub malformed: u64,
    pub lost_records: u64,
    /// Calls traced only for -y's descriptor tables, not shown.
    pub hidden: u64,
    pub calls: Vec<u64>,
    pub errors: Vec<u64>,
    /// Time spent in each syscall (entry to exit), ns.
    pub time_ns: Vec<u64>,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            syscalls: 0,
            execs: 0,
            forks: 0,
            exits: 0,
            malformed: 0,
            lost_records: 0,
            hidden: 0,
            calls: vec![0; SELECTION_BITS],
            errors: vec![0; SELECTION_BITS],
            time_ns: vec![0; SELECTION_BITS],
        }
    }
}

impl Counts {
    pub fn add(&mut self, ev: &Event<'_>) {
        match ev {
            Event::Syscall(e, _) => {
                self.syscalls += 1;
                if let Some(c) = self.calls.get_mut(e.nr as usize) {
                    *c += 1;
                    self.time_ns[e.nr as usize] += e.duration_ns;
                    if super::is_error(e.ret) {
                        self.errors[e.nr as usize] += 1;
                    }
                }
            }
            Event::Exec { .. } => self.execs += 1,
            Event::Fork(_) => self.forks += 1,
            Event::Exit(_) => self.exits += 1,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.syscalls += other.syscalls;
        self.execs += other.execs;
        self.forks += other.forks;
        self.exits += other.exits;
        self.malformed += other.malformed;
        self.lost_records += other.lost_records;
        self.hidden += other.hidden;
        for (a, b) in self.calls.iter_mut().zip(&other.calls) {
            *a += b;
        }
        for (a, b) in self.errors.iter_mut().zip(&other.errors) {
            *a += b;
        }
        for (a, b) in self.time_ns.iter_mut().zip(&other.time_ns) {
            *a += b;
        }
    }

    pub fn events(&self) -> u64 {
        self.syscalls + self.execs + self.forks + self.exits
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SyscallCount {
    pub syscall: String,
    pub calls: u64,
    pub errors: u64,
    /// Total time in the call, entry to exit.
    pub time_ns: u64,
}

/// Everything reported at exit; also written as JSON with --stats-file.
#[derive(Debug, Serialize)]
pub struct Stats {
    pub events: u64,
    pub syscalls: u64,
    pub execs: u64,
    pub forks: u64,
    pub exits: u64,
    /// Sequence numbers never delivered (holes declared lost).
    pub lost: u64,
    /// The kernel's count of failed ring-buffer reservations.
    pub kernel_lost: u64,
    /// Calls traced only to keep -y's descriptor tables under a syscall
    /// selection: their sequence numbers are not in the stream.
    pub hidden: u64,
    /// Sequence numbers the kernel handed out (= events + lost + hidden).
    pub kernel_events: u64,
    /// Records that arrived after their hole had been declared lost.
    pub late: u64,
    pub malformed: u64,
    pub watch_map_full: u64,
    pub inflight_map_full: u64,
    pub wakeups: u64,
    pub timed_polls: u64,
    /// Wall time from attach to the end of the final drain.
    pub elapsed_ns: u64,
    /// Wall time to load and attach the programs (before tracing starts).
    pub setup_ns: u64,
    /// CPU the tracer used while tracing (setup excluded).
    pub cpu_user_ns: u64,
    pub cpu_system_ns: u64,
    pub peak_rss_kb: u64,
    pub private_rss_kb: u64,
    pub per_syscall: Vec<SyscallCount>,
}

/// (user, system) CPU time of this process in ns.
pub fn cpu_times() -> (u64, u64) {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let ns = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1000;
    (ns(ru.ru_utime), ns(ru.ru_stime))
}

/// (peak RSS, current anonymous RSS) in KiB, from /proc/self/status.
pub fn memory_kb() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("RssAnon:"))
}

impl Stats {
    pub fn per_syscall_from(counts: &Counts) -> Vec<SyscallCount> {
        let mut buf = String::new();
        let mut v: Vec<SyscallCount> = counts
            .calls
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(nr, &calls)| SyscallCount {
                syscall: syscall_name(nr as u32, &mut buf).to_owned(),
                calls,
                errors: counts.errors[nr],
                time_ns: counts.time_ns[nr],
            })
            .collect();
        v.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.syscall.cmp(&b.syscall)));
        v
    }

    /// The human summary for stderr.
    pub fn write_text(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let secs = self.elapsed_ns as f64 / 1e9;
        let cpu = self.cpu_user_ns + self.cpu_system_ns;
        writeln!(
            w,
            "ai-forensics: {} events ({} syscalls, {} exec, {} fork, {} exit) in {:.3} s; \
             lost {} (kernel counter {}){}",
            self.events,
            self.syscalls,
            self.execs,
            self.forks,
            self.exits,
            secs,
            self.lost,
            self.kernel_lost,
            if self.late + self.malformed > 0 {
                format!("; late {}, malformed {}", self.late, self.malformed)
            } else {
                String::new()
            }
        )?;
        if self.hidden > 0 {
            writeln!(
                w,
                "ai-forensics: {} calls outside the selection traced for -y's descriptor \
                 tables, not shown (their sequence numbers are skipped)",
                self.hidden
            )?;
        }
        writeln!(
            w,
            "ai-forensics: consumer woke {} times by the kernel, {} by its timer; \
             tracer CPU {:.1} ms ({} ns/event) after {:.1} ms of setup; \
             peak RSS {} KiB, private {} KiB",
            self.wakeups,
            self.timed_polls,
            cpu as f64 / 1e6,
            match self.events {
                0 => "n/a".to_owned(),
                n => (cpu / n).to_string(),
            },
            self.setup_ns as f64 / 1e6,
            self.peak_rss_kb,
            self.private_rss_kb
        )?;
        if self.watch_map_full + self.inflight_map_full > 0 {
            writeln!(
                w,
                "ai-forensics: WARNING: maps full: {} processes not watched, {} syscalls not traced",
                self.watch_map_full, self.inflight_map_full
            )?;
        }
        if !self.per_syscall.is_empty() {
            writeln!(w, "{:>10} {:>8}  syscall", "calls", "errors")?;
            for s in &self.per_syscall {
                writeln!(w, "{:>10} {:>8}  {}", s.calls, s.errors, s.syscall)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_syscall_sorted_by_calls() {
        let mut c = Counts::default();
        c.calls[0] = 3; // read
        c.calls[1] = 5; // write
        c.errors[0] = 1;
        let v = Stats::per_syscall_from(&c);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].calls, 5);
        assert_eq!(v[1].errors, 1);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(v[0].syscall, "write");
    }

    #[test]
    fn merge_adds() {
        let mut a = Counts::default();
        let mut b = Counts::default();
        a.calls[3] = 1;
        b.calls[3] = 2;
        b.syscalls = 2;
        a.merge(&b);
        assert_eq!(a.calls[3], 3);
        assert_eq!(a.syscalls, 2);
    }
}
