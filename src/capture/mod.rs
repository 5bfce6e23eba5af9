//! Capture: drain the BPF ring buffer on our own epoll loop and hand ordered batches downstream.
pub mod order;
pub mod priority;
pub mod reader;
pub mod ring;

#[cfg(test)]
pub use order::Orderer;
pub use order::{Batch, BatchSink, Item};
