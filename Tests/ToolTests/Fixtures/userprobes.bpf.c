// SPDX-License-Identifier: GPL-2.0
/* Counts a uprobe's, a uretprobe's and a USDT probe's hits, whose targets the test gives at
 * run time (the sections name no target). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

__u64 entries = 0, returns = 0, ticks = 0, tick_sum = 0, return_sum = 0;

SEC("uprobe")
int count_entry(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&entries, 1);
	return 0;
}

SEC("uretprobe")
int count_return(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&returns, 1);
	__sync_fetch_and_add(&return_sum, PT_REGS_RC(ctx));
	return 0;
}

SEC("usdt")
int BPF_USDT(count_tick, long value)
{
	__sync_fetch_and_add(&ticks, 1);
	__sync_fetch_and_add(&tick_sum, value);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
