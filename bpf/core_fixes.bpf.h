/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Differences between kernel versions and architectures, in one place.
 */
#ifndef __AIF_CORE_FIXES_BPF_H
#define __AIF_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* The syscall number of the current call, from the saved user registers. */
#if defined(__TARGET_ARCH_x86)
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define SYSCALL_NR(regs) ((regs)->syscallno)
#else
#error "unsupported architecture: add its syscall-number register here"
#endif

/*
 * True when @task is the last live thread of its process.
 * do_exit() decrements signal->live before trace_sched_process_exit().
 * Recent kernels (6.18 here) also pass group_dead to the tracepoint, older
 * ones (6.1) do not, so read the counter, which every kernel has.
 */
static __always_inline bool process_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

#endif /* __AIF_CORE_FIXES_BPF_H */
