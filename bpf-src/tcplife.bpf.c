// SPDX-License-Identifier: GPL-2.0
/* tcplife: one event per TCP session when it closes, with its lifespan and bytes.
 *
 * BCC's method, on sock:inet_sock_set_state: the first state below FIN_WAIT1 starts the
 * clock; the task on the CPU when the socket enters SYN_SENT (the connecting client) or
 * LAST_ACK (the server closing) is remembered as its owner; CLOSE reports it (or the task on
 * the CPU then, when no owner is known), with the socket's bytes acked and received.
 * Sessions open before the tool started are skipped.
 */
#include "vmlinux.h"
#include "tcplife.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#define TCP_PORT_FILTERS
#include "tcp.bpf.h"

const volatile struct tcplife_cfg cfg = {};

/* A session being watched: when it started and who owns it. One map, so that each state
 * change costs at most one map operation (they dominate the cost, ~0.3 us each here). */
struct session {
	__u64 ts;
	__u32 pid;             /* 0 until an owner is known */
	__u32 _pad;
	char comm[TOOLS_TASK_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct session);
} sessions SEC(".maps");

static __always_inline void state_change(const struct sock *sk, int oldstate, int newstate)
{
	__u64 skaddr = (__u64)sk;
	if (!ports_wanted(sk, cfg.filter_lports, cfg.filter_dports))
		return;

	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	bool owner_wanted = !cfg.common.targ_tgid || cfg.common.targ_tgid == tgid;
	if (newstate < TCP_FIN_WAIT1) {
		/* The birth is the last such state, as in BCC, which refreshes it on every one: MS
		 * counts from ESTABLISHED, not from a first SYN that may have been retransmitted.
		 * Recorded before the PID filter so that no creation is missed; the owner seen at
		 * SYN_SENT is kept. */
		struct session *known = bpf_map_lookup_elem(&sessions, &skaddr);
		if (known) {
			known->ts = bpf_ktime_get_ns();
			return;
		}
		struct session new = { .ts = bpf_ktime_get_ns() };
		if (newstate == TCP_SYN_SENT && owner_wanted) {
			new.pid = tgid;
			bpf_get_current_comm(&new.comm, sizeof(new.comm));
		}
		/* EEXIST: another CPU recorded it first. A full table means a session that will
		 * have no row: counted, and reported as lost. */
		if (bpf_map_update_elem(&sessions, &skaddr, &new, BPF_NOEXIST) == -E2BIG)
			count_lost();
		return;
	}
	if (newstate == TCP_LAST_ACK) {
		/* the task closing after its peer (a server, usually) becomes the owner, as in BCC */
		struct session *known = bpf_map_lookup_elem(&sessions, &skaddr);
		if (known && owner_wanted) {
			known->pid = tgid;
			bpf_get_current_comm(&known->comm, sizeof(known->comm));
		}
		return;
	}
	if (newstate != TCP_CLOSE)
		return;

	struct session *session = bpf_map_lookup_elem(&sessions, &skaddr);
	if (!session)
		return;  /* born before the tool started */
	struct tcplife_event e = {};
	__u64 now = bpf_ktime_get_ns();
	e.span_us = (now - session->ts) / 1000;
	e.ts_us = now / 1000;
	if (session->pid) {
		e.pid = session->pid;
		__builtin_memcpy(e.comm, session->comm, sizeof(e.comm));
	} else {
		e.pid = tgid;
		bpf_get_current_comm(&e.comm, sizeof(e.comm));
	}
	bpf_map_delete_elem(&sessions, &skaddr);
	/* the owner's ids, kept from SYN_SENT or the task on the CPU now; the cgroup of the latter */
	if (!ids_pass(&cfg.common, e.pid, 0, TOOLS_INVALID_UID))
		return;
	read_flow(sk, &e.flow);
	e.cgroup_id = sock_cgroup_id(sk);
	if (cfg.targ_family && cfg.targ_family != e.flow.family)
		return;
	if (!current_in_cgroup(&cfg.common))
		return;
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	e.rx_bytes = BPF_CORE_READ(tp, bytes_received);
	e.tx_bytes = BPF_CORE_READ(tp, bytes_acked);
	emit(&e, sizeof(e));
}

TCP_SET_STATE_PROGRAMS(state_change)

char LICENSE[] SEC("license") = "GPL";
