// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capture: follow the watched processes through fork/exec/exit and emit one
 * record per completed syscall into a single ring buffer.
 *
 * Hot path (every syscall on the machine): one rodata bit test, one hash
 * lookup. Only watched threads pay for the in-flight record and the event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "core_fixes.bpf.h"

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

/* Zeroed template for new hash entries (a global: no stack memset per call). */
static const struct inflight fresh_inflight;

/* The current thread's entry state; the tid is only needed by the hash. */
static __always_inline struct inflight *inflight_get(bool create)
{
	struct inflight *st;
	__u32 tid;

	if (use_task_btf)
		return bpf_task_storage_get(&inflight_task, bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
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

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < AIF_TASK_COMM_LEN; i++) {
		if (comm[i] != comm_filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
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

static __always_inline void count_lost(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	__sync_fetch_and_add(&lost_events[cpu & (AIF_MAX_CPUS - 1)], 1);
}

/* Takes the next sequence number and reserves a record for it; a failed
 * reservation is counted, and its number becomes a gap the consumer reports. */
static __always_inline void *reserve_event(__u64 size, __u64 *seq)
{
	void *e;

	*seq = __sync_fetch_and_add(&next_seq, 1);
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		count_lost();
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

static __always_inline void fill_header(struct event_header *hdr, __u64 seq,
					__u16 type, __u16 flags, __u64 ts)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	hdr->seq = seq;
	hdr->ts_ns = ts;
	hdr->pid = pid_tgid >> 32;
	hdr->tid = (__u32)pid_tgid;
	/* Helpers and probe reads, not direct BTF pointer walks: on recent
	 * kernels the verifier resolves every trusted walk by name through the
	 * whole vmlinux BTF, which made loading several times slower. */
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	hdr->uid = (__u32)bpf_get_current_uid_gid();
	/* task->comm is NUL-padded: one plain copy, cheaper than the
	 * strscpy + memset of bpf_get_current_comm(). */
	BPF_CORE_READ_INTO(&hdr->comm, task, comm);
	hdr->type = type;
	hdr->flags = flags;
	hdr->cpu = bpf_get_smp_processor_id();
}

static __always_inline void emit_syscall(__u32 nr, const __u64 *args,
					 __u64 ts, __s64 ret, __u64 duration,
					 __u16 flags)
{
	struct syscall_event *e;
	__u64 seq;

	e = reserve_event(sizeof(*e), &seq);
	if (!e)
		return;
	fill_header(&e->hdr, seq, EVENT_SYSCALL, flags, ts);
	e->ret = ret;
	e->duration_ns = duration;
	e->nr = nr;
	e->__pad = 0;
	for (int i = 0; i < AIF_SYSCALL_ARGS; i++)
		e->args[i] = args[i];
	bpf_ringbuf_submit(e, ringbuf_flags(seq));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	struct inflight *st;
	__u64 pid_tgid;

	if (!syscall_selected(id))
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	/* Fast path: a thread already seen in a watched process. */
	st = use_task_btf ? inflight_get(false) : NULL;
	if (!st || !st->watched) {
		if (storage_marks_watched || !tgid_watched(pid_tgid >> 32))
			return 0;
		st = NULL;
	}

	if (id == nr_exit || id == nr_exit_group) {
		__u64 args[AIF_SYSCALL_ARGS] = {
			PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM2_SYSCALL(regs),
			PT_REGS_PARM3_SYSCALL(regs), PT_REGS_PARM4_SYSCALL(regs),
			PT_REGS_PARM5_SYSCALL(regs), PT_REGS_PARM6_SYSCALL(regs),
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
	st->args[0] = PT_REGS_PARM1_SYSCALL(regs);
	st->args[1] = PT_REGS_PARM2_SYSCALL(regs);
	st->args[2] = PT_REGS_PARM3_SYSCALL(regs);
	st->args[3] = PT_REGS_PARM4_SYSCALL(regs);
	st->args[4] = PT_REGS_PARM5_SYSCALL(regs);
	st->args[5] = PT_REGS_PARM6_SYSCALL(regs);
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

	/* After a successful execve the number still reads execve. */
	if (!syscall_selected(SYSCALL_NR(regs)))
		return 0;
	st = inflight_get(false);
	if (!st || !st->active)
		return 0;
	now = bpf_ktime_get_boot_ns();
	st->active = 0;
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
		if (comm_matches(p->comm)) {
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
			count_lost();
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
