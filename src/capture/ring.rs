//! The BPF ring buffer, created and mapped by us and read in place.
//!
//! The kernel's layout (kernel/bpf/ringbuf.c): page 0 holds the consumer
//! position, the only page user space may write; page 1 the producer
//! position; the data pages follow. Each record starts with an 8-byte
//! header, `len | BUSY | DISCARD` and a page offset, and is padded to 8 bytes.
//!
//! libbpf maps the data twice in a row so that a record wrapping past the end
//! reads as one slice. We map it once and copy the rare wrapped record
//! instead: that halves the page-table work of mapping and unmapping the
//! default 16 MiB ring (about 0.5 ms each way on this VM), and creating and
//! mapping the ring can run on its own thread while the programs load.
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use anyhow::Context;

const BUSY_BIT: u32 = 1 << 31;
const DISCARD_BIT: u32 = 1 << 30;
const HEADER: u64 = 8;

/// One page of the mapping, `len` bytes from `addr`.
struct Mapping {
    addr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(fd: BorrowedFd<'_>, len: usize, writable: bool, offset: usize) -> std::io::Result<Self> {
        let prot = if writable {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh shared mapping of the ring's fd; checked below.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapping {
            addr: addr.cast(),
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `new` mapped; nothing borrows it
        // past the owning `Ring`.
        unsafe { libc::munmap(self.addr.cast(), self.len) };
    }
}

/// A BPF ring buffer map and our mapping of it.
pub struct Ring {
    view: View,
    _consumer: Mapping,
    /// The producer page, then the data pages.
    _producer: Mapping,
    fd: OwnedFd,
}

/// Reads records out of the ring's memory: the consumer and producer
/// positions and the data pages, in the kernel's layout.
struct View {
    consumer: *const AtomicU64,
    producer: *const AtomicU64,
    data: *const u8,
    size: u64,
    /// A record that wraps past the end, made contiguous.
    wrapped: Vec<u8>,
}

// SAFETY: the raw pointers refer to a mapping the Ring owns; it moves
// between threads as a whole and is used from one thread at a time.
unsafe impl Send for Ring {}

/// The memory page size.
pub fn page_size() -> u32 {
    // SAFETY: sysconf has no memory-safety preconditions.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).clamp(4096, 1 << 20) as u32
}

/// Creates a ring buffer map of `bytes` (a checked power of two), unmapped.
pub fn create_map(bytes: u32) -> anyhow::Result<OwnedFd> {
    let name = c"events";
    // SAFETY: a plain map creation; the result is checked.
    let fd = unsafe {
        libbpf_rs::libbpf_sys::bpf_map_create(
            libbpf_rs::libbpf_sys::BPF_MAP_TYPE_RINGBUF,
            name.as_ptr(),
            0,
            0,
            bytes,
            std::ptr::null(),
        )
    };
    if fd < 0 {
        let err = libbpf_rs::Error::from_raw_os_error(-fd);
        return Err(crate::kernel::loader::kernel_error(
            "creating the ring buffer",
            err,
        ));
    }
    // SAFETY: a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    Ok(fd)
}

impl Ring {
    /// Maps a ring buffer map of `bytes` made by `create_map`.
    pub fn of_created(fd: OwnedFd, bytes: u32) -> anyhow::Result<Self> {
        Self::map(fd, bytes).context("mapping the ring buffer")
    }

    /// Maps a ring buffer map someone else created (a skeleton's).
    pub fn of_map(map: BorrowedFd<'_>) -> anyhow::Result<Self> {
        let fd = map
            .try_clone_to_owned()
            .context("duplicating a ring buffer map")?;
        let mut info = libbpf_rs::libbpf_sys::bpf_map_info::default();
        let mut len = std::mem::size_of_val(&info) as u32;
        // SAFETY: `info` is a bpf_map_info of `len` bytes; the result is checked.
        let rc = unsafe {
            libbpf_rs::libbpf_sys::bpf_map_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len)
        };
        if rc != 0 || info.type_ != libbpf_rs::libbpf_sys::BPF_MAP_TYPE_RINGBUF {
            anyhow::bail!("map {} is not a ring buffer (error {rc})", fd.as_raw_fd());
        }
        Self::map(fd, info.max_entries).context("mapping the ring buffer")
    }

    /// Waits up to `timeout` for the kernel to signal records (EINTR and
    /// timeouts return alike; the caller consumes either way).
    pub fn wait(&self, timeout: std::time::Duration) {
        let mut p = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        unsafe { libc::poll(&mut p, 1, timeout.as_millis().min(i32::MAX as u128) as i32) };
    }

    fn map(fd: OwnedFd, bytes: u32) -> std::io::Result<Self> {
        let page = page_size() as usize;
        let consumer = Mapping::new(fd.as_fd(), page, true, 0)?;
        let producer = Mapping::new(fd.as_fd(), page + bytes as usize, false, page)?;
        let view = View {
            consumer: consumer.addr.cast(),
            producer: producer.addr.cast(),
            // SAFETY: the data pages follow the producer page in the mapping.
            data: unsafe { producer.addr.add(page) },
            size: u64::from(bytes),
            wrapped: Vec::new(),
        };
        Ok(Ring {
            view,
            _consumer: consumer,
            _producer: producer,
            fd,
        })
    }

    /// Calls `f` with each committed record, in order, at most `max` of
    /// them; each one's space goes back to the kernel after `f` returns.
    /// Returns how many records were read (discarded ones not counted).
    pub fn consume(&mut self, max: usize, f: impl FnMut(&[u8])) -> usize {
        self.view.consume(max, f)
    }
}

impl View {
    fn consumer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first 8 bytes of the consumer page, page-aligned.
        unsafe { &*self.consumer }
    }

    fn producer_pos(&self) -> &AtomicU64 {
        // SAFETY: the first 8 bytes of the producer page, page-aligned.
        unsafe { &*self.producer }
    }

    fn consume(&mut self, max: usize, mut f: impl FnMut(&[u8])) -> usize {
        let mask = self.size - 1;
        let mut cons = self.consumer_pos().load(Ordering::Acquire);
        let mut n = 0;
        while n < max {
            let prod = self.producer_pos().load(Ordering::Acquire);
            if cons >= prod {
                break;
            }
            while cons < prod && n < max {
                let at = (cons & mask) as usize;
                // SAFETY: headers are 8-byte aligned inside the data pages
                // (the size is a multiple of 8), and the kernel writes the
                // length word atomically.
                let word = unsafe { &*self.data.add(at).cast::<AtomicU32>() };
                let len = word.load(Ordering::Acquire);
                if len & BUSY_BIT != 0 {
                    // Reserved, not committed yet: later records wait for it.
                    return n;
                }
                let body = u64::from(len & !(BUSY_BIT | DISCARD_BIT));
                if len & DISCARD_BIT == 0 {
                    f(self.record((cons + HEADER) & mask, body as usize));
                    n += 1;
                }
                cons += (body + HEADER + 7) & !7;
                self.consumer_pos().store(cons, Ordering::Release);
            }
        }
        n
    }

    /// The `len` bytes at data offset `start`, copied when they wrap.
    fn record(&mut self, start: u64, len: usize) -> &[u8] {
        let start = start as usize;
        let size = self.size as usize;
        let len = len.min(size);
        if start + len <= size {
            // SAFETY: inside the data pages; committed, so the kernel does not
            // write there until we move the consumer position past it.
            return unsafe { std::slice::from_raw_parts(self.data.add(start), len) };
        }
        let first = size - start;
        self.wrapped.clear();
        // SAFETY: the two parts, at the end and at the start of the data pages.
        unsafe {
            self.wrapped
                .extend_from_slice(std::slice::from_raw_parts(self.data.add(start), first));
            self.wrapped
                .extend_from_slice(std::slice::from_raw_parts(self.data, len - first));
        }
        &self.wrapped
    }
}

impl AsFd for Ring {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's side of a ring of `size` bytes, in plain memory.
    struct FakeKernel {
        consumer: Box<AtomicU64>,
        producer: Box<AtomicU64>,
        data: Vec<u64>,
        size: u64,
    }

    impl FakeKernel {
        fn new(size: u64) -> Self {
            FakeKernel {
                consumer: Box::new(AtomicU64::new(0)),
                producer: Box::new(AtomicU64::new(0)),
                data: vec![0; size as usize / 8],
                size,
            }
        }

        /// Starts the ring at `pos` (both positions), as after earlier traffic.
        fn at(self, pos: u64) -> Self {
            self.consumer.store(pos, Ordering::SeqCst);
            self.producer.store(pos, Ordering::SeqCst);
            self
        }

        fn bytes(&mut self) -> &mut [u8] {
            // SAFETY: the u64 vector viewed as bytes.
            unsafe {
                std::slice::from_raw_parts_mut(self.data.as_mut_ptr().cast(), self.size as usize)
            }
        }

        /// Writes a record with header flags `flags` and returns its header position.
        fn produce(&mut self, body: &[u8], flags: u32) -> u64 {
            let pos = self.producer.load(Ordering::SeqCst);
            let mask = self.size - 1;
            let len = body.len() as u32 | flags;
            let at = (pos & mask) as usize;
            self.bytes()[at..at + 4].copy_from_slice(&len.to_ne_bytes());
            for (i, b) in body.iter().enumerate() {
                let j = ((pos + HEADER + i as u64) & mask) as usize;
                self.bytes()[j] = *b;
            }
            let next = pos + ((body.len() as u64 + HEADER + 7) & !7);
            self.producer.store(next, Ordering::SeqCst);
            pos
        }

        fn commit(&mut self, header: u64) {
            let at = (header & (self.size - 1)) as usize;
            let mut w = [0u8; 4];
            w.copy_from_slice(&self.bytes()[at..at + 4]);
            let len = u32::from_ne_bytes(w) & !BUSY_BIT;
            self.bytes()[at..at + 4].copy_from_slice(&len.to_ne_bytes());
        }

        fn view(&mut self) -> View {
            View {
                consumer: &*self.consumer,
                producer: &*self.producer,
                data: self.data.as_ptr().cast(),
                size: self.size,
                wrapped: Vec::new(),
            }
        }
    }

    fn drain(view: &mut View, max: usize) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        view.consume(max, |r| got.push(r.to_vec()));
        got
    }

    #[test]
    fn reads_records_in_order_and_frees_their_space() {
        let mut k = FakeKernel::new(64);
        k.produce(b"one", 0);
        k.produce(b"second record", 0);
        let mut v = k.view();
        assert_eq!(
            drain(&mut v, 10),
            vec![b"one".to_vec(), b"second record".to_vec()]
        );
        assert_eq!(k.consumer.load(Ordering::SeqCst), 16 + 24);
        assert!(drain(&mut k.view(), 10).is_empty());
    }

    #[test]
    fn a_record_wrapping_past_the_end_is_whole() {
        // 64-byte ring, positioned so the body starts 4 bytes before the end.
        let mut k = FakeKernel::new(64).at(52);
        k.produce(b"0123456789", 0);
        k.produce(b"next", 0);
        let mut v = k.view();
        assert_eq!(
            drain(&mut v, 10),
            vec![b"0123456789".to_vec(), b"next".to_vec()]
        );
        // A header in the last 8 bytes: the body starts at offset 0.
        let mut k = FakeKernel::new(64).at(56);
        k.produce(b"abc", 0);
        assert_eq!(drain(&mut k.view(), 10), vec![b"abc".to_vec()]);
    }

    #[test]
    fn stops_at_an_uncommitted_record_and_skips_discarded_ones() {
        let mut k = FakeKernel::new(128);
        k.produce(b"dropped", DISCARD_BIT);
        k.produce(b"kept", 0);
        let busy = k.produce(b"pending", BUSY_BIT);
        k.produce(b"after", 0);
        let mut v = k.view();
        assert_eq!(drain(&mut v, 10), vec![b"kept".to_vec()]);
        assert_eq!(k.consumer.load(Ordering::SeqCst), busy);
        k.commit(busy);
        let mut v = k.view();
        assert_eq!(
            drain(&mut v, 10),
            vec![b"pending".to_vec(), b"after".to_vec()]
        );
    }

    #[test]
    fn reads_at_most_max_records() {
        let mut k = FakeKernel::new(128);
        for r in [b"a", b"b", b"c"] {
            k.produce(r, 0);
        }
        assert_eq!(drain(&mut k.view(), 2).len(), 2);
        assert_eq!(drain(&mut k.view(), 2), vec![b"c".to_vec()]);
    }
}
