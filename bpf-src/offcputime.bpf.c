// SPDX-License-Identifier: GPL-2.0
/* offcputime: time threads spend off CPU (blocked, sleeping, preempted), added up by their
 * stacks when they left it.
 *
 * BCC kprobes finish_task_switch() and takes the stacks of the thread coming back. Here one
 * program on sched_switch (no kprobes needed) does both halves: the thread leaving is the one
 * on the CPU, so its stacks and the time are recorded then; when a recorded thread comes back,
 * the time it was away is added to its stacks' total. A raw tracepoint where there is one,
 * else the classic one.
 */
#include "vmlinux.h"
#include "offcputime.h"
#include "common.bpf.h"
#include "stacks.bpf.h"
#include "ksym.bpf.h"

#define EEXIST 17
#define PF_KTHREAD 0x00200000

const volatile struct offcputime_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
	.user_stacks = 1,
	.kernel_stacks = 1,
	.min_block_us = 1,
	.max_block_us = ~0ULL,
};


/* Microseconds off CPU, by thread and stacks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 40960);
	__type(key, struct offcputime_key);
	__type(value, __u64);
} counts SEC(".maps");

struct departure {
	__u64 ts;
	struct offcputime_key key;
};

/* Threads off CPU now, by thread ID. LRU: a thread that exits leaves its last entry behind. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct departure);
} departed SEC(".maps");

/* Whether the thread leaving the CPU (the current one) is traced. */
static __always_inline bool traced(struct task_struct *task, __u32 tgid, __u32 tid)
{
	if (tgid == cfg.common.self_tgid || tid == 0)  /* the tracer, the idle task */
		return false;
	switch (cfg.threads) {
	case OFFCPUTIME_TGIDS:
		if (!bpf_map_lookup_elem(&targets, &tgid))
			return false;
		break;
	case OFFCPUTIME_TIDS:
		if (!bpf_map_lookup_elem(&targets, &tid))
			return false;
		break;
	case OFFCPUTIME_USER_THREADS:
		if (BPF_CORE_READ(task, flags) & PF_KTHREAD)
			return false;
		break;
	case OFFCPUTIME_KERNEL_THREADS:
		if (!(BPF_CORE_READ(task, flags) & PF_KTHREAD))
			return false;
		break;
	}
	if (cfg.filter_state) {
		__u64 state = (__u64)task_state(task);
		if (cfg.state == 0 ? state != 0 : !(state & cfg.state))
			return false;
	}
	return current_in_cgroup(&cfg.common);
}

static __always_inline int on_switch(void *ctx, __u32 next_tid)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct task_struct *prev = (struct task_struct *)bpf_get_current_task();

	if (traced(prev, tgid, tid)) {
		struct departure d = {
			.ts = now,
			.key = { .pid = tid, .tgid = tgid, .user_stack_id = -1, .kernel_stack_id = -1,
				 .cgroup_id = cfg.by_cgroup ? bpf_get_current_cgroup_id() : 0 },
		};
		bpf_get_current_comm(&d.key.comm, sizeof(d.key.comm));
		if (cfg.user_stacks)
			d.key.user_stack_id = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
		if (cfg.kernel_stacks)
			d.key.kernel_stack_id = bpf_get_stackid(ctx, &stack_traces, 0);
		bpf_map_update_elem(&departed, &tid, &d, BPF_ANY);
	}

	struct departure *d = bpf_map_lookup_elem(&departed, &next_tid);
	if (!d)
		return 0;
	struct offcputime_key key = d->key;
	__u64 left = d->ts;
	bpf_map_delete_elem(&departed, &next_tid);
	if (left > now)  /* BCC warns of these (clocks of two CPUs); they are dropped */
		return 0;
	__u64 us = (now - left) / 1000;
	if (us < cfg.min_block_us || us > cfg.max_block_us)
		return 0;
	__u64 *total = bpf_map_lookup_elem(&counts, &key);
	if (total) {
		atomic_add(total, us);
		return 0;
	}
	long err = bpf_map_update_elem(&counts, &key, &us, BPF_NOEXIST);
	if (err == -EEXIST) {  /* another CPU added it meanwhile */
		total = bpf_map_lookup_elem(&counts, &key);
		if (total)
			atomic_add(total, us);
	} else if (err) {
		count_lost();  /* the table is full */
	}
	return 0;
}

SEC("raw_tp/sched_switch")
int raw_switch(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx->args[2];
	return on_switch(ctx, BPF_CORE_READ(next, pid));
}

/* sched:sched_switch's record: its layout is ABI. */
struct sched_switch_ctx {
	__u64 common;
	char prev_comm[16];
	__s32 prev_pid;
	__s32 prev_prio;
	long prev_state;
	char next_comm[16];
	__s32 next_pid;
	__s32 next_prio;
};

SEC("tracepoint/sched/sched_switch")
int tp_switch(struct sched_switch_ctx *ctx)
{
	return on_switch(ctx, ctx->next_pid);
}

char LICENSE[] SEC("license") = "GPL";
