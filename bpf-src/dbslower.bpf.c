// SPDX-License-Identifier: GPL-2.0
/* dbslower: database queries slower than a threshold, with their text.
 *
 * BCC's method, with the threshold applied in the kernel: a query's start time is kept by
 * thread and the row sent at its end, only when it took long enough. Two ways in:
 * - USDT (PostgreSQL, MySQL 5.x built with DTrace probes): query__start and query__done both
 *   carry the query text, so it is read at the end, from slow queries only;
 * - uprobes on dispatch_command() (MariaDB, MySQL 8): the text is in the connection's packet
 *   buffer, which the result overwrites before the function returns, so it is copied at the
 *   start (BCC's comment says the same), up to query_cap bytes.
 * The query buffers (pending and scratch) are sized by user space to query_cap before load: the
 * maps are declared without a BTF value type so that their value size can change. */
#include "vmlinux.h"
#include "dbslower.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "dbquery.bpf.h"

const volatile struct dbslower_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
	.query_cap = DBSLOWER_QUERY_DEFAULT,
};

#define QUERY_BUFFER (sizeof(struct dbslower_event) + DBSLOWER_QUERY_DEFAULT + DBSLOWER_QUERY_SLACK)

/* dispatch_command() queries in progress, by thread: the event so far, with the text. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, QUERY_BUFFER);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} pending SEC(".maps");

/* Per-CPU room to build an event with its text. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, QUERY_BUFFER);
} scratch SEC(".maps");

static __always_inline struct dbslower_event *scratch_event(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Sends the event and the first query_len bytes of text after it. */
static __always_inline void send(struct dbslower_event *e)
{
	__u64 len = e->query_len;
	if (len > cfg.query_cap)
		len = cfg.query_cap;
	emit(e, sizeof(*e) + len);
}

SEC("usdt")
int usdt_query_start(struct pt_regs *ctx)
{
	if (server_passes(&cfg.common, &cfg.db))
		query_started();
	return 0;
}

SEC("usdt")
int usdt_query_done(struct pt_regs *ctx)
{
	__u64 begun = query_ended();
	if (!begun)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - begun;
	if (delta < cfg.db.threshold_ns)
		return 0;
	struct dbslower_event *e = scratch_event();
	if (!e)
		return 0;
	e->start_ns = begun;
	e->duration_ns = delta;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->flags = 0;
	e->full_len = 0;
	long query = 0;
	long n = -1;
	if (bpf_usdt_arg(ctx, 0, &query) == 0)
		/* cap + 2: a string longer than cap fills the buffer, telling a cut from an exact fit */
		n = bpf_probe_read_user_str((char *)(e + 1), cfg.query_cap + 2, (const char *)query);
	if (n <= 0) {
		e->query_len = 0;
		e->flags = DBSLOWER_F_FAULT;
	} else if (n >= cfg.query_cap + 2) {
		e->query_len = cfg.query_cap;
		e->flags = DBSLOWER_F_CUT;
	} else {
		e->query_len = n - 1;
	}
	send(e);
	return 0;
}

static __always_inline int dispatch_start(struct dispatched *d)
{
	if (d->command != DBQUERY_COM_QUERY || !server_passes(&cfg.common, &cfg.db))
		return 0;
	struct dbslower_event *e = scratch_event();
	if (!e)
		return 0;
	__u64 len = d->length;
	e->full_len = len > 0xffffffffULL ? 0xffffffffU : (__u32)len;
	e->flags = 0;
	if (len > cfg.query_cap) {
		len = cfg.query_cap;
		e->flags = DBSLOWER_F_CUT;
	}
	if (len && bpf_probe_read_user((char *)(e + 1), len, d->query)) {
		len = 0;
		e->flags = DBSLOWER_F_FAULT;
	}
	e->query_len = len;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->duration_ns = 0;
	e->start_ns = bpf_ktime_get_ns();
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&pending, &tid, e, BPF_ANY))
		count_lost();
	return 0;
}

SEC("uprobe")
int dispatch_start_56(struct pt_regs *ctx)
{
	struct dispatched d;
	dispatch_args_56(ctx, &d);
	return dispatch_start(&d);
}

SEC("uprobe")
int dispatch_start_57(struct pt_regs *ctx)
{
	struct dispatched d;
	dispatch_args_57(ctx, &d);
	return dispatch_start(&d);
}

SEC("uretprobe")
int dispatch_done(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct dbslower_event *e = bpf_map_lookup_elem(&pending, &tid);
	if (!e)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - e->start_ns;
	if (delta >= cfg.db.threshold_ns) {
		e->duration_ns = delta;
		send(e);
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
