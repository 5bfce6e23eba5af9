/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every record the kernel programs hand to user space, defined once.
 *
 * The Rust side never mirrors these by hand: it reads the skeleton's
 * generated `types` (bindgen over this header via the object's BTF).
 * Each record starts with struct event_header; `seq` comes from one global
 * counter, so a gap in the sequence is an event that was lost (counted in
 * `lost_events[]`) or that is still on its way.
 */
#ifndef __AIF_EVENTS_H
#define __AIF_EVENTS_H

#define AIF_TASK_COMM_LEN 16
#define AIF_SYSCALL_ARGS 6
/* Room for syscall numbers in the selection bitmap (x86_64 has ~470). */
#define AIF_SYSCALL_BITS 1024
#define AIF_SYSCALL_WORDS (AIF_SYSCALL_BITS / 64)
/* Slots of the per-CPU loss counters; CPU ids are masked into this range. */
#define AIF_MAX_CPUS 1024
/* exec records: both bounds are powers of two (the verifier needs masks). */
#define AIF_EXEC_FILENAME_MAX 4096
#define AIF_EXEC_ARGV_MAX 8192

enum event_type {
	EVENT_SYSCALL = 1,
	EVENT_EXEC = 2,
	EVENT_FORK = 3,
	EVENT_EXIT = 4,
};

enum event_flags {
	/* syscall: the call did not return (exit, exit_group). */
	EVENT_F_NORETURN = 1 << 0,
	/* fork: the child is a thread of the parent's process. */
	EVENT_F_THREAD = 1 << 1,
	/* exec: filename or argv did not fit and were cut. */
	EVENT_F_FILENAME_TRUNC = 1 << 2,
	EVENT_F_ARGV_TRUNC = 1 << 3,
	/* exec: argv could not be read from the new image. */
	EVENT_F_ARGV_FAULT = 1 << 4,
};

struct event_header {
	__u64 seq;
	__u64 ts_ns; /* CLOCK_BOOTTIME; syscall events: time of entry */
	__u32 pid; /* tgid */
	__u32 tid;
	__u32 ppid; /* tgid of the real parent */
	__u32 uid;
	char comm[AIF_TASK_COMM_LEN];
	__u16 type; /* enum event_type */
	__u16 flags; /* enum event_flags */
	__u32 cpu;
};

struct syscall_event {
	struct event_header hdr;
	__s64 ret;
	__u64 duration_ns;
	__u64 args[AIF_SYSCALL_ARGS];
	__u32 nr;
	__u32 __pad;
};

/*
 * Variable size: `data` holds filename_len bytes of the executed path
 * (NUL-terminated) followed by argv_len bytes of the argument block
 * (NUL-separated strings, as in /proc/PID/cmdline). Only the used part of
 * `data` is sent.
 */
struct exec_event {
	struct event_header hdr;
	__u32 old_tid; /* tid that called execve (differs in a threaded exec) */
	__u16 filename_len;
	__u16 argv_len;
	char data[AIF_EXEC_FILENAME_MAX + AIF_EXEC_ARGV_MAX];
};

/* Header: the forking thread. */
struct fork_event {
	struct event_header hdr;
	__u32 child_pid;
	__u32 child_tid;
};

/* Sent when the last thread of a watched process exits. */
struct exit_event {
	struct event_header hdr;
	__u32 exit_code; /* wait(2) status layout: code << 8 | signal */
	__u32 __pad;
};

#endif /* __AIF_EVENTS_H */
