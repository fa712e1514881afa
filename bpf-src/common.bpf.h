/* Helpers shared by every tool's BPF program. Include after vmlinux.h and the tool's header. */
#ifndef COMMON_BPF_H
#define COMMON_BPF_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

/* Every streaming tool sends its events through this ring buffer. Its size is set from user
 * space before load (-b for opensnoop). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/* Records that did not fit in the ring buffer: the ring buffer has no lost-event callback,
 * so the count is kept here and reported by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);
	if (lost)
		*lost += 1;
}

/* Copies `size` bytes into the ring buffer as one record; counts it as lost if it did not fit. */
static __always_inline int emit(void *data, __u64 size)
{
	int err = bpf_ringbuf_output(&events, data, size, 0);
	if (err)
		count_lost();
	return err;
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
