// SPDX-License-Identifier: GPL-2.0
/* tcpstates: one event per TCP state change, with the time spent in the old state.
 *
 * BCC's method, on sock:inet_sock_set_state: a hash keyed by the socket's address holds the
 * time of its last change; CLOSE forgets it. A socket filtered out by -L/-D is forgotten too
 * (as BCC does), so its next change shows no span.
 */
#include "vmlinux.h"
#include "tcpstates.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#define TCP_PORT_FILTERS
#include "tcp.bpf.h"

const volatile struct tcpstates_cfg cfg = {};

/* When each socket last changed state. LRU: with more live sockets than entries, the oldest
 * are forgotten (their next change shows no span) instead of the newest never being tracked. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} last SEC(".maps");

static __always_inline void state_change(const struct sock *sk, int oldstate, int newstate)
{
	__u64 skaddr = (__u64)sk;
	if (!ports_wanted(sk, cfg.filter_lports, cfg.filter_dports)) {
		bpf_map_delete_elem(&last, &skaddr);
		return;
	}
	__u64 now = bpf_ktime_get_ns();
	__u64 *tsp = bpf_map_lookup_elem(&last, &skaddr);
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct tcpstates_event e = {
		.ts_us = now / 1000,
		.skaddr = skaddr,
		.span_us = tsp && now > *tsp ? (now - *tsp) / 1000 : 0,
		.pid = tgid,
		.oldstate = oldstate,
		.newstate = newstate,
	};
	read_flow(sk, &e.flow);
	if ((!cfg.targ_family || cfg.targ_family == e.flow.family) && common_filters_pass(&cfg.common)) {
		bpf_get_current_comm(&e.comm, sizeof(e.comm));
		e.cgroup_id = sock_cgroup_id(sk);
		emit(&e, sizeof(e));
	}
	if (newstate == TCP_CLOSE)
		bpf_map_delete_elem(&last, &skaddr);
	else
		bpf_map_update_elem(&last, &skaddr, &now, BPF_ANY);
}

TCP_SET_STATE_PROGRAMS(state_change)

char LICENSE[] SEC("license") = "GPL";
