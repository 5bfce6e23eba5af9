//! Kernel CLOCK_BOOTTIME nanoseconds to RFC3339 UTC wall-clock strings with 9 fractional digits.
use std::time::{Duration, UNIX_EPOCH};

/// Converts boot-time stamps to wall time, with a per-second cache of the date part.
#[derive(Debug, Clone)]
pub struct Clock {
    /// Wall-clock ns at boot-time 0.
    offset_ns: i128,
    cached_sec: i64,
    cached: [u8; 19],
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
        Clock {
            offset_ns,
            cached_sec: i64::MIN,
            cached: [0; 19],
        }
    }

    /// Writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` for a boot-time stamp.
    pub fn write_rfc3339(&mut self, boot_ns: u64, out: &mut Vec<u8>) {
        let wall = (boot_ns as i128 + self.offset_ns).max(0);
        let sec = (wall / 1_000_000_000) as i64;
        let nsec = (wall % 1_000_000_000) as u32;
        if sec != self.cached_sec {
            let t = UNIX_EPOCH + Duration::from_secs(sec as u64);
            let s = humantime::format_rfc3339_seconds(t).to_string();
            self.cached.copy_from_slice(&s.as_bytes()[..19]);
            self.cached_sec = sec;
        }
        out.extend_from_slice(&self.cached);
        out.push(b'.');
        crate::decode::render::put_padded::<9>(out, nsec.into());
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
