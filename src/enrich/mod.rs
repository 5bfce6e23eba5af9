//! Enrich: per-process state rebuilt from the event stream in order (open files, cwd) and the notes it adds to events (-y).
pub mod fds;

use std::borrow::Cow;
use std::sync::Arc;

use crate::capture::order::{Batch, BatchSink, Item};
use crate::decode::{self, syscalls::Selection, Event};

/// What the stream's history adds to one event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Notes {
    /// What file-descriptor arguments refer to, by argument name (`"ret"`
    /// for a descriptor the call returned, `"fildes[1]"` for one it wrote
    /// into an array): a path, `pipe:[123]`, `socket:[456]`.
    pub fds: Vec<(Cow<'static, str>, Arc<str>)>,
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

    /// Whether a descriptor inside array argument `name` is noted
    /// (`"fildes[1]"`, `"ufds[0]"`).
    pub fn has_items(&self, name: &str) -> bool {
        self.fds.iter().any(|(n, _)| {
            n.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('['))
        })
    }
}

/// Sits between the orderer and the workers: sees every batch in sequence
/// order, keeps the descriptor tables, and attaches notes to the batch.
/// Without a tracker (no -y) it only passes batches on.
///
/// Under a syscall selection, the kernel also traces the calls the tracker
/// needs ([`fds::tracked`]); `shown` is the user's selection, and records of
/// the other calls leave here as [`Item::Hidden`] once the tracker has seen
/// them.
pub struct Annotate<S: BatchSink> {
    inner: S,
    tracker: Option<fds::Tracker>,
    shown: Option<Selection>,
    /// Notes of batches that came back, emptied, for reuse (their vectors
    /// keep their allocations). Boxed as batches hold them, so reusing one
    /// reuses its box too.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Notes>>,
}

/// At most this many spare notes are kept.
const SPARE_NOTES: usize = 1 << 14;

impl<S: BatchSink> Annotate<S> {
    pub fn new(inner: S, tracker: Option<fds::Tracker>, shown: Option<Selection>) -> Self {
        Annotate {
            inner,
            tracker,
            shown,
            spare: Vec::new(),
        }
    }

    #[allow(clippy::vec_box)]
    fn keep(spare: &mut Vec<Box<Notes>>, mut n: Box<Notes>) {
        if spare.len() < SPARE_NOTES {
            n.fds.clear();
            n.abs.clear();
            spare.push(n);
        }
    }
}

impl<S: BatchSink> BatchSink for Annotate<S> {
    fn send(&mut self, mut batch: Batch) {
        let Some(tracker) = &mut self.tracker else {
            return self.inner.send(batch);
        };
        for n in batch.notes.drain(..).flatten() {
            Self::keep(&mut self.spare, n);
        }
        for k in 0..batch.items.len() {
            let mut note = self.spare.pop().unwrap_or_default();
            if let Item::Record { start, len } = batch.items[k] {
                if let Ok(ev) = decode::decode(batch.record(start, len)) {
                    tracker.event_into(&ev, &mut note);
                    if let (Some(shown), Event::Syscall(e, _)) = (&self.shown, &ev) {
                        if !shown.contains(e.nr) {
                            batch.items[k] = Item::Hidden;
                            note.fds.clear();
                            note.abs.clear();
                        }
                    }
                }
            }
            if note.is_empty() {
                Self::keep(&mut self.spare, note);
                batch.notes.push(None);
            } else {
                batch.notes.push(Some(note));
            }
        }
        self.inner.send(batch);
    }

    fn recycle(&mut self) -> Option<Batch> {
        let mut batch = self.inner.recycle()?;
        for n in batch.notes.drain(..).flatten() {
            Self::keep(&mut self.spare, n);
        }
        Some(batch)
    }
}
