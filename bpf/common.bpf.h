/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers every program object shares: loss counting and the --comm match.
 * Each object keeps its own counters and filter (its .bss and .rodata);
 * these take them as arguments.
 */
#ifndef __AIF_COMMON_BPF_H
#define __AIF_COMMON_BPF_H

#include "events.h"

/* One more record the ring buffer had no room for, on this CPU's counter. */
static __always_inline void count_lost_in(__u64 *lost)
{
	__u32 cpu = bpf_get_smp_processor_id();

	__sync_fetch_and_add(&lost[cpu & (AIF_MAX_CPUS - 1)], 1);
}

/* True when the NUL-terminated task name `comm` is `filter`. */
static __always_inline bool comm_equal(const char *comm,
				       const volatile char *filter)
{
	for (int i = 0; i < AIF_TASK_COMM_LEN; i++) {
		if (comm[i] != filter[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

#endif /* __AIF_COMMON_BPF_H */
