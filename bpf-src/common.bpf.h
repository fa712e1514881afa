/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by every tool's BPF program. Include after vmlinux.h and the tool's header. */
#ifndef COMMON_BPF_H
#define COMMON_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/* Syscall tracepoint contexts. Their layout is ABI (8 bytes of common fields, the syscall
 * number, then the arguments or the return value), so they are declared here without CO-RE:
 * every CO-RE type costs libbpf a scan of the kernel's 100,000+ BTF types at start-up. */
struct syscall_enter_ctx {
	__u64 common;
	long nr;
	unsigned long args[6];
};

struct syscall_exit_ctx {
	__u64 common;
	long nr;
	long ret;
};

/* Records or samples a tool could not keep (a full ring buffer or map): nothing is dropped
 * silently; user space reads the count and reports it on stderr. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

/* An atomic add whose old value is not wanted. __sync_fetch_and_add() compiles to a fetching
 * atomic (BPF_FETCH, Linux 5.12+) even when its result is unused; a relaxed __atomic add whose
 * result is unused is the plain XADD every kernel knows. */
#define atomic_add(ptr, value) ((void)__atomic_fetch_add((ptr), (value), __ATOMIC_RELAXED))

/* What a full hash map's update returns (vmlinux.h has no errno values). */
#ifndef E2BIG
#define E2BIG 7
#endif

/* One more in a per-CPU counter: entry 0 of a per-CPU array of __u64 (no atomic needed). */
static __always_inline void count_per_cpu(void *counter)
{
	__u32 zero = 0;
	__u64 *count = bpf_map_lookup_elem(counter, &zero);
	if (count)
		*count += 1;
}

static __always_inline void count_lost(void)
{
	count_per_cpu(&lost_events);
}

/* bcc's bpf_log2l(): floor(log2(v)) + 1, and 1 for 0: the slot of a log2 histogram. */
static __always_inline __u64 log2l_slot(__u64 v)
{
	__u64 r = (v > 0xffffffffULL) << 5, shift;
	v >>= r;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r + 1;
}

/* task_struct's state field: `state` was renamed `__state` in Linux 5.14. */
struct task_struct___state_old {
	volatile long int state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *task)
{
	if (bpf_core_field_exists(task->__state))
		return BPF_CORE_READ(task, __state);
	return BPF_CORE_READ((struct task_struct___state_old *)task, state);
}

/* Whether `task` is in the --cgroup (cgroup v2) or below it, for programs where the task
 * concerned is not the one on the CPU (the task being switched in, say): its default
 * hierarchy's cgroup, walked up to the filter's level. */
#define TOOLS_MAX_CGROUP_DEPTH 32
static __always_inline bool task_in_cgroup(const volatile struct tools_common_cfg *cfg, struct task_struct *task)
{
	if (!cfg->filter_cgroup)
		return true;
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	int level = BPF_CORE_READ(cg, level);
	for (int i = 0; i < TOOLS_MAX_CGROUP_DEPTH && cg && level > (int)cfg->cgroup_level; i++, level--)
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	return cg && level == (int)cfg->cgroup_level && BPF_CORE_READ(cg, kn, id) == cfg->cgroup_id;
}

/* Whether the task on the CPU is in the --cgroup (cgroup v2) or below it. */
static __always_inline bool current_in_cgroup(const volatile struct tools_common_cfg *cfg)
{
	return !cfg->filter_cgroup ||
	       bpf_get_current_ancestor_cgroup_id(cfg->cgroup_level) == cfg->cgroup_id;
}

/* Not the tracer itself, and the -p/-t/-u filters, for ids the caller has: another task's, or
 * an owner kept from an earlier event. A `uid` of TOOLS_INVALID_UID (unknown) passes. */
static __always_inline bool ids_pass(const volatile struct tools_common_cfg *cfg, __u32 tgid, __u32 tid, __u32 uid)
{
	if (tgid == cfg->self_tgid)
		return false;
	if (cfg->targ_tid) {
		if (tid != cfg->targ_tid)
			return false;
	} else if (cfg->targ_tgid && tgid != cfg->targ_tgid) {
		return false;
	}
	return cfg->targ_uid == TOOLS_INVALID_UID || uid == TOOLS_INVALID_UID || uid == cfg->targ_uid;
}

/* The task on the CPU, as an event shows it. */
struct caller {
	__u32 tgid;
	__u32 tid;
	__u32 uid;
	char comm[TOOLS_TASK_COMM_LEN];
};

/* The caller through one helper call for each field: every kernel. */
static __always_inline void caller_from_helpers(struct caller *c)
{
	__u64 id = bpf_get_current_pid_tgid();
	c->tgid = id >> 32;
	c->tid = (__u32)id;
	c->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(c->comm, sizeof(c->comm));
}

/* The caller read straight from `task` (bpf_get_current_task_btf(), Linux 5.11+): plain loads
 * where the helpers cost a call each, 100-170 ns less per event in opensnoop's storm (measured
 * with bpf_stats, this VM). The name is copied as it stands, as bpf_get_current_comm() does:
 * user space reads it up to the first NUL, or all 16 bytes. */
_Static_assert(TOOLS_TASK_COMM_LEN == 16, "caller_from_task copies the name as two 8-byte words");
static __always_inline void caller_from_task(struct caller *c, struct task_struct *task)
{
	c->tgid = task->tgid;
	c->tid = task->pid;
	c->uid = task->cred->uid.val;
	*(__u64 *)&c->comm[0] = *(__u64 *)&task->comm[0];
	*(__u64 *)&c->comm[8] = *(__u64 *)&task->comm[8];
}

/* The filters every tool shares, for a caller already read. */
static __always_inline bool caller_passes(const volatile struct tools_common_cfg *cfg, const struct caller *c)
{
	return ids_pass(cfg, c->tgid, c->tid, c->uid) && current_in_cgroup(cfg);
}

/* The filters every tool shares, for the task on the CPU: not the tracer, its process, thread
 * and user, its cgroup. */
static __always_inline bool common_filters_pass(const volatile struct tools_common_cfg *cfg)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 uid = cfg->targ_uid == TOOLS_INVALID_UID ? TOOLS_INVALID_UID : (__u32)bpf_get_current_uid_gid();
	return ids_pass(cfg, pid_tgid >> 32, (__u32)pid_tgid, uid) && current_in_cgroup(cfg);
}

#endif
