// SPDX-License-Identifier: GPL-2.0
/* profile: sample stacks on a timer (a perf event per CPU) and count them in the kernel.
 *
 * Each sample's kernel and user stacks go into a stack-trace map; the count of each
 * (process, stacks, name) goes into `counts`. User space reads both once, at the end.
 */
#include "vmlinux.h"
#include "profile.h"
#include "common.bpf.h"
#include "stacks.bpf.h"

#define EEXIST 17

const volatile struct profile_cfg cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 40960);  /* --hash-storage-size */
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

SEC("perf_event")
int do_perf_event(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	if (tid == 0 && !cfg.include_idle)
		return 0;
	if (cfg.filter != PROFILE_FILTER_NONE) {
		__u32 wanted = cfg.filter == PROFILE_FILTER_TGID ? tgid : tid;
		if (!bpf_map_lookup_elem(&targets, &wanted))
			return 0;
	}
	if (!common_filters_pass(&cfg.common))
		return 0;

	struct profile_key key = { .pid = tgid, .user_stack_id = -1, .kernel_stack_id = -1 };
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	if (cfg.user_stacks)
		key.user_stack_id = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
	if (cfg.kernel_stacks) {
		key.kernel_stack_id = bpf_get_stackid(ctx, &stack_traces, 0);
		/* The kernel stack starts at the caller of the interrupted function: keep the
		 * sampled address too (kernel addresses are in the upper half on x86-64 and arm64). */
		__u64 ip = PT_REGS_IP(&ctx->regs);
		if (key.kernel_stack_id >= 0 && (__s64)ip < 0)
			key.kernel_ip = ip;
	}

	__u64 *count = bpf_map_lookup_elem(&counts, &key);
	if (count) {
		atomic_add(count, 1);
		return 0;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {  /* another CPU added it meanwhile */
		count = bpf_map_lookup_elem(&counts, &key);
		if (count)
			atomic_add(count, 1);
	} else if (err) {
		count_lost();  /* the table is full: BCC's "hash table full" warning */
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
