/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel addresses named by the kernel itself: bpf_snprintf()'s %pS (Linux 5.13+) formats an
 * address as "function+0x1a/0x80 [module]" from the kernel's own symbol table. User space fills
 * `ksym_batch` with addresses and runs `name_kernel_addresses` through BPF_PROG_TEST_RUN (it is
 * never attached); a report's few hundred kernel frames are named in microseconds instead of a
 * pass over all of /proc/kallsyms (45-70 ms), and the tool keeps no table of kernel symbols.
 * Include after common.bpf.h. */
#ifndef KSYM_BPF_H
#define KSYM_BPF_H

#include "ksym.h"

struct ksym_batch {
	__u64 addrs[KSYM_BATCH];
	char names[KSYM_BATCH][KSYM_TEXT];
	__u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ksym_batch);
} ksym_batch SEC(".maps");

SEC("raw_tp")
int name_kernel_addresses(void *ctx)
{
	static const char fmt[] = "%pS";
	__u32 zero = 0;
	struct ksym_batch *b = bpf_map_lookup_elem(&ksym_batch, &zero);
	if (!b)
		return 0;
	for (int i = 0; i < KSYM_BATCH; i++) {
		if (i >= b->count)
			break;
		__u64 args[1] = { b->addrs[i] };
		bpf_snprintf(b->names[i], KSYM_TEXT, fmt, args, sizeof(args));
	}
	return 0;
}

#endif
