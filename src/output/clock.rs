//! Kernel CLOCK_BOOTTIME nanoseconds to RFC3339 UTC wall-clock strings with 9 fractional digits.
use std::time::{Duration, UNIX_EPOCH};

/// Converts boot-time stamps to wall time, with a per-second cache of the date part.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Wall-clock ns at boot-time 0.
    offset_ns: i128,
    /// Boot time at which the cached wall-clock second starts: stamps less
    /// than a second after it need no division.
    cached_start: Option<u64>,
    /// `YYYY-MM-DDTHH:MM:SS.` of the cached second.
    date: [u8; 20],
}

/// A clock's time now in ns (CLOCK_BOOTTIME, CLOCK_REALTIME ...).
pub fn clock_ns(id: libc::clockid_t) -> i128 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; both clocks exist on every Linux.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

impl Clock {
    /// Measures the boot-to-realtime offset now.
    pub fn new() -> Self {
        // Bracket the realtime read with two boot-time reads and take the midpoint.
        let b0 = clock_ns(libc::CLOCK_BOOTTIME);
        let real = clock_ns(libc::CLOCK_REALTIME);
        let b1 = clock_ns(libc::CLOCK_BOOTTIME);
        Self::with_offset(real - (b0 + b1) / 2)
    }

    pub fn with_offset(offset_ns: i128) -> Self {
        let mut date = [0; 20];
        date[19] = b'.';
        Clock {
            offset_ns,
            cached_start: None,
            date,
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` for a boot-time stamp.
    pub fn write_rfc3339(&mut self, boot_ns: u64, out: &mut Vec<u8>) {
        const NS: u64 = 1_000_000_000;
        let cached = self
            .cached_start
            .and_then(|start| boot_ns.checked_sub(start))
            .filter(|&n| n < NS);
        let nsec = if let Some(n) = cached {
            n
        } else {
            let wall = (boot_ns as i128 + self.offset_ns).max(0);
            let sec = (wall / NS as i128) as u64;
            let nsec = (wall % NS as i128) as u64;
            let t = UNIX_EPOCH + Duration::from_secs(sec);
            let s = humantime::format_rfc3339_seconds(t).to_string();
            self.date[..19].copy_from_slice(&s.as_bytes()[..19]);
            // Before the epoch every stamp is clamped to it: no window.
            self.cached_start = boot_ns.checked_sub(nsec).filter(|_| wall > 0);
            nsec
        };
        // Stored as they are computed: the date part is old, the digits
        // come from registers.
        out.extend_from_slice(&self.date);
        out.push(b'0' + (nsec / 100_000_000) as u8);
        out.extend_from_slice(&crate::decode::render::decimal8(
            (nsec % 100_000_000) as u32,
        ));
        out.push(b'Z');
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn formats_with_nanoseconds() {
        // 2026-11-22T06:07:33.000000042Z is 1795327653 s after the epoch.
        let mut c = Clock::with_offset(1_795_327_653_000_000_000);
        let mut out = vec![];
        c.write_rfc3339(42, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-22T06:07:33.000000042Z"
        );
        let mut out = vec![];
        c.write_rfc3339(1_999_999_999, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-22T06:07:34.999999999Z"
        );
    }

    /// Stamps on both sides of second boundaries, in and out of order,
    /// read as the slow path computes them.
    #[test]
    fn cached_second_follows_the_stamps() {
        let offset = 1_795_327_653_400_000_000;
        let mut c = Clock::with_offset(offset);
        for boot in [
            0u64,
            599_999_999,
            600_000_000,
            1_599_999_999,
            1_600_000_000,
            599_999_999,
            5_000_000_000,
            1,
            u64::MAX / 2,
        ] {
            let mut out = vec![];
            c.write_rfc3339(boot, &mut out);
            let mut fresh = vec![];
            Clock::with_offset(offset).write_rfc3339(boot, &mut fresh);
            assert_eq!(out, fresh, "{boot}");
            let wall = offset as u128 + u128::from(boot);
            let expect = UNIX_EPOCH + Duration::from_nanos(wall as u64);
            assert_eq!(
                std::str::from_utf8(&out).unwrap(),
                humantime::format_rfc3339_nanos(expect).to_string()
            );
        }
        // Before the epoch: clamped to it.
        let mut c = Clock::with_offset(-10);
        let mut out = vec![];
        c.write_rfc3339(3, &mut out);
        c.write_rfc3339(4, &mut out);
        assert_eq!(
            out,
            b"1970-01-01T00:00:00.000000000Z1970-01-01T00:00:00.000000000Z"
        );
    }

    #[test]
    fn live_clock_is_close_to_now() {
        let mut c = Clock::new();
        let mut out = vec![];
        c.write_rfc3339(clock_ns(libc::CLOCK_BOOTTIME) as u64, &mut out);
        let parsed = humantime::parse_rfc3339(std::str::from_utf8(&out).unwrap()).unwrap();
        let diff = SystemTime::now().duration_since(parsed).unwrap_or_default();
        assert!(diff < Duration::from_secs(2), "{diff:?}");
    }
}
