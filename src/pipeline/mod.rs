//! Pipeline: worker threads format batches in parallel; one writer emits them in batch order.
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use anyhow::Context;
use crossbeam_channel::{bounded, Receiver, Sender};

use crate::capture::{Batch, BatchSink, Item};
use crate::decode;
use crate::output::stats::Counts;
use crate::output::Formatter;

/// Batches queued per worker before the reader blocks (bounds memory).
const QUEUE_PER_WORKER: usize = 2;

/// Formatted output of one batch.
struct Chunk {
    index: u64,
    bytes: Vec<u8>,
}

/// The reader's end of the pipeline; used batches come back through `pool`.
pub struct ChannelSink {
    tx: Sender<Batch>,
    pool: Receiver<Batch>,
}

impl BatchSink for ChannelSink {
    fn send(&mut self, batch: Batch) {
        // Fails only when every worker is gone, which the caller learns at finish().
        let _ = self.tx.send(batch);
    }

    fn recycle(&mut self) -> Option<Batch> {
        self.pool.try_recv().ok()
    }
}

/// Buffers handed back upstream so the hot path stops allocating (and
/// faulting in fresh pages) once the pipeline is warm.
#[derive(Clone)]
struct Pools {
    batches: (Sender<Batch>, Receiver<Batch>),
    chunks: (Sender<Vec<u8>>, Receiver<Vec<u8>>),
}

pub struct Pipeline {
    batch_pool: Receiver<Batch>,
    tx: Option<Sender<Batch>>,
    workers: Vec<JoinHandle<Counts>>,
    writer: JoinHandle<(Box<dyn Write + Send>, std::io::Result<()>)>,
}

/// Formats one batch, counting what it saw.
pub fn format_batch(fmt: &mut Formatter, batch: &Batch, counts: &mut Counts, out: &mut Vec<u8>) {
    for (k, item) in batch.items.iter().enumerate() {
        match *item {
            Item::Record { start, len } => {
                let raw = batch.record(start, len);
                match decode::decode(raw) {
                    Ok(ev) => {
                        counts.add(&ev);
                        let notes = batch.notes.get(k).and_then(|n| n.as_deref());
                        fmt.event(&ev, notes, out);
                    }
                    Err(e) => {
                        counts.malformed += 1;
                        fmt.malformed(crate::capture::order::record_seq(raw), &e, out);
                    }
                }
            }
            Item::Lost { first_seq, count } => {
                counts.lost_records += 1;
                fmt.lost(first_seq, count, out);
            }
            Item::Hidden => counts.hidden += 1,
        }
    }
}

fn worker(mut fmt: Formatter, rx: Receiver<Batch>, tx: Sender<Chunk>, pools: Pools) -> Counts {
    let mut counts = Counts::default();
    for batch in rx {
        let mut bytes = match pools.chunks.1.try_recv() {
            Ok(mut b) => {
                b.clear();
                b
            }
            Err(_) => Vec::with_capacity(batch.items.len() * 320),
        };
        format_batch(&mut fmt, &batch, &mut counts, &mut bytes);
        let index = batch.index;
        let _ = pools.batches.0.try_send(batch);
        if tx.send(Chunk { index, bytes }).is_err() {
            break;
        }
    }
    counts
}

/// Writes chunks strictly in index order; flushes whenever it catches up.
fn writer(
    rx: Receiver<Chunk>,
    mut out: Box<dyn Write + Send>,
    failed: Arc<AtomicBool>,
    pool: Sender<Vec<u8>>,
) -> (Box<dyn Write + Send>, std::io::Result<()>) {
    let mut next = 0u64;
    let mut parked: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut result = Ok(());
    for chunk in rx.iter() {
        parked.insert(chunk.index, chunk.bytes);
        while let Some(bytes) = parked.remove(&next) {
            next += 1;
            if result.is_ok() {
                result = out.write_all(&bytes);
            }
            let _ = pool.try_send(bytes);
        }
        if result.is_ok() && rx.is_empty() {
            result = out.flush();
        }
        if result.is_err() {
            // Keep draining so workers never block, but stop the trace.
            failed.store(true, Ordering::SeqCst);
        }
    }
    if result.is_ok() {
        result = out.flush();
    }
    (out, result)
}

/// What a finished pipeline hands back.
pub struct Finished {
    pub counts: Counts,
    pub out: Box<dyn Write + Send>,
    /// The first write error, if any.
    pub result: std::io::Result<()>,
}

impl Pipeline {
    pub fn start(
        workers: usize,
        formatter: Formatter,
        out: Box<dyn Write + Send>,
        failed: Arc<AtomicBool>,
    ) -> anyhow::Result<Self> {
        let workers = workers.max(1);
        let (tx, rx) = bounded::<Batch>(workers * QUEUE_PER_WORKER);
        let (ctx, crx) = bounded::<Chunk>(workers * QUEUE_PER_WORKER);
        let depth = workers * QUEUE_PER_WORKER * 2;
        let pools = Pools {
            batches: bounded(depth),
            chunks: bounded(depth),
        };
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let (fmt, rx, ctx, pools) = (formatter.clone(), rx.clone(), ctx.clone(), pools.clone());
            handles.push(
                std::thread::Builder::new()
                    .name(format!("format-{i}"))
                    .spawn(move || worker(fmt, rx, ctx, pools))
                    .context("spawning a formatting thread")?,
            );
        }
        drop(ctx);
        let writer = std::thread::Builder::new()
            .name("writer".into())
            .spawn({
                let pool = pools.chunks.0.clone();
                move || writer(crx, out, failed, pool)
            })
            .context("spawning the writer thread")?;
        Ok(Pipeline {
            batch_pool: pools.batches.1,
            tx: Some(tx),
            workers: handles,
            writer,
        })
    }

    pub fn sink(&self) -> ChannelSink {
        ChannelSink {
            tx: self.tx.clone().expect("pipeline is running"),
            pool: self.batch_pool.clone(),
        }
    }

    /// Waits for everything queued to be written; returns the merged counts
    /// and the output (for what follows the events, such as a summary).
    pub fn finish(mut self) -> anyhow::Result<Finished> {
        drop(self.tx.take());
        let mut total = Counts::default();
        for w in self.workers {
            let c = w
                .join()
                .map_err(|_| anyhow::anyhow!("a formatting thread panicked"))?;
            total.merge(&c);
        }
        let (out, result) = self
            .writer
            .join()
            .map_err(|_| anyhow::anyhow!("the writer thread panicked"))?;
        Ok(Finished {
            counts: total,
            out,
            result,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Format;
    use crate::kernel::types;
    use crate::output::Clock;
    use std::sync::Mutex;

    /// A Write that appends into shared memory, to inspect what the writer wrote.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn syscall_record(seq: u64) -> Vec<u8> {
        let mut e = types::syscall_event::default();
        e.hdr.seq = seq;
        e.hdr.r#type = decode::EVENT_SYSCALL;
        e.nr = 39;
        // SAFETY: viewing a plain C struct as bytes.
        unsafe {
            std::slice::from_raw_parts(
                &e as *const _ as *const u8,
                std::mem::size_of::<types::syscall_event>(),
            )
            .to_vec()
        }
    }

    #[test]
    fn output_keeps_kernel_order_with_many_workers() {
        let shared = Shared::default();
        let failed = Arc::new(AtomicBool::new(false));
        let p = Pipeline::start(
            4,
            Formatter::new(Format::Json, Clock::with_offset(0), 32),
            Box::new(shared.clone()),
            failed,
        )
        .unwrap();
        let mut orderer = crate::capture::Orderer::new(p.sink(), 7);
        let n = 5000u64;
        // Swap neighbours to exercise reordering too.
        for s in (0..n).step_by(2) {
            orderer.push(&syscall_record(s + 1), || 0);
            orderer.push(&syscall_record(s), || 0);
        }
        orderer.end_pass(std::time::Instant::now(), n, 0, true);
        drop(orderer);
        let done = p.finish().unwrap();
        done.result.unwrap();
        assert_eq!(done.counts.syscalls, n);
        let text = String::from_utf8(shared.0.lock().unwrap().clone()).unwrap();
        let seqs: Vec<u64> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(seqs, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn malformed_and_lost_are_in_band() {
        let mut fmt = Formatter::new(Format::Json, Clock::with_offset(0), 32);
        let batch = Batch {
            index: 0,
            data: vec![0u8; 12],
            items: vec![
                Item::Record { start: 0, len: 12 },
                Item::Lost {
                    first_seq: 5,
                    count: 2,
                },
            ],
            notes: Vec::new(),
        };
        let mut counts = Counts::default();
        let mut out = vec![];
        format_batch(&mut fmt, &batch, &mut counts, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["type"], "malformed");
        assert_eq!(lines[1]["type"], "lost");
        assert_eq!(lines[1]["count"], 2);
        assert_eq!(counts.malformed, 1);
    }
}
