// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Feature probes: tiny programs the loader tries to load and attach one at a
 * time (`ai-forensics probe`) to learn which hooks this kernel offers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(probe_tp_btf, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int probe_raw_tp(void *ctx)
{
	return 0;
}

SEC("kprobe/do_sys_openat2")
int probe_kprobe(void *ctx)
{
	return 0;
}

SEC("fentry/do_sys_openat2")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("lsm/file_open")
int BPF_PROG(probe_lsm, struct file *file)
{
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(probe_send_signal, struct pt_regs *regs, long id)
{
	/* Never true at run time: only whether the verifier knows the helper. */
	if (id == -12345)
		bpf_send_signal(0);
	return 0;
}
