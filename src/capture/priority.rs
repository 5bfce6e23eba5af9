//! The consumer's scheduling priority: above the programs it traces, so that it keeps up with the ring.

/// How much higher than the traced programs the consumer's threads (the
/// tracer's, the pH daemon's) run: 5 nice levels (auditd boosts itself by 4
/// for the same reason).
const PRIORITY_BOOST: libc::c_int = 5;

/// Raises the priority of this thread and of every thread it starts from here
/// on (ring, reader, formatters, writer), but not of a command already forked.
/// Under CPU contention a consumer that waits for its turn lets the ring fill
/// and events are lost: a traced getppid storm beside CPU-bound processes lost
/// events in 8 of 18 runs at the usual priority, in none of 18 boosted.
/// Without CAP_SYS_NICE the priority stays as it was (said with --verbose).
pub fn raise() {
    // SAFETY: plain syscalls on this thread (nice is per thread on Linux and
    // inherited by the threads it creates); errno is read right after.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if *libc::__errno_location() != 0 {
            return;
        }
        let want = (now - PRIORITY_BOOST).max(-20);
        if libc::setpriority(libc::PRIO_PROCESS, tid, want) != 0 {
            crate::kernel::loader::note(format_args!(
                "running at the usual priority: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
}
