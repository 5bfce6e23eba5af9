/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Differences between kernel versions and architectures, in one place.
 */
#ifndef __AIF_CORE_FIXES_BPF_H
#define __AIF_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * The user registers saved at a syscall, laid out as the architecture's ABI
 * has them (ptrace's user_regs_struct on x86_64; user_pt_regs, orig_x0 and
 * syscallno on arm64). That layout never changes, so these read them at
 * fixed offsets: a CO-RE relocation on struct pt_regs would only cost
 * libbpf one more search through the kernel's whole BTF at every load.
 */
#if defined(__TARGET_ARCH_x86)
struct aif_syscall_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};
#define AIF_REGS(regs) ((const struct aif_syscall_regs *)(regs))
#define SYSCALL_NR(regs) (AIF_REGS(regs)->orig_ax)
#define SYSCALL_ARG1(regs) (AIF_REGS(regs)->di)
#define SYSCALL_ARG2(regs) (AIF_REGS(regs)->si)
#define SYSCALL_ARG3(regs) (AIF_REGS(regs)->dx)
#define SYSCALL_ARG4(regs) (AIF_REGS(regs)->r10)
#define SYSCALL_ARG5(regs) (AIF_REGS(regs)->r8)
#define SYSCALL_ARG6(regs) (AIF_REGS(regs)->r9)
#define SYSCALL_SP(regs) (AIF_REGS(regs)->sp)
#elif defined(__TARGET_ARCH_arm64)
struct aif_syscall_regs {
	__u64 regs[31];
	__u64 sp, pc, pstate;
	__u64 orig_x0;
	__s32 syscallno;
};
#define AIF_REGS(regs) ((const struct aif_syscall_regs *)(regs))
#define SYSCALL_NR(regs) (AIF_REGS(regs)->syscallno)
#define SYSCALL_ARG1(regs) (AIF_REGS(regs)->orig_x0)
#define SYSCALL_ARG2(regs) (AIF_REGS(regs)->regs[1])
#define SYSCALL_ARG3(regs) (AIF_REGS(regs)->regs[2])
#define SYSCALL_ARG4(regs) (AIF_REGS(regs)->regs[3])
#define SYSCALL_ARG5(regs) (AIF_REGS(regs)->regs[4])
#define SYSCALL_ARG6(regs) (AIF_REGS(regs)->regs[5])
#define SYSCALL_SP(regs) (AIF_REGS(regs)->sp)
#else
#error "unsupported architecture: add its syscall registers here"
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
