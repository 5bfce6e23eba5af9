// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capture: follow the watched processes through fork/exec/exit and emit one
 * record per completed syscall into a single ring buffer.
 *
 * Hot path (every syscall on the machine): one rodata bit test and, for a
 * task without task-local storage (most of them), one field load. Only
 * watched threads pay for the in-flight record and the event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "core_fixes.bpf.h"
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Configuration, written by the loader before load(). */
const volatile __u32 tracer_tgid = 0;
const volatile bool trace_all = false;
const volatile bool follow_children = false;
const volatile bool comm_mode = false;
const volatile char comm_filter[AIF_TASK_COMM_LEN] = {};
const volatile __u64 syscall_filter[AIF_SYSCALL_WORDS] = {};
const volatile __u32 nr_exit = 0;
const volatile __u32 nr_exit_group = 0;
/* The kernel has task-local storage and bpf_get_current_task_btf() (5.11+).
 * Otherwise entry state lives in a hash keyed by tid. */
const volatile bool use_task_btf = true;
/* Only tasks marked in task storage are watched: the loader marks the initial
 * tasks, and fork/exec mark the ones that join. Unwatched tasks skip the hash. */
const volatile bool storage_marks_watched = false;
/* Wake the consumer when this much data is waiting (checked every 1024 events). */
const volatile __u64 wakeup_bytes = 1 << 20;
/* User memory to read at each syscall's exit (see struct capture_spec), and
 * where to cut buffers (-s). Off: every record is a plain syscall_event. */
const volatile bool capture_enabled = false;
const volatile __u32 string_limit = 32;
const volatile struct capture_spec capture_plan[AIF_SYSCALL_BITS][AIF_CAPTURES] = {};
/* How many arguments each syscall takes: records carry only those. */
const volatile __u8 syscall_nargs[AIF_SYSCALL_BITS] = {};
/* How many of capture_plan[nr]'s entries are used: bpf_loop runs that many
 * times rather than once more to find the end. */
const volatile __u8 capture_count[AIF_SYSCALL_BITS] = {};
/* Per syscall, the memory to read at entry (CAP_ENTRY), if any. */
const volatile struct entry_read_spec entry_reads[AIF_SYSCALL_BITS][AIF_ENTRY_READS] = {};
/* Per syscall, how its exit record is built (enum exit_path): one byte
 * for the exit to test, where the plan and the entry reads are each a
 * strided table. All EXIT_PLAIN unless capture is on. */
const volatile __u8 exit_path[AIF_SYSCALL_BITS] = {};
/* bpf_loop() exists (5.17+): iovec data is read in its callback, which
 * the verifier checks once (an inline loop would multiply its work). */
const volatile bool have_bpf_loop = false;
/* The kernel BTF ID of struct task_struct, when the loader has put
 * bpf_rdonly_cast() in place of every task_cast() call; 0 otherwise. */
const volatile __u32 task_struct_id = 0;

/* State shared with user space through the mmaped .bss. */
__u64 next_seq = 0;
__u64 lost_events[AIF_MAX_CPUS] = {};
__u64 watch_map_full = 0;
__u64 inflight_map_full = 0;

/* Force the record types into BTF so the skeleton generates them. */
struct syscall_event _syscall_event = {};
struct exec_event _exec_event = {};
struct fork_event _fork_event = {};
struct exit_event _exit_event = {};
enum event_type _event_type = 0;
enum event_flags _event_flags = 0;
struct capture _capture = {};
enum capture_kind _capture_kind = 0;
enum capture_len _capture_len = 0;
enum capture_flags _capture_flags = 0;
enum capture_result _capture_result = 0;
enum capture_limits _capture_limits = 0;
enum exit_path _exit_path = 0;
enum task_cast _task_cast = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by the loader */
} events SEC(".maps");

/* Watched processes, by tgid. Children are added at fork, before they run.
 * Not preallocated: updates are rare, and preallocation costs start-up time. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u8);
} watched SEC(".maps");

struct inflight {
	__u64 ts_ns;
	__u64 args[AIF_SYSCALL_ARGS];
	__u32 nr;
	__u16 active; /* an entry waits for its exit */
	__u16 watched; /* task storage only: the process is known to be watched */
	__u32 envc; /* environment size of the last exec, for its execve record */
	__u32 entry_ok; /* bit k: entry_reads[nr][k] was read into ... */
	__u8 entry_mem[AIF_ENTRY_READS][AIF_ENTRY_READ_MAX];
};

/* Syscall entry state per thread, paired with the exit: task-local storage
 * (no hashing, freed with the task) ... */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight_task SEC(".maps");

/* ... or, on kernels without it, a hash by tid (shrunk to 1 entry when unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* exec records are large and variable: they are built here, then copied. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_event);
} exec_scratch SEC(".maps");

/* A syscall record with captured user memory is built here, then copied.
 * Captures start at offsets below CAPTURE_OFF_MASK + 1 (at most two slots
 * precede the last), and each fits in one slot. */
#define CAPTURE_SLOT (sizeof(struct capture) + AIF_CAPTURE_MAX)
#define CAPTURE_OFF_MASK 16383
struct capture_scratch {
	/* The record starts (AIF_SYSCALL_ARGS + 1 - nargs) * 8 bytes in, so
	 * that its last argument ends where `data` begins; `room` keeps even
	 * nargs = 7 (see call_nargs()) inside. */
	__u64 room;
	struct syscall_event e;
	__u8 data[CAPTURE_OFF_MASK + 1 + CAPTURE_SLOT];
	/* The state of the capture loops (bpf_loop callbacks), kept in map
	 * memory, whose contents the verifier does not track: a callback
	 * then converges at once. loop_off is an offset in `data` (or a
	 * count); loop_budget the bytes left to spread over iovec entries
	 * (readv, recvmsg; negative when they are whole), or flags. */
	__u64 loop_off;
	__s64 loop_budget;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capture_scratch);
} capture_scratch SEC(".maps");

/* bpf_rdonly_cast(obj, btf_id), once the loader has patched the call.
 * Declared as a kfunc, it would make libbpf parse the whole kernel BTF to
 * find it, which the per-boot cache exists to avoid (src/kernel/tp_btf.rs). */
static void *(*const task_cast)(const void *obj, __u32 btf_id) = (void *)TASK_CAST_CALL;

/* The current task, for reading its fields. Loading a pointer field through
 * the trusted pointer bpf_get_current_task_btf() returns makes recent
 * verifiers (6.12, 6.18; not 6.1) look up "task_struct__safe_trusted" and
 * three like names in the whole vmlinux BTF, about 150,000 types: up to
 * four linear searches per such load, 1-1.4 ms of start-up each here. The
 * same task cast read-only is untrusted: its pointers are followed with
 * the same fault-safe loads and no search. The cast compiles to a move. */
static __always_inline struct task_struct *task_reads(struct task_struct *task)
{
	__u32 id = task_struct_id;

	return id ? task_cast(task, id) : task;
}

/* Zeroed template for new hash entries (a global: no stack memset per call). */
static const struct inflight fresh_inflight;

/* The current thread's entry state; the tid is only needed by the hash. */
static __always_inline struct inflight *inflight_get(bool create)
{
	struct inflight *st;
	__u32 tid;

	if (use_task_btf) {
		struct task_struct *task = bpf_get_current_task_btf();

		/* A task with no task-local storage at all (most tasks on
		 * the machine) has no state to find: a field load tells,
		 * without the helper and its lock. */
		if (!create && !task_reads(task)->bpf_storage)
			return NULL;
		return bpf_task_storage_get(&inflight_task, task, 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	}
	tid = (__u32)bpf_get_current_pid_tgid();
	st = bpf_map_lookup_elem(&inflight, &tid);
	if (st || !create)
		return st;
	bpf_map_update_elem(&inflight, &tid, &fresh_inflight, BPF_NOEXIST);
	return bpf_map_lookup_elem(&inflight, &tid);
}

static __always_inline bool syscall_selected(__u64 nr)
{
	if (nr >= AIF_SYSCALL_BITS)
		return false;
	return syscall_filter[nr / 64] & (1ULL << (nr % 64));
}

static __always_inline bool tgid_watched(__u32 tgid)
{
	if (trace_all)
		return tgid != tracer_tgid;
	return bpf_map_lookup_elem(&watched, &tgid) != NULL;
}

static __always_inline void watch(__u32 tgid)
{
	__u8 one = 1;

	if (bpf_map_update_elem(&watched, &tgid, &one, BPF_ANY))
		__sync_fetch_and_add(&watch_map_full, 1);
}

/* Marks a new task as watched before it first runs (task storage only). */
static __always_inline void mark_watched(struct task_struct *task)
{
	struct inflight *st;

	if (!use_task_btf)
		return;
	st = bpf_task_storage_get(&inflight_task, task, 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (st)
		st->watched = 1;
	else
		__sync_fetch_and_add(&inflight_map_full, 1);
}

/* Takes the next sequence number and reserves a record for it; a failed
 * reservation is counted, and its number becomes a gap the consumer reports. */
static __always_inline void *reserve_event(__u64 size, __u64 *seq)
{
	void *e;

	*seq = __sync_fetch_and_add(&next_seq, 1);
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		count_lost_in(lost_events);
	return e;
}

static __always_inline __u64 ringbuf_flags(__u64 seq)
{
	/* No wakeup per event: the consumer drains on a short timer and is
	 * woken only when a backlog builds up. */
	if ((seq & 1023) == 0 &&
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* The header fields every record shares; the callers add the ids, ppid
 * and comm, each reading them its own way. */
static __always_inline void fill_header_common(struct event_header *hdr,
					       __u64 seq, __u16 type,
					       __u16 flags, __u64 ts)
{
	hdr->seq = seq;
	hdr->ts_ns = ts;
	hdr->type = type;
	hdr->flags = flags;
	hdr->cpu = bpf_get_smp_processor_id();
}

/* The header of the rare records (fork, exec, exit, calls that never
 * return): helpers and probe reads, which cost the verifier nothing. */
static __always_inline void fill_header(struct event_header *hdr, __u64 seq,
					__u16 type, __u16 flags, __u64 ts)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	fill_header_common(hdr, seq, type, flags, ts);
	hdr->pid = pid_tgid >> 32;
	hdr->tid = (__u32)pid_tgid;
	hdr->uid = (__u32)bpf_get_current_uid_gid();
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	/* task->comm is NUL-padded: one plain copy, cheaper than the
	 * strscpy + memset of bpf_get_current_comm(). */
	BPF_CORE_READ_INTO(&hdr->comm, task, comm);
}

/* The header of a syscall record, which every traced call pays for: direct
 * BTF reads instead of probe reads (about 12 ns less per event) and
 * instead of the id helpers (about 30 ns less). The ids are the ones
 * bpf_get_current_pid_tgid() and bpf_get_current_uid_gid() return: global
 * ids, and the uid as the initial user namespace sees it, which is itself.
 * A global function, so the verifier checks it once per program; the task
 * is read through task_reads(), which spares it the BTF searches. */
__noinline int fill_syscall_header(struct event_header *hdr, __u64 seq,
				   __u32 flags, __u64 ts)
{
	struct task_struct *task = task_reads(bpf_get_current_task_btf());

	if (!hdr)
		return 0;
	fill_header_common(hdr, seq, EVENT_SYSCALL, flags, ts);
	hdr->pid = task->tgid;
	hdr->tid = task->pid;
	hdr->uid = task->cred->uid.val;
	hdr->ppid = task->real_parent->tgid;
	__builtin_memcpy(hdr->comm, task->comm, sizeof(hdr->comm));
	return 0;
}

/* At most 7: a mask, not a test, so that the verifier follows one path
 * (the loader writes at most AIF_SYSCALL_ARGS; 7 would be a bad record). */
static __always_inline __u32 call_nargs(__u32 nr)
{
	return syscall_nargs[nr & (AIF_SYSCALL_BITS - 1)] & 7;
}

static __always_inline void emit_syscall(__u32 nr, const __u64 *args,
					 __u64 ts, __s64 ret, __u64 duration,
					 __u16 flags)
{
	__u32 n = call_nargs(nr);
	struct syscall_event *e;
	__u64 seq;

	/* A reservation's size must be a constant: one per arity. */
	switch (n) {
	case 0:
		e = reserve_event(SYSCALL_EVENT_SIZE(0), &seq);
		break;
	case 1:
		e = reserve_event(SYSCALL_EVENT_SIZE(1), &seq);
		break;
	case 2:
		e = reserve_event(SYSCALL_EVENT_SIZE(2), &seq);
		break;
	case 3:
		e = reserve_event(SYSCALL_EVENT_SIZE(3), &seq);
		break;
	case 4:
		e = reserve_event(SYSCALL_EVENT_SIZE(4), &seq);
		break;
	case 5:
		e = reserve_event(SYSCALL_EVENT_SIZE(5), &seq);
		break;
	default:
		e = reserve_event(SYSCALL_EVENT_SIZE(6), &seq);
		break;
	}
	if (!e)
		return;
	/* The calls that never return are rare: their records keep the probe
	 * reads, which spares the entry program the global function's cost
	 * at load (about 1 ms of verification). */
	if (flags & EVENT_F_NORETURN)
		fill_header(&e->hdr, seq, EVENT_SYSCALL, flags, ts);
	else
		fill_syscall_header(&e->hdr, seq, flags, ts);
	e->ret = ret;
	e->duration_ns = duration;
	e->nr = nr;
	e->nargs = n;
	for (int i = 0; i < AIF_SYSCALL_ARGS; i++)
		if (i < n)
			e->args[i] = args[i];
	bpf_ringbuf_submit(e, ringbuf_flags(seq));
}

/*
 * Captured user memory. Each put_*() appends one struct capture and its data
 * at `off` and returns the bytes used (padded to 8). The caller keeps `off`
 * at most two slots in, so the mask below never changes it; it only shows
 * the verifier the bound.
 */
/* `off` masked in a way the compiler cannot drop (it may know the bound;
 * the verifier, after a spill, may not). */
static __always_inline __u64 bound_off(__u64 off)
{
	barrier_var(off);
	return off & CAPTURE_OFF_MASK;
}

static __always_inline struct capture *capture_at(struct capture_scratch *s,
						  __u64 off, __u8 arg,
						  __u8 kind)
{
	struct capture *c = (void *)&s->data[bound_off(off)];

	c->arg = arg;
	c->kind = kind;
	c->flags = 0;
	c->len = 0;
	return c;
}

static __always_inline __u32 capture_used(const struct capture *c)
{
	return (sizeof(*c) + c->len + 7) & ~7U;
}

static __always_inline __u32 put_str(struct capture_scratch *s, __u64 off,
				     __u8 arg, __u8 kind, const void *ptr)
{
	struct capture *c = capture_at(s, off, arg, kind);
	__u8 *dst = &s->data[bound_off(off) + sizeof(*c)];
	long n;

	n = bpf_probe_read_user_str(dst, AIF_CAPTURE_MAX, ptr);
	if (n < 0) {
		c->flags = CAPR_FAULT;
		return capture_used(c);
	}
	if (n == AIF_CAPTURE_MAX)
		c->flags = CAPR_TRUNC;
	c->len = n;
	return capture_used(c);
}

/* Reads `len` bytes at `ptr` into `dst`, the data of capture `c`, cut at
 * `limit` (marked CAPR_TRUNC) and at `room`, the bound the verifier needs;
 * sets c's flags and length and returns the length. */
static __always_inline __u64 read_cut(struct capture *c, __u8 *dst,
				      const void *ptr, long len, __u64 limit,
				      __u64 room)
{
	/* 64-bit: a 32-bit copy would be re-extended, and older verifiers
	 * lose the bound between the copies. */
	__u64 n;

	if (len < 0) {
		c->flags = CAPR_FAULT;
		c->len = 0;
		return 0;
	}
	n = len;
	if (n > limit) {
		n = limit;
		c->flags = CAPR_TRUNC;
	}
	/* A bound the verifier can see (it cannot follow `limit`); the
	 * barrier keeps the compiler from dropping it as redundant. */
	barrier_var(n);
	if (n > room)
		n = room;
	if (n && bpf_probe_read_user(dst, n, ptr)) {
		c->flags = CAPR_FAULT;
		n = 0;
	}
	c->len = n;
	return n;
}

/* put_bytes()'s small arguments in one: a BPF function takes at most five. */
#define BYTES_META(arg, kind, limit) \
	((__u64)(arg) | (__u64)(kind) << 8 | (__u64)(limit) << 16)

/*
 * `len` bytes at `ptr` as capture `arg`/`kind` of BYTES_META, cut at its
 * `limit` (at most AIF_CAPTURE_MAX). A global function: the verifier checks
 * it once per program instead of at each of its callers, with every state
 * each one brings (it was most of the exit program's verification time).
 */
__noinline __u32 put_bytes(struct capture_scratch *s, __u64 off, __u64 meta,
			   __u64 ptr, long len)
{
	struct capture *c;

	if (!s)
		return 0;
	c = capture_at(s, off, meta & 0xff, (meta >> 8) & 0xff);
	read_cut(c, &s->data[bound_off(off) + sizeof(*c)], (const void *)ptr,
		 len, meta >> 16, AIF_CAPTURE_MAX);
	return capture_used(c);
}

static __always_inline __u32 put_u32(struct capture_scratch *s, __u64 off,
				     __u8 arg, __u8 kind, __u32 v, __u16 flags)
{
	struct capture *c = capture_at(s, off, arg, kind);

	*(__u32 *)&s->data[bound_off(off) + sizeof(*c)] = v;
	c->len = sizeof(v);
	c->flags = flags;
	return capture_used(c);
}

/* The inode number of the current task's descriptor `fd` (0: none). The
 * call that created it has just installed it; probe reads, as another
 * thread may close it meanwhile. */
static __always_inline __u64 fd_ino(int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || !fdt || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	return BPF_CORE_READ(f, f_inode, i_ino);
}

/* CAP_INO: the inode numbers of the descriptors a call created, the one it
 * returned or the two it wrote at `ptr`. */
static __always_inline __u32 put_ino(struct capture_scratch *s, __u64 off,
				     __u8 arg, bool returned, long ret,
				     const void *ptr)
{
	struct capture *c = capture_at(s, off, arg, CAP_INO);
	__u64 *dst = (void *)&s->data[bound_off(off) + sizeof(*c)];
	int fds[2] = { ret, -1 };

	if (!returned && bpf_probe_read_user(fds, sizeof(fds), ptr)) {
		c->flags = CAPR_FAULT;
		return capture_used(c);
	}
	dst[0] = fd_ino(fds[0]);
	c->len = sizeof(*dst);
	if (!returned) {
		dst[1] = fd_ino(fds[1]);
		c->len = 2 * sizeof(*dst);
	}
	return capture_used(c);
}

/* A NULL-terminated array of strings (execve argv): string i in the
 * AIF_STRV_STR_MAX bytes at i * AIF_STRV_STR_MAX, NUL-terminated (fixed
 * slots keep the verifier's view of the offsets simple). */
/* bpf_loop's context for put_strv(); the count and the flags live in the
 * scratch map (loop_off, loop_budget). */
struct strv_loop {
	struct capture_scratch *s;
	const void *ptr;
	__u8 *dst;
};

static long strv_entry(__u32 i, struct strv_loop *c)
{
	__u32 k = i & (AIF_STRV_MAX - 1);
	const char *str;
	long n;

	if (bpf_probe_read_user(&str, sizeof(str), c->ptr + k * sizeof(str))) {
		c->s->loop_budget |= CAPR_FAULT;
		return 1;
	}
	if (!str)
		return 1;
	n = bpf_probe_read_user_str(c->dst + k * AIF_STRV_STR_MAX,
				    AIF_STRV_STR_MAX, str);
	if (n <= 0) {
		c->s->loop_budget |= CAPR_FAULT;
		return 1;
	}
	if (n == AIF_STRV_STR_MAX)
		c->s->loop_budget |= CAPR_TRUNC;
	c->s->loop_off = k + 1;
	return 0;
}

static __always_inline __u32 put_strv(struct capture_scratch *s, __u64 off,
				      __u8 arg, const void *ptr)
{
	struct capture *c = capture_at(s, off, arg, CAP_STRV);
	__u8 *dst = &s->data[bound_off(off) + sizeof(*c)];
	int i;

	if (have_bpf_loop) {
		struct strv_loop l = { .s = s, .ptr = ptr, .dst = dst };

		s->loop_off = 0;
		s->loop_budget = 0;
		bpf_loop(AIF_STRV_MAX, strv_entry, &l, 0);
		i = s->loop_off & (2 * AIF_STRV_MAX - 1);
		c->flags = s->loop_budget;
		if (i == AIF_STRV_MAX)
			c->flags |= CAPR_TRUNC;
		c->len = i * AIF_STRV_STR_MAX;
		return capture_used(c);
	}
	for (i = 0; i < AIF_STRV_MAX; i++) {
		const char *str;
		long n;

		if (bpf_probe_read_user(&str, sizeof(str), ptr + i * sizeof(str))) {
			c->flags |= CAPR_FAULT;
			break;
		}
		if (!str)
			break;
		n = bpf_probe_read_user_str(dst + i * AIF_STRV_STR_MAX,
					    AIF_STRV_STR_MAX, str);
		if (n <= 0) {
			c->flags |= CAPR_FAULT;
			break;
		}
		if (n == AIF_STRV_STR_MAX)
			c->flags |= CAPR_TRUNC;
	}
	if (i == AIF_STRV_MAX)
		c->flags |= CAPR_TRUNC;
	c->len = i * AIF_STRV_STR_MAX;
	return capture_used(c);
}

/* How many entries a NULL-terminated pointer array has (execve envp): in
 * a bpf_loop callback, else eight pointers at a time (a loop the verifier
 * walks 32 times, not 256; a block that cannot be read whole, the array
 * ending just before an unmapped page, is read one pointer at a time). */
#define COUNT_BLOCK 8
struct count_loop {
	struct capture_scratch *s;
	const void *ptr;
};

static long count_entry(__u32 i, struct count_loop *c)
{
	const void *p;

	if (bpf_probe_read_user(&p, sizeof(p), c->ptr + (__u64)i * sizeof(p))) {
		c->s->loop_budget = CAPR_FAULT;
		return 1;
	}
	if (!p) {
		c->s->loop_budget = 0;
		return 1;
	}
	c->s->loop_off = i + 1;
	return 0;
}

static __always_inline __u32 put_count(struct capture_scratch *s, __u64 off,
				       __u8 arg, const void *ptr)
{
	const void *p[COUNT_BLOCK];
	__u16 flags = CAPR_TRUNC;
	__u32 n = 0;
	int i, j;

	if (have_bpf_loop) {
		struct count_loop l = { .s = s, .ptr = ptr };

		s->loop_off = 0;
		s->loop_budget = CAPR_TRUNC;
		bpf_loop(AIF_COUNT_MAX, count_entry, &l, 0);
		return put_u32(s, off, arg, CAP_COUNT, s->loop_off, s->loop_budget);
	}

	for (i = 0; i < AIF_COUNT_MAX / COUNT_BLOCK; i++) {
		if (bpf_probe_read_user(p, sizeof(p), ptr + i * sizeof(p))) {
			for (j = 0; j < COUNT_BLOCK; j++) {
				if (bpf_probe_read_user(&p[0], sizeof(p[0]),
							ptr + (i * COUNT_BLOCK + j) * sizeof(p[0])) ||
				    !p[0])
					break;
			}
			n = i * COUNT_BLOCK + j;
			flags = j < COUNT_BLOCK && !p[0] ? 0 : CAPR_FAULT;
			break;
		}
		for (j = 0; j < COUNT_BLOCK; j++)
			if (!p[j])
				break;
		n = i * COUNT_BLOCK + j;
		if (j < COUNT_BLOCK) {
			flags = 0;
			break;
		}
	}
	return put_u32(s, off, arg, CAP_COUNT, n, flags);
}

/* After a successful execve the caller's memory is gone: the new image's
 * stack holds the path (just above the environment) and the argv block. */
static __always_inline __u32 put_exec(struct capture_scratch *s, __u64 off,
				      const struct inflight *st)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	unsigned long arg_start, arg_end, env_end;
	__u32 used;

	env_end = BPF_CORE_READ(task, mm, env_end);
	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	used = put_str(s, off, 0, CAP_EXEC, (const void *)env_end);
	used += put_bytes(s, off + used,
			  BYTES_META(1, CAP_EXEC, AIF_CAPTURE_MAX),
			  arg_start,
			  arg_end > arg_start ? arg_end - arg_start : 0);
	used += put_u32(s, off + used, 2, CAP_EXEC, st->envc, 0);
	return used;
}

/* The length a CAP_BUF capture asks for. */
static __always_inline long capture_len(const struct capture_spec *spec,
					const struct inflight *st, long ret)
{
	int n;

	long len;

	if (spec->len_arg == CAP_LEN_RET) {
		len = ret;
	} else if (spec->len_arg == CAP_LEN_PTR) {
		if (spec->len_ptr_arg >= AIF_SYSCALL_ARGS ||
		    bpf_probe_read_user(&n, sizeof(n),
					(void *)st->args[spec->len_ptr_arg & 7]))
			return -1;
		len = n;
	} else if (spec->len_arg < AIF_SYSCALL_ARGS) {
		len = st->args[spec->len_arg & 7];
	} else {
		return -1;
	}
	if ((spec->flags & CAP_F_NODE_BITS) && len > 0) {
		if (len > AIF_CAPTURE_MAX * 8)
			len = AIF_CAPTURE_MAX * 8;
		return (len + 62) / 64 * 8;
	}
	/* Element counts: a bound first, so the product cannot wrap. */
	if (spec->len_mul > 1 && len > 0) {
		if (len > AIF_CAPTURE_MAX)
			len = AIF_CAPTURE_MAX;
		len *= spec->len_mul;
	}
	return len;
}

/* The execve family: after success the new image's path, argv and
 * environment size; after a failure the same from the caller's memory
 * (`arg` is the path's argument; argv and envp follow it). Kept apart from
 * capture_args(): its loops would multiply the verifier's work there. */
static __always_inline __u64 capture_exec_call(struct capture_scratch *s,
					       const struct inflight *st,
					       __s64 ret, __u8 arg)
{
	__u64 off;

	if (ret >= 0)
		return put_exec(s, 0, st);
	arg &= 3;
	off = put_str(s, 0, arg, CAP_STR, (const void *)st->args[arg]);
	off += put_strv(s, off, arg + 1, (const void *)st->args[arg + 1]);
	/* One verifier state for every way put_strv() ended (as in capture_args()). */
	off = bound_off(off);
	off += put_count(s, off, arg + 2, (const void *)st->args[arg + 2]);
	return off;
}

/* The plan's capture `i` for `nr`, appended at s->loop_off (kept in map
 * memory: see struct capture_scratch). Returns 1 when the plan ends. */
static __always_inline int capture_one(struct capture_scratch *s,
				       const struct inflight *st, __s64 ret,
				       __u32 nr, __u32 i)
{
	struct capture_spec spec = capture_plan[nr & (AIF_SYSCALL_BITS - 1)]
					       [i & (AIF_CAPTURES - 1)];
	__u64 off = bound_off(s->loop_off);
	const void *ptr;
	__u32 limit;
	long len;

	if (spec.kind == CAP_NONE || spec.arg >= AIF_SYSCALL_ARGS)
		return 1;
	if ((spec.flags & CAP_F_OK) && ret < 0)
		return 0;
	if ((spec.flags & CAP_F_ERR) && ret >= 0)
		return 0;
	if (off > 2 * CAPTURE_SLOT)
		return 1;
	/* `& 7`: the check above may be on another copy of the byte. */
	ptr = (const void *)st->args[spec.arg & 7];
	if (spec.kind == CAP_STR) {
		s->loop_off = off + put_str(s, off, spec.arg, CAP_STR, ptr);
		return 0;
	}
	if (spec.kind == CAP_INO) {
		s->loop_off = off + put_ino(s, off, spec.arg,
					    spec.len_arg == CAP_LEN_RET, ret,
					    ptr);
		return 0;
	}
	/* CAP_BUF and CAP_FIXED share one put_bytes() call: each call is
	 * more for the verifier to walk. */
	if (spec.kind == CAP_FIXED) {
		len = spec.size;
		limit = AIF_CAPTURE_MAX;
		ptr += spec.skip;
	} else {
		len = capture_len(&spec, st, ret);
		limit = spec.flags & CAP_F_LIMIT ? string_limit : AIF_CAPTURE_MAX;
		if (spec.size && spec.size < limit)
			limit = spec.size;
	}
	s->loop_off = off + put_bytes(s, off,
				      BYTES_META(spec.arg, spec.kind, limit),
				      (__u64)ptr, len);
	return 0;
}

/* bpf_loop's context for the plan's captures. */
struct args_loop {
	struct capture_scratch *s;
	const struct inflight *st;
	__s64 ret;
	__u32 nr;
};

static long args_entry(__u32 i, struct args_loop *c)
{
	return capture_one(c->s, c->st, c->ret, c->nr, i);
}

/* Strings, buffers and structs, as the plan for `nr` lists them. With
 * bpf_loop the verifier checks one capture once; without, four times. */
static __always_inline __u64 capture_args(struct capture_scratch *s,
					  const struct inflight *st,
					  __s64 ret, __u32 nr)
{
	struct args_loop c = { .s = s, .st = st, .ret = ret, .nr = nr };

	s->loop_off = 0;
	if (have_bpf_loop) {
		bpf_loop(capture_count[nr & (AIF_SYSCALL_BITS - 1)], args_entry,
			 &c, 0);
	} else {
		for (int i = 0; i < AIF_CAPTURES; i++)
			if (capture_one(s, st, ret, nr, i))
				break;
	}
	return bound_off(s->loop_off);
}

/* struct iovec as user space passes it. */
struct iovec_user {
	const void *base;
	__u64 len;
};

/* bpf_loop's context for the loop over iovec entries. */
struct iov_loop {
	struct capture_scratch *s;
	const void *iov;
};

static long iov_entry(__u32 k, struct iov_loop *c)
{
	struct capture_scratch *s = c->s;
	__u64 off = bound_off(s->loop_off);
	__s64 budget = s->loop_budget;
	struct iovec_user v;
	long len;

	if (off > 2 * CAPTURE_SLOT ||
	    bpf_probe_read_user(&v, sizeof(v), c->iov + k * sizeof(v)))
		return 1;
	len = v.len > AIF_CAPTURE_MAX ? AIF_CAPTURE_MAX : v.len;
	if (budget >= 0) {
		if (len > budget)
			len = budget;
		s->loop_budget = budget - len;
	}
	s->loop_off = off + put_bytes(s, off,
				      BYTES_META(k, CAP_IOV_DATA, string_limit),
				      (__u64)v.base, len);
	return 0;
}

/* An iovec array (its first AIF_IOV_MAX entries) and, with bpf_loop, the
 * data of each entry cut at the string limit. */
static __always_inline __u64 put_iov(struct capture_scratch *s, __u64 off,
				     __u8 arg, const void *iov, __u64 cnt,
				     __s64 budget)
{
	struct iov_loop c = { .s = s, .iov = iov };

	/* One entry more than fits when there are more: marked truncated. */
	off += put_bytes(s, off,
			 BYTES_META(arg, CAP_IOV,
				    AIF_IOV_MAX * sizeof(struct iovec_user)),
			 (__u64)iov,
			 (cnt > AIF_IOV_MAX ? AIF_IOV_MAX + 1 : cnt) *
				 sizeof(struct iovec_user));
	if (!have_bpf_loop)
		return off;
	s->loop_off = off;
	s->loop_budget = budget;
	bpf_loop(cnt > AIF_IOV_MAX ? AIF_IOV_MAX : cnt, iov_entry, &c, 0);
	return bound_off(s->loop_off);
}

/* readv/writev and friends. */
static __always_inline __u64 capture_iov_call(struct capture_scratch *s,
					      const struct inflight *st,
					      __s64 ret,
					      const struct capture_spec *spec)
{
	if ((spec->flags & CAP_F_OK) && ret < 0)
		return 0;
	return put_iov(s, 0, spec->arg, (const void *)st->args[spec->arg & 7],
		       st->args[spec->len_arg & 7],
		       spec->flags & CAP_F_OK ? ret : -1);
}

/* struct user_msghdr, as sendmsg/recvmsg take it. */
struct msghdr_user {
	const void *name;
	int namelen;
	int __pad;
	const void *iov;
	__u64 iovlen;
	const void *control;
	__u64 controllen;
	unsigned int flags;
};

static __always_inline __u64 capture_msg_call(struct capture_scratch *s,
					      const struct inflight *st,
					      __s64 ret,
					      const struct capture_spec *spec)
{
	const void *ptr = (const void *)st->args[spec->arg & 7];
	struct msghdr_user m;
	__u64 off;

	if (((spec->flags & CAP_F_OK) && ret < 0) ||
	    bpf_probe_read_user(&m, sizeof(m), ptr))
		return 0;
	off = put_bytes(s, 0, BYTES_META(spec->arg, CAP_MSG, sizeof(m)), (__u64)ptr,
			sizeof(m));
	if (m.name && m.namelen > 0)
		off += put_bytes(s, off,
				 BYTES_META(spec->arg, CAP_MSG_NAME, 128),
				 (__u64)m.name, m.namelen);
	return put_iov(s, off, spec->arg, m.iov, m.iovlen,
		       spec->flags & CAP_F_OK ? ret : -1);
}

/* bpf_loop's context for counting getdents64 entries; the position and
 * the count live in the scratch map (see struct capture_scratch). */
struct dirents_loop {
	struct capture_scratch *s;
	const void *buf;
	__u64 end;
};

static long dirent_entry(__u32 i, struct dirents_loop *c)
{
	struct capture_scratch *s = c->s;
	__u64 pos = s->loop_off;
	__u16 reclen;

	/* struct linux_dirent64: d_ino, d_off, then d_reclen at 16. */
	if (pos + 19 > c->end ||
	    bpf_probe_read_user(&reclen, sizeof(reclen), c->buf + pos + 16) ||
	    !reclen)
		return 1;
	s->loop_off = pos + reclen;
	s->loop_budget++;
	return 0;
}

static __always_inline __u64 capture_dirents_call(struct capture_scratch *s,
						  const struct inflight *st,
						  __s64 ret,
						  const struct capture_spec *spec)
{
	const void *buf = (const void *)st->args[spec->arg & 7];
	struct dirents_loop c = { .s = s, .buf = buf, .end = ret };

	if (ret <= 0)
		return 0;
	if (!have_bpf_loop)
		return put_bytes(s, 0,
				 BYTES_META(spec->arg, CAP_BUF, AIF_CAPTURE_MAX),
				 (__u64)buf, ret);
	s->loop_off = 0;
	s->loop_budget = 0;
	bpf_loop(AIF_DIRENTS_MAX, dirent_entry, &c, 0);
	return put_u32(s, 0, spec->arg, CAP_DIRENTS, s->loop_budget,
		       s->loop_off < ret ? CAPR_TRUNC : 0);
}

/* Bytes of an entry read, within its slot (0: the reads have ended). */
static __always_inline __u32 entry_size(const struct entry_read_spec *spec)
{
	return spec->size > AIF_ENTRY_READ_MAX ? AIF_ENTRY_READ_MAX : spec->size;
}

/* entry_reads[nr] into st->entry_mem, at the call's entry. */
static __always_inline void read_entry(struct inflight *st, __u32 nr,
				       __u64 sp)
{
	__u32 ok = 0;

	for (int k = 0; k < AIF_ENTRY_READS; k++) {
		struct entry_read_spec spec =
			entry_reads[nr & (AIF_SYSCALL_BITS - 1)][k];
		__u32 size = entry_size(&spec);
		const void *ptr;

		if (!size)
			break;
		ptr = (const void *)(spec.arg == AIF_ENTRY_ARG_SP ?
					     sp : st->args[spec.arg & 7]);
		if (ptr && !bpf_probe_read_user(st->entry_mem[k], size,
						ptr + spec.skip))
			ok |= 1U << k;
	}
	st->entry_ok = ok;
}

/* What read_entry() found, one CAP_ENTRY capture per read (CAPR_FAULT and
 * no data where it found nothing). The values decide the lengths and flags,
 * not branches, so the verifier walks one path per number of reads. */
static __always_inline __u64 put_entry(struct capture_scratch *s, __u64 off,
				       const struct inflight *st, __u32 nr)
{
	for (int k = 0; k < AIF_ENTRY_READS; k++) {
		struct entry_read_spec spec =
			entry_reads[nr & (AIF_SYSCALL_BITS - 1)][k];
		__u32 ok = (st->entry_ok >> k) & 1;
		struct capture *c;

		if (!spec.size || off > 2 * CAPTURE_SLOT)
			break;
		c = capture_at(s, off, spec.arg, CAP_ENTRY);
		__builtin_memcpy(&s->data[bound_off(off) + sizeof(*c)],
				 st->entry_mem[k], AIF_ENTRY_READ_MAX);
		c->len = ok * entry_size(&spec);
		c->flags = (ok ^ 1) * CAPR_FAULT;
		off += capture_used(c);
	}
	return off;
}

/* One syscall record with the user memory its plan asks for. */
static __always_inline void emit_captured(const struct inflight *st, __s64 ret,
					  __u64 duration)
{
	struct capture_scratch *s;
	struct syscall_event *e;
	struct capture_spec first;
	__u32 zero = 0, nr = st->nr, n = call_nargs(nr);
	__u64 seq, size, off = 0;

	s = bpf_map_lookup_elem(&capture_scratch, &zero);
	if (!s || nr >= AIF_SYSCALL_BITS)
		return;
	e = (void *)s + (AIF_SYSCALL_ARGS + 1 - n) * sizeof(__u64);
	seq = __sync_fetch_and_add(&next_seq, 1);
	fill_syscall_header(&e->hdr, seq, EVENT_F_CAPTURES, st->ts_ns);
	e->ret = ret;
	e->duration_ns = duration;
	e->nr = nr;
	e->nargs = n;
	/* All six, without a test on n: the verifier would check the rest of
	 * the program once per value of n. The ones past n land in `data`,
	 * where the captures overwrite them or the record has ended. */
	for (int i = 0; i < AIF_SYSCALL_ARGS; i++)
		e->args[i] = st->args[i];

	first = capture_plan[nr][0];
	if (first.kind == CAP_EXEC)
		off = capture_exec_call(s, st, ret, first.arg);
	else if (first.kind == CAP_IOV)
		off = capture_iov_call(s, st, ret, &first);
	else if (first.kind == CAP_MSG)
		off = capture_msg_call(s, st, ret, &first);
	else if (first.kind == CAP_DIRENTS)
		off = capture_dirents_call(s, st, ret, &first);
	else
		off = capture_args(s, st, ret, nr);
	if (entry_reads[nr][0].size)
		off = put_entry(s, off, st, nr);
	size = SYSCALL_EVENT_SIZE(n) + off;
	if (size > sizeof(s->data))
		size = sizeof(s->data);
	if (bpf_ringbuf_output(&events, e, size, ringbuf_flags(seq)))
		count_lost_in(lost_events);
}

/* The room for data in an EXIT_ONE_BUFFER record: the string limit
 * rounded up to 8 (the loader sends only limits up to AIF_ONE_BUFFER_MAX
 * there). A constant for the verifier: .rodata is frozen before load. */
static __always_inline __u64 one_buffer_room(void)
{
	__u64 limit = string_limit;

	if (limit > AIF_ONE_BUFFER_MAX)
		limit = AIF_ONE_BUFFER_MAX;
	return (limit + 7) & ~7ULL;
}

/* The EXIT_ONE_BUFFER record of a call taking `n` arguments (a constant in
 * each caller: the reservation's size must be one, and the verifier then
 * knows where the capture lands). What the buffer leaves of the room is
 * one CAP_NONE capture, which the decoder ignores. */
static __always_inline void one_buffer_record(const struct inflight *st,
					      __s64 ret, __u64 duration,
					      __u32 n)
{
	struct capture_spec spec = capture_plan[st->nr & (AIF_SYSCALL_BITS - 1)][0];
	__u64 room = one_buffer_room(), used, seq;
	struct syscall_event *e;
	struct capture *c;
	__u8 *data;

	e = reserve_event(SYSCALL_EVENT_SIZE(n) + sizeof(*c) + room, &seq);
	if (!e)
		return;
	c = (void *)e + SYSCALL_EVENT_SIZE(n);
	data = (void *)(c + 1);
	fill_syscall_header(&e->hdr, seq, EVENT_F_CAPTURES, st->ts_ns);
	e->ret = ret;
	e->duration_ns = duration;
	e->nr = st->nr;
	e->nargs = n;
	for (int i = 0; i < n; i++)
		e->args[i] = st->args[i];
	c->arg = spec.arg;
	c->flags = 0;
	if ((spec.flags & CAP_F_OK) && ret < 0) {
		/* Nothing to show: the room is all padding. */
		c->kind = CAP_NONE;
		c->len = room;
		goto submit;
	}
	c->kind = CAP_BUF;
	used = read_cut(c, data, (const void *)st->args[spec.arg & 7],
			capture_len(&spec, st, ret), string_limit, room);
	used = (used + 7) & ~7ULL;
	/* A test on `used` itself: older verifiers do not carry a bound
	 * found on a sum back to its terms. */
	if (room >= sizeof(*c) && used <= room - sizeof(*c)) {
		c = (void *)(data + used);
		c->arg = 0;
		c->kind = CAP_NONE;
		c->flags = 0;
		c->len = room - used - sizeof(*c);
	}
submit:
	bpf_ringbuf_submit(e, ringbuf_flags(seq));
}

/* A call whose plan is one buffer (EXIT_ONE_BUFFER): reserved and written
 * in place, without the scratch copy and the plan's loop. Each arity is
 * one more copy for the verifier: the loader marks only read and write's
 * (3) and pread64 and pwrite64's (4) (table::one_buffer). */
static __always_inline void emit_one_buffer(const struct inflight *st,
					    __s64 ret, __u64 duration)
{
	if (call_nargs(st->nr) == AIF_ONE_BUFFER_ARGS_MIN)
		one_buffer_record(st, ret, duration, AIF_ONE_BUFFER_ARGS_MIN);
	else
		one_buffer_record(st, ret, duration, AIF_ONE_BUFFER_ARGS_MAX);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct inflight *st;

	if (!syscall_selected(id))
		return 0;
	/* Fast path: a thread already seen in a watched process. */
	st = use_task_btf ? inflight_get(false) : NULL;
	if (!st || !st->watched) {
		if (storage_marks_watched ||
		    !tgid_watched(bpf_get_current_pid_tgid() >> 32))
			return 0;
		st = NULL;
	}

	if (id == nr_exit || id == nr_exit_group) {
		__u64 args[AIF_SYSCALL_ARGS] = {
			SYSCALL_ARG1(regs), SYSCALL_ARG2(regs),
			SYSCALL_ARG3(regs), SYSCALL_ARG4(regs),
			SYSCALL_ARG5(regs), SYSCALL_ARG6(regs),
		};

		emit_syscall(id, args, bpf_ktime_get_boot_ns(), 0, 0,
			     EVENT_F_NORETURN);
		return 0;
	}

	if (!st) {
		st = inflight_get(true);
		if (!st) {
			__sync_fetch_and_add(&inflight_map_full, 1);
			return 0;
		}
		st->watched = 1;
	}
	st->nr = id;
	st->args[0] = SYSCALL_ARG1(regs);
	st->args[1] = SYSCALL_ARG2(regs);
	st->args[2] = SYSCALL_ARG3(regs);
	st->args[3] = SYSCALL_ARG4(regs);
	st->args[4] = SYSCALL_ARG5(regs);
	st->args[5] = SYSCALL_ARG6(regs);
	/* Memory the call may rewrite: read now, shown beside its new value. */
	if (capture_enabled && id < AIF_SYSCALL_BITS && entry_reads[id][0].size)
		read_entry(st, id, SYSCALL_SP(regs));
	st->active = 1;
	/* Last, so the clock read is as close to the call as possible. */
	st->ts_ns = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	struct inflight *st;
	__u64 now;
	__u8 path;

	__u64 nr = SYSCALL_NR(regs);

	/* After a successful execve the number still reads execve; after
	 * rt_sigreturn it reads -1 (the restored frame): the entry state
	 * knows what it was. */
	if (nr < AIF_SYSCALL_BITS && !syscall_selected(nr))
		return 0;
	st = inflight_get(false);
	if (!st || !st->active)
		return 0;
	now = bpf_ktime_get_boot_ns();
	st->active = 0;
	path = st->nr < AIF_SYSCALL_BITS ? exit_path[st->nr] : EXIT_PLAIN;
	if (path == EXIT_ONE_BUFFER)
		emit_one_buffer(st, ret, now - st->ts_ns);
	else if (path != EXIT_PLAIN)
		emit_captured(st, ret, now - st->ts_ns);
	else
		emit_syscall(st->nr, st->args, st->ts_ns, ret, now - st->ts_ns, 0);
	return 0;
}

static __always_inline void emit_fork(struct task_struct *child, __u16 flags)
{
	struct fork_event *e;
	__u64 seq;

	e = reserve_event(sizeof(*e), &seq);
	if (!e)
		return;
	fill_header(&e->hdr, seq, EVENT_FORK, flags, bpf_ktime_get_boot_ns());
	e->child_pid = child->tgid;
	e->child_tid = child->pid;
	bpf_ringbuf_submit(e, ringbuf_flags(seq));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;

	if (ctgid == ptgid) {
		if (tgid_watched(ptgid)) {
			mark_watched(child);
			emit_fork(child, EVENT_F_THREAD);
		}
		return 0;
	}
	if (!tgid_watched(ptgid))
		return 0;
	/* A forked child keeps its parent's name, so --comm follows it too. */
	if (!trace_all && (follow_children || comm_mode)) {
		watch(ctgid);
		mark_watched(child);
	}
	emit_fork(child, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	__u32 tgid = p->tgid, tid = p->pid, zero = 0;
	unsigned long arg_start, arg_end, len;
	struct exec_event *e;
	struct inflight *st;
	long n;

	if (comm_mode && !trace_all) {
		if (comm_equal(p->comm, comm_filter)) {
			watch(tgid);
			mark_watched(p);
		} else if (!follow_children) {
			bpf_map_delete_elem(&watched, &tgid);
			if (use_task_btf) {
				st = inflight_get(false);
				if (st)
					st->watched = 0;
			}
			return 0;
		}
	}
	if (!tgid_watched(tgid))
		return 0;

	/* A non-leader thread that execs takes over the leader's tid: move
	 * its pending execve so the exit pairs with it (task storage follows
	 * the task by itself). */
	if (!use_task_btf && (__u32)old_pid != tid) {
		__u32 old = old_pid;

		st = bpf_map_lookup_elem(&inflight, &old);
		if (st) {
			bpf_map_update_elem(&inflight, &tid, st, BPF_ANY);
			bpf_map_delete_elem(&inflight, &old);
		}
	}

	/* The execve record shows the environment's size, as strace does. */
	if (capture_enabled) {
		st = inflight_get(false);
		if (st)
			st->envc = BPF_CORE_READ(bprm, envc);
	}

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	e->hdr.flags = 0;
	e->old_tid = old_pid;

	n = bpf_probe_read_kernel_str(e->data, AIF_EXEC_FILENAME_MAX,
				      BPF_CORE_READ(bprm, filename));
	if (n < 0)
		n = 0;
	if (n == AIF_EXEC_FILENAME_MAX)
		e->hdr.flags |= EVENT_F_FILENAME_TRUNC;
	e->filename_len = n;

	arg_start = BPF_CORE_READ(p, mm, arg_start);
	arg_end = BPF_CORE_READ(p, mm, arg_end);
	len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (len > AIF_EXEC_ARGV_MAX) {
		len = AIF_EXEC_ARGV_MAX;
		e->hdr.flags |= EVENT_F_ARGV_TRUNC;
	}
	/* Both bounds again, in a form the verifier can follow. */
	if (n > AIF_EXEC_FILENAME_MAX)
		n = AIF_EXEC_FILENAME_MAX;
	if (len > AIF_EXEC_ARGV_MAX)
		len = AIF_EXEC_ARGV_MAX;
	if (len && bpf_probe_read_user(e->data + n, len, (void *)arg_start)) {
		e->hdr.flags |= EVENT_F_ARGV_FAULT;
		len = 0;
	}
	e->argv_len = len;

	{
		__u64 seq = __sync_fetch_and_add(&next_seq, 1);
		__u64 size = offsetof(struct exec_event, data) + n + len;
		__u16 flags = e->hdr.flags;

		fill_header(&e->hdr, seq, EVENT_EXEC, flags,
			    bpf_ktime_get_boot_ns());
		if (size > sizeof(*e))
			size = sizeof(*e);
		if (bpf_ringbuf_output(&events, e, size, ringbuf_flags(seq)))
			count_lost_in(lost_events);
	}
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_exit, struct task_struct *task)
{
	__u32 tgid = task->tgid, tid = task->pid;
	struct exit_event *e;
	__u64 seq;

	if (!use_task_btf)
		bpf_map_delete_elem(&inflight, &tid);
	if (!tgid_watched(tgid))
		return 0;
	/* Only the last thread of the process reports the exit. */
	if (!process_group_dead(task))
		return 0;
	bpf_map_delete_elem(&watched, &tgid);

	e = reserve_event(sizeof(*e), &seq);
	if (!e)
		return 0;
	fill_header(&e->hdr, seq, EVENT_EXIT, 0, bpf_ktime_get_boot_ns());
	e->exit_code = task->exit_code;
	e->__pad = 0;
	/* Exits end a trace: let the consumer see them promptly. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
