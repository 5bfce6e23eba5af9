//! Enrich: per-process state rebuilt from the event stream in order (open files, cwd) and the notes it adds to events (-y).
pub mod fds;

use std::sync::Arc;

use crate::capture::order::{Batch, BatchSink, Item};
use crate::decode;

/// What the stream's history adds to one event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notes {
    /// What file-descriptor arguments refer to, by argument name (`"ret"`
    /// for a descriptor the call returned, `"fildes[1]"` for one it wrote
    /// into an array): a path, `pipe:[123]`, `socket:[456]`.
    pub fds: Vec<(String, Arc<str>)>,
    /// Relative path arguments made absolute (against the dirfd or the cwd).
    pub abs: Vec<(&'static str, String)>,
}

impl Notes {
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty() && self.abs.is_empty()
    }

    pub fn fd(&self, name: &str) -> Option<&str> {
        self.fds.iter().find(|(n, _)| n == name).map(|(_, p)| &**p)
    }
}

/// Sits between the orderer and the workers: sees every batch in sequence
/// order, keeps the descriptor tables, and attaches notes to the batch.
/// Without a tracker (no -y) it only passes batches on.
pub struct Annotate<S: BatchSink> {
    inner: S,
    tracker: Option<fds::Tracker>,
}

impl<S: BatchSink> Annotate<S> {
    pub fn new(inner: S, tracker: Option<fds::Tracker>) -> Self {
        Annotate { inner, tracker }
    }
}

impl<S: BatchSink> BatchSink for Annotate<S> {
    fn send(&mut self, mut batch: Batch) {
        let Some(tracker) = &mut self.tracker else {
            return self.inner.send(batch);
        };
        batch.notes.clear();
        for k in 0..batch.items.len() {
            let note = match batch.items[k] {
                Item::Record { start, len } => match decode::decode(batch.record(start, len)) {
                    Ok(ev) => tracker.event(&ev),
                    Err(_) => None,
                },
                Item::Lost { .. } => None,
            };
            batch
                .notes
                .push(note.filter(|n| !n.is_empty()).map(Box::new));
        }
        self.inner.send(batch);
    }

    fn recycle(&mut self) -> Option<Batch> {
        self.inner.recycle()
    }
}
