//! The hidden `bench-floor` command: run a command with do-nothing programs on the syscall tracepoints.
use std::mem::MaybeUninit;

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::OpenObject;

use crate::error::{user, Kind};
use crate::kernel::floor_skel::FloorSkelBuilder;
use crate::kernel::preflight;
use crate::launch;

pub fn run(command: &[std::ffi::OsString]) -> anyhow::Result<u8> {
    preflight::check()?;
    let mut object = MaybeUninit::<OpenObject>::uninit();
    let open = FloorSkelBuilder::default()
        .open(&mut object)
        .map_err(|e| user(Kind::Kernel, format!("opening the floor programs: {e}")))?;
    let mut skel = open
        .load()
        .map_err(|e| user(Kind::Kernel, format!("loading the floor programs: {e}")))?;
    skel.attach()
        .map_err(|e| user(Kind::Kernel, format!("attaching the floor programs: {e}")))?;
    let child = launch::spawn_held(command)?;
    let pid = child.pid;
    child.release()?;
    let mut status = 0;
    // SAFETY: waiting for our own child; `status` is a valid out-pointer.
    unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    Ok(launch::exit_code_of(status))
}
