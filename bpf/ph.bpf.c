// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pH in the kernel: learn each executable's lookahead pairs (window 9) at
 * every syscall entry, test them once the profile is normal, and report
 * anomalies and profile transitions. docs/ph.md is the algorithm, step by
 * step; the user-space engine (src/ph/engine.rs) follows the same page.
 *
 * Concurrency: several CPUs update one profile at once. Pair bytes change
 * by atomic 32-bit ORs, counters by atomic adds, and the one-time
 * transitions (frozen, normal, back to training, tolerize) are claimed by
 * compare-and-swap or exchange, so exactly one CPU applies and reports each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "ph.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Configuration, written before load. */
const volatile __u32 daemon_tgid = 0;
/* Scope: every process (default), the tgids in `watched` (and their
 * descendants), or processes named comm_filter (and their descendants). */
const volatile bool scope_all = true;
const volatile bool comm_mode = false;
const volatile char comm_filter[AIF_TASK_COMM_LEN] = {};
const volatile __u32 nr_rt_sigreturn = 15;
const volatile __u32 max_profiles = 1;

/* Live settings and counters (.bss, mmaped by user space). */
struct ph_settings settings = {};
__u64 next_seq = 0;
__u64 lost_events[AIF_MAX_CPUS] = {};
__u64 next_profile = 0;
__u64 profiles_full = 0;
__u64 rows_full = 0;
__u64 tasks_full = 0;

/* Types user space reads through the skeleton. */
struct ph_event _ph_event = {};
struct ph_row _ph_row = {};
struct ph_row_key _ph_row_key = {};
struct ph_task _ph_task = {};
enum ph_event_kind _ph_event_kind = 0;
enum ph_status _ph_status = 0;
enum ph_full _ph_full = 0;
enum ph_event_flags _ph_event_flags = 0;
enum watch_from _watch_from = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/* Profile ids by executable; the id indexes `profiles`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, struct ph_key);
	__type(value, __u32);
} profile_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024); /* resized by the loader */
	__type(key, __u32);
	__type(value, struct ph_profile);
} profiles SEC(".maps");

/* Rows exist for the calls a profile has seen: a few dozen per program. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536); /* resized by the loader */
	__type(key, struct ph_row_key);
	__type(value, struct ph_row);
} rows SEC(".maps");

/* Per-task state by tid: created at fork, exec or first call, removed at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct ph_task);
} tasks SEC(".maps");

/* Processes in scope by tgid (enum watch_from); their descendants follow. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} watched SEC(".maps");

/* Event records are built here (too big for the stack), then copied. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ph_event);
} event_scratch SEC(".maps");

/* Zeroed templates for new map entries. */
static const struct ph_row zero_row;
static const struct ph_task zero_task;

/* A zeroed event of `kind` about the current task and profile `id`, or NULL. */
static __always_inline struct ph_event *event_start(__u32 kind, __u32 id)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ph_event *e;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&event_scratch, &zero);
	if (!e)
		return NULL;
	__builtin_memset(e, 0, offsetof(struct ph_event, path));
	e->hdr.ts_ns = bpf_ktime_get_boot_ns();
	e->hdr.pid = pid_tgid >> 32;
	e->hdr.tid = (__u32)pid_tgid;
	e->hdr.ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->hdr.uid = (__u32)bpf_get_current_uid_gid();
	BPF_CORE_READ_INTO(&e->hdr.comm, task, comm);
	e->hdr.type = EVENT_PH;
	e->hdr.cpu = bpf_get_smp_processor_id();
	e->kind = kind;
	e->profile = id;
	return e;
}

/* Numbers the event and copies it to the ring; profile events carry the
 * path, the others stop before it. Every event wakes the reader: they are
 * rare, and an anomaly should be seen at once. */
static __always_inline void event_send(struct ph_event *e)
{
	__u64 size = offsetof(struct ph_event, path);

	if (e->kind == PH_EV_CREATED || e->kind == PH_EV_ASSOC)
		size = sizeof(*e);
	e->hdr.seq = __sync_fetch_and_add(&next_seq, 1);
	if (bpf_ringbuf_output(&events, e, size, 0))
		count_lost_in(lost_events);
}

/* A profile event: its key and counters. */
static __always_inline void profile_event(__u32 kind, __u32 id,
					  struct ph_profile *p)
{
	struct ph_event *e = event_start(kind, id);

	if (!e)
		return;
	e->key = p->key;
	e->train_count = p->train_count;
	e->anomalies = p->anomalies;
	event_send(e);
}

static __always_inline void full_event(__u64 *counter, __u32 which)
{
	struct ph_event *e;

	/* The first failure is reported; the counters keep the rest. */
	if (__sync_fetch_and_add(counter, 1))
		return;
	e = event_start(PH_EV_FULL, 0);
	if (!e)
		return;
	e->nr = which;
	event_send(e);
}

/* The key of the file `file`, its device numbered as stat(2) shows it
 * (new_encode_dev), not as the kernel keeps it (major << 20 | minor). */
static __always_inline struct ph_key file_key(struct file *file)
{
	__u32 kdev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	__u64 major = kdev >> 20, minor = kdev & ((1U << 20) - 1);
	struct ph_key key = {
		.dev = (minor & 0xff) | (major << 8) | ((minor & ~0xffULL) << 12),
		.ino = BPF_CORE_READ(file, f_inode, i_ino),
	};
	return key;
}

/*
 * The id of the profile for `key`, created when new (reporting it with
 * `path`, a kernel string, or without a path when NULL); -1 when full.
 */
static __always_inline long profile_id(struct ph_key *key, const char *path)
{
	struct ph_profile *p;
	struct ph_event *e;
	__u32 *found, id;
	long n;

	found = bpf_map_lookup_elem(&profile_ids, key);
	if (found)
		return *found;
	id = __sync_fetch_and_add(&next_profile, 1);
	if (id >= max_profiles) {
		full_event(&profiles_full, PH_FULL_PROFILES);
		return -1;
	}
	p = bpf_map_lookup_elem(&profiles, &id);
	if (!p)
		return -1;
	p->key = *key;
	if (bpf_map_update_elem(&profile_ids, key, &id, BPF_NOEXIST)) {
		/* Another CPU created it first (this id stays unused), or the
		 * map is full. */
		found = bpf_map_lookup_elem(&profile_ids, key);
		if (found)
			return *found;
		full_event(&profiles_full, PH_FULL_PROFILES);
		return -1;
	}
	e = event_start(PH_EV_CREATED, id);
	if (!e)
		return id;
	e->key = *key;
	if (path) {
		n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
		if (n > 0)
			e->path_len = n - 1;
		if (n == sizeof(e->path))
			e->hdr.flags |= PH_F_PATH_TRUNC;
	} else {
		e->hdr.flags |= PH_F_NO_PATH;
	}
	event_send(e);
	return id;
}

/* A fresh state for task `tid` with profile `id` (docs/ph.md, Tasks). */
static __always_inline struct ph_task *task_reset(__u32 tid, __u32 id)
{
	struct ph_task *st;

	if (bpf_map_update_elem(&tasks, &tid, &zero_task, BPF_ANY)) {
		full_event(&tasks_full, PH_FULL_TASKS);
		return NULL;
	}
	st = bpf_map_lookup_elem(&tasks, &tid);
	if (st)
		st->profile = id + 1;
	return st;
}

/* The state of a task first seen at a syscall: one already running when
 * monitoring started, or one of a process put in scope by user space. */
static __always_inline struct ph_task *task_first_call(__u64 pid_tgid)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u32 tgid = pid_tgid >> 32;
	struct ph_key key;
	struct file *exe;
	long id;

	if (tgid == daemon_tgid)
		return NULL;
	if (comm_mode) {
		char comm[AIF_TASK_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		if (!comm_equal(comm, comm_filter))
			return NULL;
	} else if (!scope_all) {
		__u8 *from = bpf_map_lookup_elem(&watched, &tgid);

		if (!from || *from != WATCH_NOW)
			return NULL;
	}
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe)
		return NULL;
	key = file_key(exe);
	id = profile_id(&key, NULL);
	if (id < 0)
		return NULL;
	return task_reset((__u32)pid_tgid, id);
}

/* The row of `c0` in profile `id`, created when new; NULL when full. */
static __always_inline struct ph_row *row_get(__u32 id, __u32 c0)
{
	struct ph_row_key rk = { .profile = id, .c0 = c0 };
	struct ph_row *row;

	row = bpf_map_lookup_elem(&rows, &rk);
	if (row)
		return row;
	/* NOEXIST: a row another CPU just made is kept. */
	bpf_map_update_elem(&rows, &rk, &zero_row, BPF_NOEXIST);
	row = bpf_map_lookup_elem(&rows, &rk);
	if (!row)
		full_event(&rows_full, PH_FULL_ROWS);
	return row;
}

/* Walks every row of one profile, copying or clearing training data. */
struct rows_loop {
	__u32 profile;
	bool normalize; /* test := train; else train := 0 */
};

static long rows_entry(__u32 c0, struct rows_loop *c)
{
	struct ph_row_key rk = { .profile = c->profile, .c0 = c0 };
	struct ph_row *row = bpf_map_lookup_elem(&rows, &rk);

	if (!row)
		return 0;
	if (c->normalize)
		bpf_probe_read_kernel(row->test, sizeof(row->test), row->train);
	else
		bpf_probe_read_kernel(row->train, sizeof(row->train),
				      zero_row.train);
	return 0;
}

static __always_inline void rows_walk(__u32 id, bool normalize)
{
	struct rows_loop c = { .profile = id, .normalize = normalize };

	bpf_loop(PH_NSYS, rows_entry, &c, 0);
}

/* Sets bit `bit` of train[c1] atomically (an OR on its aligned 64-bit
 * word); true when it was not set. */
static __always_inline bool train_pair(struct ph_row *row, __u32 c1, __u64 bit)
{
	__u32 shift = (c1 & 7) * 8;
	__u64 *word = (__u64 *)&row->train[c1 & (PH_NSYS - 8)];
	__u64 old;

	if (row->train[c1 & (PH_NSYS - 1)] & bit)
		return false;
	old = __sync_fetch_and_or(word, bit << shift);
	return !(old & (bit << shift));
}

/* The anomaly report: the task, the call, and its window (current first). */
static __always_inline void anomaly_event(__u32 id, struct ph_profile *p,
					  struct ph_task *st, __u32 c0,
					  __u32 misses, __u16 *hist, __u32 len)
{
	struct ph_event *e = event_start(PH_EV_ANOMALY, id);

	if (!e)
		return;
	e->key = p->key;
	e->nr = c0;
	e->misses = misses;
	e->lfc = st->lfc;
	e->count = st->count;
	e->train_count = p->train_count;
	e->anomalies = p->anomalies;
	e->window[0] = c0;
	for (int i = 0; i < PH_HISTORY; i++) {
		if (i >= len)
			break;
		e->window[i + 1] = hist[i];
	}
	e->window_len = len + 1;
	event_send(e);
}

/* Steps 4 and 5 of a call: train, then freeze and become normal. */
static __always_inline void ph_learn(__u32 id, struct ph_profile *p,
				     struct ph_row *row, __u32 c0, __u16 *hist,
				     __u32 len)
{
	bool new = false, frozen;
	__u64 tc, now, since;

	/* 4. train */
	for (int i = 0; i < PH_HISTORY; i++) {
		if (i >= len)
			break;
		if (train_pair(row, hist[i], 1 << i))
			new = true;
	}
	tc = __sync_fetch_and_add(&p->train_count, 1) + 1;
	if (new) {
		p->last_mod_at = tc;
		p->frozen_since = 0;
	}

	/* 5. freeze, then normal. The clock is read only while a frozen
	 * profile has a transition to time: not per call in steady state. */
	frozen = p->last_mod_at > 0 &&
		 tc * NORMAL_FACTOR_DEN > p->last_mod_at * settings.normal_factor;
	since = p->frozen_since;
	if (!frozen) {
		if (since)
			p->frozen_since = 0;
		return;
	}
	if (since && p->status != PH_TRAINING)
		return;
	now = bpf_ktime_get_boot_ns();
	if (!since) {
		since = now ? now : 1;
		if (__sync_val_compare_and_swap(&p->frozen_since, 0, since) == 0)
			profile_event(PH_EV_FROZEN, id, p);
		else
			since = p->frozen_since;
	}
	if (since && p->status == PH_TRAINING &&
	    now - since >= settings.normal_wait_ns &&
	    __sync_val_compare_and_swap(&p->status, PH_TRAINING,
					PH_NORMALIZING) == PH_TRAINING) {
		rows_walk(id, true);
		p->anomalies = 0;
		p->status = PH_NORMAL;
		profile_event(PH_EV_NORMAL, id, p);
	}
}

/* One call c0 by the current task (docs/ph.md, "One call"). */
static __always_inline void ph_call(struct ph_task *st, __u32 c0)
{
	__u32 id = st->profile - 1, frame, len, misses = 0, slot, bit, before;
	struct ph_profile *p;
	struct ph_row *row;
	bool anomalous, above;
	__u16 *hist;

	p = bpf_map_lookup_elem(&profiles, &id);
	if (!p)
		return;
	row = row_get(id, c0);
	if (!row)
		return;
	frame = st->nest < PH_FRAMES ? st->nest : PH_FRAMES - 1;
	hist = st->win[frame & (PH_FRAMES - 1)];
	len = st->len[frame & (PH_FRAMES - 1)];
	if (len > PH_HISTORY)
		len = PH_HISTORY;

	/* 1. test */
	if (p->status == PH_NORMAL) {
		for (int i = 0; i < PH_HISTORY; i++) {
			if (i >= len)
				break;
			if (!(row->test[hist[i] & (PH_NSYS - 1)] & (1 << i)))
				misses++;
		}
	}
	anomalous = misses > 0;

	/* 2. locality frame */
	before = st->lfc;
	slot = st->count % PH_LFC;
	bit = (st->lfc_bits[(slot / 8) & (PH_LFC / 8 - 1)] >> (slot % 8)) & 1;
	if (bit && !anomalous) {
		st->lfc--;
		st->lfc_bits[(slot / 8) & (PH_LFC / 8 - 1)] &= ~(1 << (slot % 8));
	} else if (!bit && anomalous) {
		st->lfc++;
		st->lfc_bits[(slot / 8) & (PH_LFC / 8 - 1)] |= 1 << (slot % 8);
	}
	if (st->lfc > st->max_lfc)
		st->max_lfc = st->lfc;
	st->count++;
	if (anomalous) {
		__sync_fetch_and_add(&p->anomalies, 1);
		anomaly_event(id, p, st, c0, misses, hist, len);
		if (p->anomalies > settings.anomaly_limit &&
		    __sync_val_compare_and_swap(&p->status, PH_NORMAL,
						PH_TRAINING) == PH_NORMAL) {
			p->anomalies = 0;
			p->frozen_since = 0;
			profile_event(PH_EV_TRAINING, id, p);
		}
	}

	/* 3. tolerize: the call that takes the task over the limit resets
	 * the training data; the task trains nothing while it stays above. */
	above = st->lfc > settings.tolerize_limit;
	if (above && before <= settings.tolerize_limit) {
		p->train_count = 0;
		p->last_mod_at = 0;
		p->frozen_since = 0;
		rows_walk(id, false);
		profile_event(PH_EV_TOLERIZE, id, p);
	}
	if (!above)
		ph_learn(id, p, row, c0, hist, len);

	/* 6. the window moves */
	for (int i = PH_HISTORY - 1; i > 0; i--)
		hist[i] = hist[i - 1];
	hist[0] = c0;
	if (len < PH_HISTORY)
		st->len[frame & (PH_FRAMES - 1)] = len + 1;

	if (c0 == nr_rt_sigreturn && st->nest > 0)
		st->nest--;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ph_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct ph_task *st;

	if ((__u64)id >= PH_NSYS)
		return 0;
	st = bpf_map_lookup_elem(&tasks, &tid);
	if (!st) {
		st = task_first_call(pid_tgid);
		if (!st)
			return 0;
	}
	if (!st->profile)
		return 0;
	ph_call(st, id);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ph_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptid = parent->pid, ctid = child->pid;
	struct ph_task *pst;

	pst = bpf_map_lookup_elem(&tasks, &ptid);
	if (!pst || !pst->profile)
		return 0;
	task_reset(ctid, pst->profile - 1);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ph_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid, tid = p->pid, old = old_pid;
	struct ph_key key;
	struct ph_event *e;
	struct ph_task *st;
	long id, n;

	if (tgid == daemon_tgid)
		return 0;
	/* A thread that execs takes over the leader's tid. */
	if (old != tid)
		bpf_map_delete_elem(&tasks, &old);
	st = bpf_map_lookup_elem(&tasks, &tid);
	if (!st) {
		if (comm_mode) {
			if (!comm_equal(p->comm, comm_filter))
				return 0;
		} else if (!scope_all && !bpf_map_lookup_elem(&watched, &tgid)) {
			return 0;
		}
	}
	/* The file executed: for a script, its interpreter, which `interp`
	 * names (`filename` would name the script). */
	key = file_key(BPF_CORE_READ(bprm, file));
	id = profile_id(&key, BPF_CORE_READ(bprm, interp));
	if (id < 0) {
		bpf_map_delete_elem(&tasks, &tid);
		return 0;
	}
	if (!task_reset(tid, id))
		return 0;
	e = event_start(PH_EV_ASSOC, id);
	if (!e)
		return 0;
	e->key = key;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path),
				      BPF_CORE_READ(bprm, interp));
	if (n > 0)
		e->path_len = n - 1;
	if (n == sizeof(e->path))
		e->hdr.flags |= PH_F_PATH_TRUNC;
	event_send(e);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ph_exit, struct task_struct *task)
{
	__u32 tid = task->pid, tgid = task->tgid;

	bpf_map_delete_elem(&tasks, &tid);
	if (tid == tgid)
		bpf_map_delete_elem(&watched, &tgid);
	return 0;
}

/* A handler is about to run: it gets a fresh window (docs/ph.md, Signals). */
SEC("tp_btf/signal_deliver")
int BPF_PROG(ph_signal, int sig, struct kernel_siginfo *info,
	     struct k_sigaction *ka)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), frame;
	unsigned long handler = (unsigned long)BPF_CORE_READ(ka, sa.sa_handler);
	struct ph_task *st;

	/* SIG_DFL (0) and SIG_IGN (1) run no handler. */
	if (handler <= 1)
		return 0;
	st = bpf_map_lookup_elem(&tasks, &tid);
	if (!st)
		return 0;
	st->nest++;
	frame = st->nest < PH_FRAMES ? st->nest : PH_FRAMES - 1;
	st->len[frame & (PH_FRAMES - 1)] = 0;
	return 0;
}
