// SPDX-License-Identifier: GPL-2.0
/* runqlat: run queue (scheduler) latency as log2 histograms, counted in the kernel.
 *
 * BCC's method: a task's enqueue time is recorded when it is woken (sched_wakeup), created
 * (sched_wakeup_new) or preempted while still runnable (sched_switch with prev in
 * TASK_RUNNING); when sched_switch switches it in, the time since is its run queue latency.
 */
#include "vmlinux.h"
#include "runqlat.h"
#include "common.bpf.h"

#define TASK_RUNNING 0

const volatile struct runqlat_cfg cfg = {};

/* Enqueue times by thread ID. LRU: a task woken and never seen running again (it exited
 * first) ages out instead of filling the table. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* Histograms by PID, TID, PID namespace or cgroup (key 0 without sections); entries are
 * allocated as they are first used, so a table sized for every PID costs only what it holds. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);  /* sized from user space */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct runqlat_hist);
} hists SEC(".maps");

static const struct runqlat_hist zero_hist = {};

static __always_inline bool wanted(struct task_struct *task, __u32 tgid, __u32 pid)
{
	if (!pid || !ids_pass(&cfg.common, tgid, pid, TOOLS_INVALID_UID))
		return false;
	return task_in_cgroup(&cfg.common, task);
}

static __always_inline void enqueue(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid), pid = BPF_CORE_READ(task, pid);
	if (!wanted(task, tgid, pid))
		return;
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
}

/* The inode number of the task's PID namespace: task_active_pid_ns(task)->ns.inum. */
static __always_inline __u32 pid_namespace(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid;
	if (bpf_core_read(&upid, sizeof(upid), &pid->numbers[level & 31]))
		return 0;
	return BPF_CORE_READ(upid.ns, ns.inum);
}

static __always_inline void switch_in(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid), pid = BPF_CORE_READ(task, pid);
	if (!pid || !ids_pass(&cfg.common, tgid, pid, TOOLS_INVALID_UID))
		return;
	__u64 *tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return;  /* its enqueue was not seen (or it was filtered out there) */
	__u64 now = bpf_ktime_get_ns();
	__u64 delta = now > *tsp ? now - *tsp : 0;
	bpf_map_delete_elem(&start, &pid);
	delta /= cfg.targ_ms ? 1000000 : 1000;

	__u64 key = 0;
	if (cfg.key_by == RUNQLAT_BY_CGROUP)
		key = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	else if (cfg.key_by == RUNQLAT_BY_PID)
		key = tgid;
	else if (cfg.key_by == RUNQLAT_BY_TID)
		key = pid;
	else if (cfg.key_by == RUNQLAT_BY_PIDNS)
		key = pid_namespace(task);
	struct runqlat_hist *hist = bpf_map_lookup_elem(&hists, &key);
	if (!hist) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		hist = bpf_map_lookup_elem(&hists, &key);
		if (!hist) {
			count_lost();  /* more PIDs or namespaces than the table holds */
			return;
		}
	}
	__u64 slot = log2l_slot(delta);
	if (slot >= RUNQLAT_SLOTS)
		slot = RUNQLAT_SLOTS - 1;
	atomic_add(&hist->slots[slot], 1);
	atomic_add(&hist->total, delta);
}

static __always_inline void on_switch(struct task_struct *prev, struct task_struct *next)
{
	/* preempted while runnable: back on the run queue at once */
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev);
	switch_in(next);
}

SEC("raw_tp/sched_wakeup")
int raw_wakeup(u64 *ctx)
{
	enqueue((struct task_struct *)ctx[0]);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int raw_wakeup_new(u64 *ctx)
{
	enqueue((struct task_struct *)ctx[0]);
	return 0;
}

/* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next[, prev_state]) */
SEC("raw_tp/sched_switch")
int raw_switch(u64 *ctx)
{
	on_switch((struct task_struct *)ctx[1], (struct task_struct *)ctx[2]);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int btf_wakeup(u64 *ctx)
{
	enqueue((struct task_struct *)ctx[0]);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int btf_wakeup_new(u64 *ctx)
{
	enqueue((struct task_struct *)ctx[0]);
	return 0;
}

SEC("tp_btf/sched_switch")
int btf_switch(u64 *ctx)
{
	on_switch((struct task_struct *)ctx[1], (struct task_struct *)ctx[2]);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
