//! Puts records back into kernel sequence order, cuts them into batches, and turns gaps into loss.
//!
//! The kernel takes a sequence number just before it reserves ring space, so
//! two CPUs can land records in the ring slightly out of sequence order, and
//! a failed reservation leaves a hole. Records arrive here in ring order; they
//! leave in strictly increasing sequence order, with every hole reported as a
//! `Lost` item once it is known to be a loss:
//! - at once, when the kernel's loss counter accounts for every hole below the
//!   newest record seen;
//! - when the oldest hole has not been filled for `GAP_TIMEOUT` (every sequence
//!   number the kernel had handed out when the wait began is then settled);
//! - at the final drain, after the programs are detached.
//!
//! A record that turns up after its hole was declared lost is dropped and
//! counted as `late`, so delivered + lost always equals the events attempted.
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a hole may stay open before it is declared lost.
pub const GAP_TIMEOUT: Duration = Duration::from_millis(50);

/// One element of a batch: a record (bytes in `Batch::data`) or a declared loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Record {
        start: u32,
        len: u32,
    },
    Lost {
        first_seq: u64,
        count: u64,
    },
    /// A record the -y tracker needed but the syscall selection leaves out
    /// (see `enrich::Annotate`): counted, not shown.
    Hidden,
}

/// Consecutive items in sequence order; `index` orders batches.
#[derive(Debug, Default)]
pub struct Batch {
    pub index: u64,
    pub data: Vec<u8>,
    pub items: Vec<Item>,
    /// With -y: what the stream's history adds to each item (parallel to
    /// `items`), else empty.
    pub notes: Vec<Option<Box<crate::enrich::Notes>>>,
}

impl Batch {
    pub fn record(&self, start: u32, len: u32) -> &[u8] {
        &self.data[start as usize..(start + len) as usize]
    }
}

/// Where finished batches go (a channel in the tracer, a Vec in tests).
pub trait BatchSink {
    fn send(&mut self, batch: Batch);
    /// A used batch to refill, if the sink hands them back (saves allocations).
    fn recycle(&mut self) -> Option<Batch> {
        None
    }
}

impl BatchSink for Vec<Batch> {
    fn send(&mut self, batch: Batch) {
        self.push(batch);
    }
}

/// Counts kept by the orderer, for the final statistics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OrderStats {
    pub delivered: u64,
    pub lost: u64,
    pub late: u64,
    pub malformed: u64,
}

/// An open hole: where it started, since when, and what the kernel had handed out then.
#[derive(Debug, Clone, Copy)]
struct Stall {
    seq: u64,
    since: Instant,
    horizon: u64,
}

pub struct Orderer<S: BatchSink> {
    sink: S,
    next: u64,
    pending: BTreeMap<u64, Vec<u8>>,
    stall: Option<Stall>,
    batch: Batch,
    max_items: usize,
    stats: OrderStats,
}

/// The sequence number at the start of every record (struct event_header.seq).
pub fn record_seq(record: &[u8]) -> Option<u64> {
    record
        .get(..8)
        .map(|b| u64::from_ne_bytes(b.try_into().expect("8 bytes")))
}

impl<S: BatchSink> Orderer<S> {
    pub fn new(sink: S, max_items: usize) -> Self {
        Orderer {
            sink,
            next: 0,
            pending: BTreeMap::new(),
            stall: None,
            batch: Batch::default(),
            max_items: max_items.max(1),
            stats: OrderStats::default(),
        }
    }

    pub fn stats(&self) -> OrderStats {
        self.stats
    }

    #[cfg(test)]
    pub fn sink(&mut self) -> &mut S {
        &mut self.sink
    }

    /// Takes one record in ring order.
    /// `kernel_lost` reads the kernel's loss counter; it is asked only when
    /// the record leaves holes behind it.
    pub fn push(&mut self, record: &[u8], kernel_lost: impl FnOnce() -> u64) {
        let Some(seq) = record_seq(record) else {
            self.stats.malformed += 1;
            return;
        };
        if seq == self.next {
            self.append(record);
            self.next += 1;
            self.release_pending();
        } else if seq > self.next {
            self.after_holes(seq, record, kernel_lost());
        } else {
            self.stats.late += 1;
        }
    }

    /// A record with holes below it: records another CPU is still writing,
    /// or losses. When the kernel has counted them all already, they are
    /// declared now: holding every record behind them until the end of the
    /// pass would slow this loop just when the ring is full.
    #[cold]
    #[inline(never)]
    fn after_holes(&mut self, seq: u64, record: &[u8], kernel_lost: u64) {
        let ordered = self.pending.last_key_value().is_none_or(|(&s, _)| s < seq);
        let holes = seq - self.next - self.pending.len() as u64;
        if ordered && kernel_lost.saturating_sub(self.stats.lost) >= holes {
            self.declare_below(seq);
            self.append(record);
            self.next += 1;
        } else {
            self.pending.insert(seq, record.to_vec());
        }
    }

    /// Called after each drain of the ring. `horizon` is the kernel's next
    /// sequence number read before the drain, `kernel_lost` its loss counter
    /// read after it; `final_pass` settles everything below `horizon`.
    pub fn end_pass(&mut self, now: Instant, horizon: u64, kernel_lost: u64, final_pass: bool) {
        let newest = self.pending.keys().next_back().map(|s| s + 1);
        let horizon = horizon.max(newest.unwrap_or(0));
        if self.next >= horizon {
            self.stall = None;
        } else if final_pass {
            self.declare_below(horizon);
        } else {
            // Holes below the newest record seen, all accounted as kernel losses?
            if let Some(newest) = newest {
                let holes = newest - self.next - self.pending.len() as u64;
                if kernel_lost.saturating_sub(self.stats.lost) >= holes {
                    self.declare_below(newest);
                }
            }
            if let Some(stall) = self.stall {
                if stall.seq == self.next && now.duration_since(stall.since) >= GAP_TIMEOUT {
                    self.declare_below(stall.horizon);
                }
            }
            if self.next < horizon && self.stall.is_none_or(|s| s.seq != self.next) {
                self.stall = Some(Stall {
                    seq: self.next,
                    since: now,
                    horizon,
                });
            }
        }
        self.flush();
    }

    /// Hands the current batch to the sink, if it holds anything.
    pub fn flush(&mut self) {
        if self.batch.items.is_empty() {
            return;
        }
        let index = self.batch.index + 1;
        let next = match self.sink.recycle() {
            Some(mut b) => {
                b.data.clear();
                b.items.clear();
                b.notes.clear();
                b.index = index;
                b
            }
            None => Batch {
                index,
                data: Vec::with_capacity(self.batch.data.capacity()),
                items: Vec::with_capacity(self.max_items),
                notes: Vec::new(),
            },
        };
        let batch = std::mem::replace(&mut self.batch, next);
        self.sink.send(batch);
    }

    fn append(&mut self, record: &[u8]) {
        let start = self.batch.data.len() as u32;
        self.batch.data.extend_from_slice(record);
        self.batch.items.push(Item::Record {
            start,
            len: record.len() as u32,
        });
        self.stats.delivered += 1;
        if self.batch.items.len() >= self.max_items {
            self.flush();
        }
    }

    fn release_pending(&mut self) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() != self.next {
                break;
            }
            let record = entry.remove();
            self.append(&record);
            self.next += 1;
        }
    }

    /// Every sequence number below `end` not yet delivered is lost.
    fn declare_below(&mut self, end: u64) {
        while self.next < end {
            let hole_end = match self.pending.first_key_value() {
                Some((&seq, _)) if seq < end => seq,
                _ => end,
            };
            if hole_end > self.next {
                let count = hole_end - self.next;
                self.batch.items.push(Item::Lost {
                    first_seq: self.next,
                    count,
                });
                self.stats.lost += count;
                self.next = hole_end;
            }
            self.release_pending();
        }
        self.stall = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64) -> Vec<u8> {
        let mut r = seq.to_ne_bytes().to_vec();
        r.extend_from_slice(&[0xab; 8]);
        r
    }

    fn seqs(batches: &[Batch]) -> Vec<String> {
        let mut out = vec![];
        for b in batches {
            for item in &b.items {
                match *item {
                    Item::Record { start, len } => {
                        out.push(record_seq(b.record(start, len)).unwrap().to_string())
                    }
                    Item::Lost { first_seq, count } => out.push(format!("L{first_seq}+{count}")),
                    Item::Hidden => out.push("H".into()),
                }
            }
        }
        out
    }

    impl<S: BatchSink> Orderer<S> {
        /// A push whose holes the kernel has not counted (yet).
        fn push_q(&mut self, record: &[u8]) {
            self.push(record, || 0);
        }
    }

    #[test]
    fn holes_the_kernel_counted_are_declared_at_once() {
        let mut o = Orderer::new(vec![], 100);
        o.push_q(&rec(0));
        o.push(&rec(3), || 2);
        assert!(o.pending.is_empty(), "nothing waits behind a counted hole");
        // The counter lags the record behind the hole: it waits, until a
        // later record finds the count complete.
        o.push(&rec(6), || 3);
        assert_eq!(o.pending.len(), 1);
        o.push(&rec(7), || 4);
        assert!(o.pending.is_empty());
        // Out of order, not lost: the count does not cover the hole.
        o.push(&rec(9), || 4);
        o.push(&rec(8), || 4);
        o.end_pass(Instant::now(), 10, 4, false);
        assert_eq!(
            seqs(o.sink()),
            ["0", "L1+2", "3", "L4+2", "6", "7", "8", "9"]
        );
        assert_eq!(o.stats().lost, 4);
        assert_eq!(o.stats().delivered, 6);
    }

    #[test]
    fn in_order_passes_through() {
        let mut o = Orderer::new(vec![], 100);
        for s in 0..5 {
            o.push_q(&rec(s));
        }
        o.end_pass(Instant::now(), 5, 0, false);
        assert_eq!(seqs(o.sink()), ["0", "1", "2", "3", "4"]);
        assert_eq!(o.stats().delivered, 5);
    }

    #[test]
    fn swapped_records_are_reordered() {
        let mut o = Orderer::new(vec![], 100);
        for s in [0, 2, 1, 3, 5, 4] {
            o.push_q(&rec(s));
        }
        o.end_pass(Instant::now(), 6, 0, false);
        assert_eq!(seqs(o.sink()), ["0", "1", "2", "3", "4", "5"]);
    }

    #[test]
    fn hole_waits_then_times_out() {
        let mut o = Orderer::new(vec![], 100);
        let t0 = Instant::now();
        o.push_q(&rec(0));
        o.push_q(&rec(2));
        o.end_pass(t0, 3, 0, false);
        assert_eq!(seqs(o.sink()), ["0"]);
        // Not yet timed out.
        o.end_pass(t0 + GAP_TIMEOUT / 2, 3, 0, false);
        assert_eq!(seqs(o.sink()), ["0"]);
        o.end_pass(t0 + GAP_TIMEOUT, 3, 0, false);
        assert_eq!(seqs(o.sink()), ["0", "L1+1", "2"]);
        assert_eq!(o.stats().lost, 1);
    }

    #[test]
    fn late_record_fills_hole_before_timeout() {
        let mut o = Orderer::new(vec![], 100);
        let t0 = Instant::now();
        o.push_q(&rec(0));
        o.push_q(&rec(2));
        o.end_pass(t0, 3, 0, false);
        o.push_q(&rec(1));
        o.end_pass(t0 + GAP_TIMEOUT * 2, 3, 0, false);
        assert_eq!(seqs(o.sink()), ["0", "1", "2"]);
        assert_eq!(o.stats().lost, 0);
    }

    #[test]
    fn kernel_counter_declares_at_once() {
        let mut o = Orderer::new(vec![], 100);
        let t0 = Instant::now();
        o.push_q(&rec(0));
        o.push_q(&rec(3));
        o.push_q(&rec(5));
        o.end_pass(t0, 6, 3, false);
        assert_eq!(seqs(o.sink()), ["0", "L1+2", "3", "L4+1", "5"]);
        assert_eq!(o.stats().lost, 3);
    }

    #[test]
    fn kernel_counter_short_of_holes_waits() {
        let mut o = Orderer::new(vec![], 100);
        o.push_q(&rec(0));
        o.push_q(&rec(3));
        o.end_pass(Instant::now(), 4, 1, false);
        assert_eq!(seqs(o.sink()), ["0"]);
    }

    #[test]
    fn tail_loss_settled_by_timeout_and_final() {
        let t0 = Instant::now();
        let mut o = Orderer::new(vec![], 100);
        o.push_q(&rec(0));
        // The kernel handed out 0..4 but only 0 arrived.
        o.end_pass(t0, 4, 3, false);
        assert_eq!(seqs(o.sink()), ["0"]);
        o.end_pass(t0 + GAP_TIMEOUT, 6, 3, false);
        assert_eq!(seqs(o.sink()), ["0", "L1+3"]);
        // 4 and 5 are settled at the final drain.
        o.end_pass(t0 + GAP_TIMEOUT, 6, 5, true);
        assert_eq!(seqs(o.sink()), ["0", "L1+3", "L4+2"]);
        assert_eq!(o.stats().lost, 5);
    }

    #[test]
    fn record_after_declared_loss_is_late() {
        let t0 = Instant::now();
        let mut o = Orderer::new(vec![], 100);
        o.push_q(&rec(1));
        o.end_pass(t0, 2, 0, true);
        o.push_q(&rec(0));
        o.end_pass(t0, 2, 0, true);
        assert_eq!(seqs(o.sink()), ["L0+1", "1"]);
        assert_eq!(o.stats().late, 1);
        assert_eq!(o.stats().delivered + o.stats().lost, 2);
    }

    #[test]
    fn batches_are_cut_and_numbered() {
        let mut o = Orderer::new(vec![], 2);
        for s in 0..5 {
            o.push_q(&rec(s));
        }
        o.flush();
        let idx: Vec<u64> = o.sink().iter().map(|b| b.index).collect();
        assert_eq!(idx, [0, 1, 2]);
        assert_eq!(seqs(o.sink()), ["0", "1", "2", "3", "4"]);
    }

    #[test]
    fn short_record_is_counted_not_panicking() {
        let mut o = Orderer::new(vec![], 2);
        o.push_q(&[1, 2, 3]);
        assert_eq!(o.stats().malformed, 1);
    }
}
