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

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);
	if (lost)
		*lost += 1;
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

/* The filters every tool shares: skip the tracer itself and tasks outside the --cgroup. */
static __always_inline bool common_filters_pass(const volatile struct tools_common_cfg *cfg, __u32 tgid)
{
	if (tgid == cfg->self_tgid)
		return false;
	if (cfg->filter_cgroup &&
	    bpf_get_current_ancestor_cgroup_id(cfg->cgroup_level) != cfg->cgroup_id)
		return false;
	return true;
}

#endif
