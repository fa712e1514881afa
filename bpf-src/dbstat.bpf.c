// SPDX-License-Identifier: GPL-2.0
/* dbstat: a log2 histogram of database query latencies, counted in the kernel.
 *
 * BCC's method: a query's start time is kept by thread, its latency counted at the end. BCC
 * uses the query__start/query__done USDT probes only; where a server has none (MariaDB, MySQL
 * 8) this also takes dispatch_command()'s entry and return, as dbslower does. */
#include "vmlinux.h"
#include "dbstat.h"
#include "common.bpf.h"
#include "dbquery.bpf.h"

const volatile struct dbstat_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
	.unit_ns = 1000000,
};

/* One histogram (key 0), or one per server cgroup with --containers; allocated as used. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);  /* sized from user space */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct dbstat_hist);
} hist SEC(".maps");

static const struct dbstat_hist zero_hist = {};

static __always_inline int query_start(void)
{
	if (server_passes(&cfg.common, &cfg.db))
		query_started();
	return 0;
}

static __always_inline int query_done(void)
{
	__u64 begun = query_ended();
	if (!begun)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - begun;
	if (delta < cfg.db.threshold_ns)
		return 0;
	__u64 key = cfg.by_cgroup ? bpf_get_current_cgroup_id() : 0;
	struct dbstat_hist *h = bpf_map_lookup_elem(&hist, &key);
	if (!h) {
		bpf_map_update_elem(&hist, &key, &zero_hist, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hist, &key);
		if (!h) {
			count_lost();  /* more server cgroups than the table holds */
			return 0;
		}
	}
	__u64 slot = log2l_slot(delta / cfg.unit_ns);
	if (slot >= DBSTAT_SLOTS)
		slot = DBSTAT_SLOTS - 1;
	atomic_add(&h->slots[slot], 1);
	atomic_add(&h->total_ns, delta);
	return 0;
}

SEC("usdt")
int usdt_query_start(struct pt_regs *ctx)
{
	return query_start();
}

SEC("usdt")
int usdt_query_done(struct pt_regs *ctx)
{
	return query_done();
}

SEC("uprobe")
int dispatch_start_56(struct pt_regs *ctx)
{
	struct dispatched d;
	dispatch_args_56(ctx, &d);
	return d.command == DBQUERY_COM_QUERY ? query_start() : 0;
}

SEC("uprobe")
int dispatch_start_57(struct pt_regs *ctx)
{
	struct dispatched d;
	dispatch_args_57(ctx, &d);
	return d.command == DBQUERY_COM_QUERY ? query_start() : 0;
}

SEC("uretprobe")
int dispatch_done(struct pt_regs *ctx)
{
	return query_done();
}

char LICENSE[] SEC("license") = "GPL";
