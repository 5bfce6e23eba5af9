//! Live view of the kernel's counters (sequence, losses) through the mmaped .bss.
use std::marker::PhantomData;
use std::ptr::addr_of;

use super::types;

/// Read-only window onto the tracer's `.bss`, which the kernel updates concurrently.
pub struct Counters<'obj> {
    bss: *const types::bss,
    ncpus: usize,
    _skel: PhantomData<&'obj types::bss>,
}

/// A consistent-enough snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Next sequence number the kernel will hand out (= events attempted).
    pub next_seq: u64,
    /// Failed ring-buffer reservations, summed over CPUs.
    pub lost: u64,
    /// Processes that could not be added to the watched map (map full).
    pub watch_map_full: u64,
    /// Syscalls not traced because the in-flight map was full.
    pub inflight_map_full: u64,
}

impl<'obj> Counters<'obj> {
    /// A view of the skeleton's mmaped `.bss`.
    ///
    /// # Safety
    /// `bss` must point to the loaded skeleton's `.bss` mapping, and the
    /// skeleton must stay alive as long as the returned value is used.
    pub unsafe fn new(bss: *const types::bss) -> Self {
        // SAFETY: the caller guarantees `bss` is valid.
        let bss_ref = unsafe { &*bss };
        let slots = bss_ref.lost_events.len();
        let ncpus = libbpf_rs::num_possible_cpus().unwrap_or(slots).min(slots);
        Counters {
            bss,
            ncpus,
            _skel: PhantomData,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        // SAFETY: `bss` points into the skeleton's mmaped .bss, alive for 'obj.
        // The kernel writes these u64s concurrently with atomic adds; aligned
        // volatile reads see whole values and are never cached by the compiler.
        unsafe {
            let lost_base = addr_of!((*self.bss).lost_events) as *const u64;
            let lost = (0..self.ncpus)
                .map(|cpu| lost_base.add(cpu).read_volatile())
                .sum();
            Snapshot {
                next_seq: addr_of!((*self.bss).next_seq).read_volatile(),
                lost,
                watch_map_full: addr_of!((*self.bss).watch_map_full).read_volatile(),
                inflight_map_full: addr_of!((*self.bss).inflight_map_full).read_volatile(),
            }
        }
    }
}
