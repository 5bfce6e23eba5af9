/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pH (process homeostasis) in the kernel: the maps' values and the records
 * bpf/ph.bpf.c hands to user space, defined once. docs/ph.md is the
 * algorithm; the names here follow it.
 */
#ifndef __AIF_PH_H
#define __AIF_PH_H

#include "events.h"

/* Syscall numbers learned: a power of two (the verifier needs a mask). */
#define PH_NSYS 512
/* The current call and the 8 before it. */
#define PH_WINDOW 9
#define PH_HISTORY (PH_WINDOW - 1)
/* Calls in a locality frame. */
#define PH_LFC 128
/* Signal frames with a window each; deeper handlers share the last. */
#define PH_FRAMES 4
/* pH's fixed denominator of normal_factor. */
#define NORMAL_FACTOR_DEN 32
/* Bytes of the executable's path sent with profile events. */
#define PH_PATH_MAX 512

/* When a process in the `watched` map enters the scope. */
enum watch_from {
	WATCH_NOW = 1, /* at its next call (--pid) */
	WATCH_AT_EXEC = 2, /* at its next exec (a launched command, held before it) */
};

/* A profile's key: the executed file. Two fields, never packed into one. */
struct ph_key {
	__u64 dev;
	__u64 ino;
};

/* The counters and state of one profile (array map, by profile id). */
struct ph_profile {
	struct ph_key key;
	__u64 train_count;
	/* train_count when a pair was last added (0: never). */
	__u64 last_mod_at;
	/* CLOCK_BOOTTIME ns when the profile froze (0: not frozen). */
	__u64 frozen_since;
	__u64 anomalies;
	/* enum ph_status, changed by compare-and-swap (64 bits: the BPF
	 * atomics every kernel and compiler have). */
	__u64 status;
};

enum ph_status {
	PH_TRAINING = 0,
	PH_NORMAL = 1,
	/* One CPU is copying the training data to the testing data. */
	PH_NORMALIZING = 2,
};

/* The pairs that follow one call c0 in one profile (hash by ph_row_key):
 * bit i-1 of train[c1] means c1 was seen i calls before c0. */
struct ph_row_key {
	__u32 profile;
	__u32 c0;
};

struct ph_row {
	__u8 train[PH_NSYS];
	__u8 test[PH_NSYS];
};

/* One task (thread), by tid. */
struct ph_task {
	/* profile id + 1 (0: none) */
	__u32 profile;
	__u32 lfc;
	__u32 max_lfc;
	/* signal handlers entered and not yet returned from */
	__u32 nest;
	__u64 count;
	/* the last calls per frame, most recent first */
	__u16 win[PH_FRAMES][PH_HISTORY];
	__u8 len[PH_FRAMES];
	__u8 lfc_bits[PH_LFC / 8];
	__u32 __pad;
};

/* The tunables (docs/ph.md), in .bss: user space changes them live. */
struct ph_settings {
	__u64 normal_wait_ns;
	__u64 normal_factor;
	__u64 anomaly_limit;
	__u64 tolerize_limit;
};

enum ph_event_kind {
	PH_EV_ANOMALY = 1,
	PH_EV_CREATED = 2, /* a new profile (path: the executable, when known) */
	PH_EV_ASSOC = 3, /* a task took a profile at exec */
	PH_EV_FROZEN = 4,
	PH_EV_NORMAL = 5,
	PH_EV_TRAINING = 6, /* anomaly limit exceeded: back to training */
	PH_EV_TOLERIZE = 7, /* LFC limit exceeded: training data reset */
	PH_EV_FULL = 8, /* a map is full (`nr`: enum ph_full) */
};

enum ph_full {
	PH_FULL_PROFILES = 1,
	PH_FULL_ROWS = 2,
	PH_FULL_TASKS = 3,
};

enum ph_event_flags {
	PH_F_PATH_TRUNC = 1 << 0, /* the path did not fit */
	PH_F_NO_PATH = 1 << 1, /* the path is not known in the kernel */
};

/* Header type EVENT_PH. Profile events leave the task fields zero. */
struct ph_event {
	struct event_header hdr;
	__u32 kind; /* enum ph_event_kind */
	__u32 profile; /* profile id */
	struct ph_key key;
	__u32 nr; /* the call (anomaly) */
	__u32 misses; /* missing pairs (anomaly) */
	__u32 lfc;
	__u32 window_len;
	__u64 count; /* the task's calls */
	__u64 train_count;
	__u64 anomalies; /* the profile's, since it became normal */
	__u16 window[PH_WINDOW]; /* current call first */
	__u16 path_len; /* bytes of path (PH_EV_CREATED, PH_EV_ASSOC) */
	__u32 __pad;
	char path[PH_PATH_MAX];
};

#endif /* __AIF_PH_H */
