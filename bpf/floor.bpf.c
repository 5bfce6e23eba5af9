// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Benchmark floors, on the same syscall tracepoints as the tracer.
 *
 * By default the programs do nothing: what they cost is the price of having
 * a syscall tracepoint enabled at all. With `minimal_record` they do the
 * least any tracer must do to report each call of the watched tasks with its
 * duration: find the task's state, read the clock at entry and at exit, and
 * put one small record in a ring buffer. No identity, no sequence number, no
 * arguments: a lower bound for capture, not a tracer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile bool minimal_record = false;

__u64 records_lost = 0;

struct floor_task {
	__u64 ts_ns;
	__u32 nr;
	__u32 watched;
};

/* What a minimal record holds; user space only counts them. */
struct floor_record {
	__u64 ts_ns;
	__u64 duration_ns;
	__s64 ret;
	__u64 nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct floor_task);
} floor_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* sized by the loader when recording */
} floor_events SEC(".maps");

static __always_inline struct floor_task *watched_task(void)
{
	struct floor_task *t;

	t = bpf_task_storage_get(&floor_tasks, bpf_get_current_task_btf(), 0, 0);
	return t && t->watched ? t : NULL;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	struct floor_task *t;

	if (!minimal_record)
		return 0;
	t = watched_task();
	if (!t)
		return 0;
	t->nr = id;
	t->ts_ns = bpf_ktime_get_boot_ns();
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(floor_sys_exit, struct pt_regs *regs, long ret)
{
	struct floor_record *r;
	struct floor_task *t;
	__u64 now;

	if (!minimal_record)
		return 0;
	t = watched_task();
	if (!t)
		return 0;
	now = bpf_ktime_get_boot_ns();
	r = bpf_ringbuf_reserve(&floor_events, sizeof(*r), 0);
	if (!r) {
		__sync_fetch_and_add(&records_lost, 1);
		return 0;
	}
	r->ts_ns = t->ts_ns;
	r->duration_ns = now - t->ts_ns;
	r->ret = ret;
	r->nr = t->nr;
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	return 0;
}

/* Children of watched tasks are watched from their first instruction. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(floor_fork, struct task_struct *parent, struct task_struct *child)
{
	struct floor_task *t;

	if (!minimal_record || !watched_task())
		return 0;
	t = bpf_task_storage_get(&floor_tasks, child, 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (t)
		t->watched = 1;
	return 0;
}
