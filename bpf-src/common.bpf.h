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

/* Every streaming tool sends its events through this ring buffer. Its size is set from user
 * space before load (-b for opensnoop). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);  /* 512 KiB; a tool may resize it before load */
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

/* Copies `size` bytes into the ring buffer as one record; counts it as lost if it did not fit.
 *
 * It does not wake user space for each record: a wake-up costs the traced task a few
 * microseconds (more than the rest of the program), which made an open storm almost twice as
 * slow. User space polls every few milliseconds instead (see EventLoop), and is woken at once
 * only when a quarter of the ring is full, so a burst cannot overflow it. */
static __always_inline int emit(void *data, __u64 size)
{
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4
		? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	int err = bpf_ringbuf_output(&events, data, size, flags);
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
