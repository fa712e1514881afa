/* SPDX-License-Identifier: GPL-2.0 */
/* What the block tools (biolatency, biosnoop) share. Include after common.bpf.h. */
#ifndef BLOCK_BPF_H
#define BLOCK_BPF_H

/* Completions a tool saw but does not show that the kernel's count of completed I/Os includes,
 * so that user space can check what it shows against that count (see DiskCompletions.swift):
 * requests without data whose start was never seen (an fsync's empty flush write, completed by
 * the flush machinery without being issued; one flush request, issued and shown, may stand for
 * several of them), and in biosnoop requests whose submitter was filtered out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} completions_not_shown SEC(".maps");

static __always_inline void count_not_shown(void)
{
	count_per_cpu(&completions_not_shown);
}

#endif
