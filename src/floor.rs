//! The hidden `bench-floor` command: run a command under the benchmark floor programs (do-nothing, or a minimal record per call).
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::OpenObject;

use crate::capture::ring::Ring;
use crate::error::{user, Kind};
use crate::kernel::floor_skel::{types, FloorSkelBuilder};
use crate::kernel::{loader, preflight};
use crate::launch;

/// The minimal record's ring: as large as the tracer's default, so both
/// drain on the same terms.
const RECORD_RING_BYTES: u32 = 32 << 20;

pub fn run(record: bool, command: &[std::ffi::OsString]) -> anyhow::Result<u8> {
    preflight::check()?;
    let mut object = MaybeUninit::<OpenObject>::uninit();
    let mut open = FloorSkelBuilder::default()
        .open(&mut object)
        .map_err(|e| user(Kind::Kernel, format!("opening the floor programs: {e}")))?;
    if record {
        open.maps
            .rodata_data
            .as_deref_mut()
            .context("floor object has no .rodata")?
            .minimal_record = true;
        open.maps
            .floor_events
            .set_max_entries(RECORD_RING_BYTES)
            .context("sizing the floor ring buffer")?;
    }
    let mut skel = open
        .load()
        .map_err(|e| user(Kind::Kernel, format!("loading the floor programs: {e}")))?;
    skel.attach()
        .map_err(|e| user(Kind::Kernel, format!("attaching the floor programs: {e}")))?;
    let child = launch::spawn_held(command)?;
    let pid = child.pid;
    if record {
        let state = types::floor_task {
            watched: 1,
            ..Default::default()
        };
        // SAFETY: `floor_task` is a C struct of integers without padding.
        let value = unsafe { plain::as_bytes(&state) };
        loader::set_task_storage(&skel.maps.floor_tasks, pid, false, value)
            .context("marking the command's task")?;
    }
    child.release()?;

    let done = AtomicBool::new(false);
    let mut records = 0u64;
    let status = std::thread::scope(|s| -> anyhow::Result<i32> {
        let waiter = s.spawn(|| {
            let mut status = 0;
            // SAFETY: waiting for our own child; `status` is a valid out-pointer.
            unsafe { libc::waitpid(pid as i32, &mut status, 0) };
            done.store(true, Ordering::SeqCst);
            status
        });
        if record {
            use std::os::fd::AsFd;
            let mut ring = Ring::of_map(skel.maps.floor_events.as_fd())?;
            // Drained on a timer, never woken per record: the tracer's terms.
            loop {
                let last = done.load(Ordering::SeqCst);
                records += ring.consume(usize::MAX, |_| {}) as u64;
                if last {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(waiter.join().unwrap_or(0))
    })?;
    if record {
        let lost = skel.maps.bss_data.as_deref().map_or(0, |b| b.records_lost);
        eprintln!("bench-floor: {records} records, {lost} lost");
    }
    Ok(launch::exit_code_of(status))
}
