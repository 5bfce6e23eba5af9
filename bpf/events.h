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
/* Captured user memory: at most this many captures per call, each at most
 * AIF_CAPTURE_MAX bytes (paths; buffers are cut at --string-limit). */
#define AIF_CAPTURES 4
#define AIF_CAPTURE_MAX 4096
/* execve argv read from the caller's pointer array (failed execve only). */
#define AIF_STRV_MAX 16
#define AIF_STRV_STR_MAX 256
/* iovec entries read per call (more are marked truncated). */
#define AIF_IOV_MAX 8
/* CAP_DIRENTS stops counting here. */
#define AIF_DIRENTS_MAX 8192
/* CAP_COUNT stops counting here. */
#define AIF_COUNT_MAX 256

enum event_type {
	EVENT_SYSCALL = 1,
	EVENT_EXEC = 2,
	EVENT_FORK = 3,
	EVENT_EXIT = 4,
	EVENT_PH = 5, /* struct ph_event (bpf/ph.h) */
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
	/* syscall: user memory follows the record (struct capture each). */
	EVENT_F_CAPTURES = 1 << 5,
};

/*
 * What to read from user memory at a syscall's exit, per argument: a plan of
 * up to AIF_CAPTURES entries per syscall number, written by the loader.
 */
enum capture_kind {
	CAP_NONE = 0,
	CAP_STR = 1, /* NUL-terminated string at the argument */
	CAP_BUF = 2, /* bytes at the argument; length from `len_arg` */
	CAP_FIXED = 3, /* `size` bytes `skip` bytes past the argument (a
			* struct, or the part of one that is shown) */
	/* Plan: the execve family, `arg` being the path (argv and envp
	 * follow). Records: after a success, three CAP_EXEC values (the new
	 * image's path, its argv block, the environment size as a __u32);
	 * after a failure, CAP_STR (path), CAP_STRV (argv) and CAP_COUNT
	 * (envp) read from the caller's memory. */
	CAP_EXEC = 4,
	CAP_STRV = 5, /* argv: string i NUL-terminated in the
		       * AIF_STRV_STR_MAX bytes at i * AIF_STRV_STR_MAX */
	CAP_COUNT = 6, /* envp: the number of entries, a __u32 */
	/* Plan: an iovec array at `arg`, its length in `len_arg` (readv,
	 * writev ...; with CAP_F_OK the data is what the call returned).
	 * Records: CAP_IOV (the iovec array, at most AIF_IOV_MAX entries)
	 * and, where the kernel has bpf_loop (5.17+), one CAP_IOV_DATA per
	 * entry (`arg` is the entry's index). */
	CAP_IOV = 7,
	CAP_IOV_DATA = 8,
	/* Plan: a struct user_msghdr at `arg` (sendmsg, recvmsg). Records:
	 * CAP_MSG (the struct), CAP_MSG_NAME (the address it points to),
	 * then CAP_IOV and CAP_IOV_DATA for its iovec array. */
	CAP_MSG = 9,
	CAP_MSG_NAME = 10,
	/* Plan: getdents64's buffer at `arg`. Record: the number of entries
	 * the call returned, a __u32 (needs bpf_loop; else CAP_BUF with the
	 * first AIF_CAPTURE_MAX bytes). */
	CAP_DIRENTS = 11,
	/* Plan: entry_reads[], not capture_plan. Record: memory the caller
	 * passed by pointer (`arg`), as it was at entry; the call may rewrite
	 * it (a socklen_t: strace's [128 => 16]; select's fd sets and
	 * timeout). Unreadable at entry: CAPR_FAULT, no data. */
	CAP_ENTRY = 12,
	/* Plan: new descriptors, on success: the return value (len_arg
	 * CAP_LEN_RET) or the two ints at `arg` (pipe's fildes). Record: the
	 * inode number of each, a __u64 (0: not found), which names a pipe or
	 * socket as /proc does (pipe:[123]) after the process has closed it. */
	CAP_INO = 13,
};

/* How a syscall's exit record is built (the tracer's exit_path[nr]). */
enum exit_path {
	EXIT_PLAIN = 0, /* registers only: a syscall_event */
	EXIT_CAPTURES = 1, /* with the memory capture_plan and entry_reads list */
	/* A plan of one buffer cut at the string limit (read, write ...):
	 * written in place, the record's size fixed by the limit; what the
	 * buffer leaves unused is one CAP_NONE capture. */
	EXIT_ONE_BUFFER = 2,
};

/* A call the loader turns into the kfunc bpf_rdonly_cast() (6.2+) when it
 * knows the kfunc's kernel BTF ID (see task_reads() in tracer.bpf.c): a
 * helper number no kernel has, so an unpatched call never verifies. */
enum task_cast {
	TASK_CAST_CALL = 0x7ff0,
};

/* The largest string limit (-s) that EXIT_ONE_BUFFER serves, and the
 * arities it serves (read, write: 3; pread64, pwrite64: 4). */
#define AIF_ONE_BUFFER_MAX 64
#define AIF_ONE_BUFFER_ARGS_MIN 3
#define AIF_ONE_BUFFER_ARGS_MAX 4

enum capture_len {
	/* CAP_BUF length sources besides an argument index 0..5. */
	CAP_LEN_RET = 6, /* the return value */
	CAP_LEN_PTR = 7, /* an int at the pointer in argument `len_ptr_arg` */
};

enum capture_flags {
	CAP_F_OK = 1 << 0, /* only when the call succeeded (output data) */
	CAP_F_ERR = 1 << 1, /* only when the call failed */
	CAP_F_LIMIT = 1 << 2, /* cut at the string limit (-s) */
	/* CAP_BUF: the length argument is a NUMA maxnode, of which the kernel
	 * reads maxnode - 1 bits in unsigned longs (get_nodes() in
	 * mm/mempolicy.c): that many longs are read. */
	CAP_F_NODE_BITS = 1 << 3,
};

struct capture_spec {
	__u8 kind; /* enum capture_kind */
	__u8 arg; /* argument index 0..5 */
	__u8 len_arg; /* CAP_BUF: argument index, CAP_LEN_RET or CAP_LEN_PTR */
	__u8 flags; /* enum capture_flags */
	__u8 len_ptr_arg; /* CAP_LEN_PTR: argument holding the int pointer */
	__u8 len_mul; /* CAP_BUF: the length counts elements of this size (0: bytes) */
	__u16 size; /* CAP_FIXED: bytes; CAP_BUF: upper bound (0: none) */
	__u16 skip; /* CAP_FIXED: bytes of the struct before the ones read */
};

/* Memory the call reads and may rewrite through a pointer (getsockname's
 * addrlen, recvmsg's msg_namelen, select's fd sets), read at entry into
 * the call's state: up to AIF_ENTRY_READS per syscall, in order, each at
 * most AIF_ENTRY_READ_MAX bytes. */
#define AIF_ENTRY_READS 4
#define AIF_ENTRY_READ_MAX 16
/* entry_read_spec.arg: the user stack pointer, not an argument (the signal
 * frame rt_sigreturn restores). */
#define AIF_ENTRY_ARG_SP 6
struct entry_read_spec {
	__u8 arg; /* the argument holding the pointer, 0..5, or AIF_ENTRY_ARG_SP */
	__u8 size; /* bytes; 0: this read and the ones after it are unused */
	__u16 skip; /* bytes past the pointer (a field of a struct) */
};

/* Sizes user space needs too (enums reach it through BTF; #defines do not). */
enum capture_limits {
	CAP_STRV_SLOT = AIF_STRV_STR_MAX,
	CAP_STRV_MAX = AIF_STRV_MAX,
	CAP_IOV_MAX = AIF_IOV_MAX,
	CAP_ENTRY_READS = AIF_ENTRY_READS,
	CAP_ENTRY_READ_MAX = AIF_ENTRY_READ_MAX,
	CAP_PLAN_MAX = AIF_CAPTURES,
	CAP_ONE_BUFFER_MAX = AIF_ONE_BUFFER_MAX,
	CAP_ONE_BUFFER_ARGS_MIN = AIF_ONE_BUFFER_ARGS_MIN,
	CAP_ONE_BUFFER_ARGS_MAX = AIF_ONE_BUFFER_ARGS_MAX,
	CAP_ENTRY_ARG_SP = AIF_ENTRY_ARG_SP,
};

/* Flags of one captured value. */
enum capture_result {
	CAPR_TRUNC = 1 << 0, /* the data was longer than what follows */
	CAPR_FAULT = 1 << 1, /* the memory could not be read: no data follows */
};

/* Follows a syscall_event (EVENT_F_CAPTURES), once per captured value; `len`
 * bytes of data follow, then padding to 8 bytes. */
struct capture {
	/* argument index; CAP_EXEC sends 0 (path), 1 (argv block) and 2 (the
	 * number of environment strings, a __u32) */
	__u8 arg;
	__u8 kind; /* enum capture_kind */
	__u16 flags; /* enum capture_result */
	__u32 len;
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

/* Variable size: only the call's own `nargs` arguments are sent, so a
 * record ends at args[nargs] (SYSCALL_EVENT_SIZE). */
struct syscall_event {
	struct event_header hdr;
	__s64 ret;
	__u64 duration_ns;
	__u32 nr;
	__u32 nargs;
	__u64 args[AIF_SYSCALL_ARGS];
	/* With EVENT_F_CAPTURES: struct capture records after args[nargs]. */
};

#define SYSCALL_EVENT_SIZE(nargs) \
	(__builtin_offsetof(struct syscall_event, args) + (nargs) * sizeof(__u64))

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
