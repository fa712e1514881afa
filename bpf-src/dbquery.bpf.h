/* SPDX-License-Identifier: GPL-2.0 */
/* What dbslower and dbstat share on the BPF side: which server processes count, and where
 * dispatch_command() keeps the command and the query text. Include after common.bpf.h. */
#ifndef DBQUERY_BPF_H
#define DBQUERY_BPF_H

#include <bpf/usdt.bpf.h>

/* -p's processes (the keys; values unused). User space sizes and fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8);
} traced_pids SEC(".maps");

/* Whether the query on this CPU belongs to a traced server: the common filters (not the
 * tracer, --cgroup), and under -p the process or its parent listed (PostgreSQL runs each
 * connection in a child of the postmaster, which is the PID users know). */
static __always_inline bool server_passes(const volatile struct tools_common_cfg *common,
					  const volatile struct dbquery_cfg *db)
{
	if (!common_filters_pass(common))
		return false;
	if (!db->filter_pids)
		return true;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_map_lookup_elem(&traced_pids, &tgid))
		return true;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 parent = BPF_CORE_READ(task, real_parent, tgid);
	return bpf_map_lookup_elem(&traced_pids, &parent) != NULL;
}

/* When the query in progress on each thread started (0: none). An LRU hash whose entries stay
 * between queries: a server thread runs query after query, and writing its entry in place
 * costs a lookup, where an update and a delete per query cost ~3 times more BPF time (measured
 * under pgbench -S); threads that exit are evicted as the map fills. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} starts SEC(".maps");

static __always_inline void query_started(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();
	__u64 *start = bpf_map_lookup_elem(&starts, &tid);
	if (start)
		*start = now;
	else if (bpf_map_update_elem(&starts, &tid, &now, BPF_ANY))
		count_lost();
}

/* When this thread's query started, and none in progress after it; 0 when none was. */
static __always_inline __u64 query_ended(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *start = bpf_map_lookup_elem(&starts, &tid);
	if (!start)
		return 0;
	__u64 begun = *start;
	*start = 0;
	return begun;
}

/* A query in dispatch_command(): its command, text and length, by the function's signature. */
struct dispatched {
	__u64 command;
	const char *query;
	__u64 length;
};

/* MariaDB and MySQL up to 5.6: dispatch_command(enum_server_command, THD *, char *packet,
 * uint packet_length, ...). */
static __always_inline void dispatch_args_56(struct pt_regs *ctx, struct dispatched *d)
{
	d->command = (__u32)PT_REGS_PARM1(ctx);
	d->query = (const char *)PT_REGS_PARM3(ctx);
	d->length = (__u32)PT_REGS_PARM4(ctx);
}

/* MySQL 5.7 and 8.0: dispatch_command(THD *, const COM_DATA *, enum_server_command); for
 * COM_QUERY, COM_DATA starts { const char *query; unsigned int length; }. */
static __always_inline void dispatch_args_57(struct pt_regs *ctx, struct dispatched *d)
{
	d->command = (__u32)PT_REGS_PARM3(ctx);
	const void *com_data = (const void *)PT_REGS_PARM2(ctx);
	__u32 length = 0;
	d->query = NULL;
	bpf_probe_read_user(&d->query, sizeof(d->query), com_data);
	bpf_probe_read_user(&length, sizeof(length), com_data + 8);
	d->length = length;
}

#endif
