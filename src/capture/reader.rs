//! The ring-buffer drain loop: epoll with a short timeout, consume, settle gaps.
//!
//! The kernel submits without waking us (see `ringbuf_flags()` in
//! bpf/tracer.bpf.c), so this loop wakes on its own every `POLL_INTERVAL`,
//! or earlier when the kernel forces a wakeup because a backlog built up.
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::order::{BatchSink, OrderStats, Orderer};
use super::ring::Ring;
use crate::kernel::counters::{Counters, Snapshot};
use anyhow::Context;

/// Longest time an event waits in the ring before we look (output latency bound).
pub const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// Most records read in one pass, so stop requests and loss reports are
/// never held up by a ring that refills as fast as it drains.
pub const PASS_RECORDS: usize = 1 << 16;
/// Records per batch handed to one worker.
pub const BATCH_ITEMS: usize = 4096;

/// What the loop reports at the end.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReaderStats {
    pub order: OrderStats,
    /// epoll returned because the kernel woke us.
    pub wakeups: u64,
    /// epoll returned on its timeout.
    pub timeouts: u64,
    pub kernel: Snapshot,
}

/// Wakes the drain loop from another thread (reaper, signal handler): an
/// eventfd in the ring's own epoll set.
#[derive(Debug, Clone)]
pub struct Waker(Arc<OwnedFd>);

impl Waker {
    pub fn new() -> anyhow::Result<Self> {
        // SAFETY: plain eventfd creation; the result is checked.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error()).context("eventfd");
        }
        // SAFETY: `fd` is a fresh descriptor we own.
        Ok(Waker(Arc::new(unsafe { OwnedFd::from_raw_fd(fd) })))
    }

    pub fn wake(&self) {
        let one = 1u64;
        // SAFETY: writing 8 bytes from a valid u64 to our eventfd.
        unsafe { libc::write(self.0.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    fn clear(&self) {
        let mut v = 0u64;
        // SAFETY: reading 8 bytes into a valid u64 from our non-blocking eventfd.
        unsafe { libc::read(self.0.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
    }
}

/// epoll data tags of the ring and of the waker.
const RING_TAG: u64 = 0;
const WAKER_TAG: u64 = u64::MAX;

fn epoll_add(epoll: &OwnedFd, fd: BorrowedFd<'_>, tag: u64) -> std::io::Result<()> {
    let mut ev = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: tag,
    };
    // SAFETY: adding a live descriptor to our live epoll instance.
    let rc = unsafe {
        libc::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd.as_raw_fd(),
            &mut ev,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

pub struct Reader<'a, S: BatchSink> {
    ring: Ring,
    epoll: OwnedFd,
    waker: Waker,
    orderer: Orderer<S>,
    counters: Counters<'a>,
    stats: ReaderStats,
}

impl<'a, S: BatchSink + 'a> Reader<'a, S> {
    pub fn new(ring: Ring, counters: Counters<'a>, sink: S, waker: Waker) -> anyhow::Result<Self> {
        // SAFETY: plain epoll creation; the result is checked.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if epoll < 0 {
            return Err(std::io::Error::last_os_error()).context("epoll_create1");
        }
        // SAFETY: a fresh descriptor we own.
        let epoll = unsafe { OwnedFd::from_raw_fd(epoll) };
        epoll_add(&epoll, ring.as_fd(), RING_TAG).context("epoll_ctl(ring buffer)")?;
        epoll_add(&epoll, waker.0.as_fd(), WAKER_TAG).context("epoll_ctl(eventfd)")?;
        Ok(Reader {
            ring,
            epoll,
            waker,
            orderer: Orderer::new(sink, BATCH_ITEMS),
            counters,
            stats: ReaderStats::default(),
        })
    }

    /// Waits up to `timeout` for a wakeup; EINTR counts as a timeout.
    fn wait(&mut self, timeout: Duration) {
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 2];
        // SAFETY: our live epoll instance; `evs` has room for 2.
        let n = unsafe {
            libc::epoll_wait(
                self.epoll.as_raw_fd(),
                evs.as_mut_ptr(),
                2,
                timeout.as_millis() as i32,
            )
        };
        let ready = &evs[..n.max(0) as usize];
        if ready.iter().any(|e| e.u64 == WAKER_TAG) {
            self.waker.clear();
        }
        if ready.iter().any(|e| e.u64 != WAKER_TAG) {
            self.stats.wakeups += 1;
        } else if n == 0 {
            self.stats.timeouts += 1;
        }
    }

    /// One drain of the ring, then gap settlement and a flush downstream.
    /// Returns true when it stopped at `PASS_RECORDS` with more probably waiting.
    fn pass(&mut self, final_pass: bool) -> bool {
        let horizon = self.counters.snapshot().next_seq;
        let (orderer, counters) = (&mut self.orderer, &self.counters);
        let n = self.ring.consume(PASS_RECORDS, |record| {
            orderer.push(record, || counters.snapshot().lost)
        });
        let snap = self.counters.snapshot();
        self.orderer
            .end_pass(Instant::now(), horizon, snap.lost, final_pass);
        n >= PASS_RECORDS
    }

    /// Drains until `stop` says so; the caller then detaches and calls `finish`.
    pub fn run(&mut self, mut should_stop: impl FnMut() -> bool) {
        let mut backlog = false;
        while !should_stop() {
            if !backlog {
                self.wait(POLL_INTERVAL);
            }
            backlog = self.pass(false);
        }
    }

    /// Final drain after the programs are detached: every hole left is a loss.
    pub fn finish(mut self) -> ReaderStats {
        while self.pass(false) {}
        self.pass(true);
        self.stats.order = self.orderer.stats();
        self.stats.kernel = self.counters.snapshot();
        self.stats
    }
}
