/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a TCP socket's identity, for the TCP tools. Include after common.bpf.h. */
#ifndef TCP_BPF_H
#define TCP_BPF_H

#include "tcp_common.h"

#define IPPROTO_TCP 6

/* TCP states (TCP_ESTABLISHED ... TCP_NEW_SYN_RECV) are the kernel's enum, from vmlinux.h: the
 * values are ABI (include/net/tcp_states.h), the same on every kernel. */

/* The ports of `sk`, host order. inet_sport, not skc_num: a closing socket is unhashed
 * (skc_num cleared) before its state changes to CLOSE. */
/* The cgroup v2 ID of the socket's owner (the cgroup the socket was made in; an accepted
 * socket's is its listener's), for --containers: the events of these tools come in softirq
 * or timer context, where the task on the CPU owns nothing. sk_cgrp_data's first eight bytes
 * are the cgroup pointer (5.15+: its `cgroup` field; before: `val`, which holds the pointer
 * unless its low bit says it holds classid data instead). 0 when unknown. */
static __always_inline __u64 sock_cgroup_id(const struct sock *sk)
{
	__u64 val = 0;
	if (bpf_core_read(&val, sizeof(val), &sk->sk_cgrp_data) || !val || (val & 1))
		return 0;
	return BPF_CORE_READ((struct cgroup *)val, kn, id);
}

static __always_inline void read_ports(const struct sock *sk, struct tcp_flow *flow)
{
	flow->sport = __builtin_bswap16(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	flow->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* Addresses and ports of `sk`, read through CO-RE (struct sock_common is stable in name,
 * not in layout). */
static __always_inline void read_flow(const struct sock *sk, struct tcp_flow *flow)
{
	flow->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	read_ports(sk, flow);
	if (flow->family == TOOLS_AF_INET6) {
		BPF_CORE_READ_INTO(&flow->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
		BPF_CORE_READ_INTO(&flow->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	} else {
		flow->saddr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		flow->daddr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	}
}

/* An IPv6 flow between IPv4-mapped addresses (::ffff:a.b.c.d, an AF_INET6 socket talking
 * IPv4) as the IPv4 flow it is. */
static __always_inline void unmap_ipv4(struct tcp_flow *flow)
{
	__u32 *d = (__u32 *)flow->daddr, *s = (__u32 *)flow->saddr;  /* network order words */
	if (flow->family != TOOLS_AF_INET6 || d[0] || d[1] || d[2] != __builtin_bswap32(0xffff))
		return;
	__u32 remote = d[3];
	/* the local address is mapped too (or unspecified, before the bind) */
	__u32 local = s[2] == __builtin_bswap32(0xffff) ? s[3] : 0;
	flow->family = TOOLS_AF_INET;
	flow->daddr[0] = remote;  /* IPv4 in the first 4 bytes, as read_flow stores it */
	flow->daddr[1] = 0;
	flow->saddr[0] = local;
	flow->saddr[1] = 0;
}

/* sk_protocol was a bitfield before 5.6: the probed read handles both layouts. */
static __always_inline bool is_tcp(const struct sock *sk)
{
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP;
}

/* Count modes (-c): one more for `flow` in `map` (a hash of struct tcp_flow to __u64); a
 * flow that does not fit is counted as lost. */
static __always_inline void count_flow(void *map, const struct tcp_flow *flow)
{
	__u64 one = 1, *count = bpf_map_lookup_elem(map, flow);
	if (count)
		atomic_add(count, 1);
	else if (bpf_map_update_elem(map, flow, &one, BPF_NOEXIST))
		count_lost();
}

/* The two programs of the tools that watch every TCP state change (tcplife, tcpstates): the
 * raw tracepoint (preferred: it passes the socket) and the classic one, both calling
 * `handler(sk, oldstate, newstate)` for TCP sockets only. */
#define TCP_SET_STATE_PROGRAMS(handler)								\
	SEC("raw_tp/inet_sock_set_state")							\
	int raw_set_state(u64 *ctx)								\
	{											\
		const struct sock *sk = (const struct sock *)ctx[0];				\
		if (is_tcp(sk))									\
			handler(sk, (int)ctx[1], (int)ctx[2]);					\
		return 0;									\
	}											\
	SEC("tracepoint/sock/inet_sock_set_state")						\
	int tp_set_state(struct trace_event_raw_inet_sock_set_state *ctx)			\
	{											\
		if (ctx->protocol == IPPROTO_TCP)						\
			handler((const struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate); \
		return 0;									\
	}

#ifdef TCP_PORT_FILTERS
/* -L / -D of the tools that define TCP_PORT_FILTERS: the local and remote ports wanted, sized
 * and filled from user space (MapSetup.set in Swift); the config's filter_lports and
 * filter_dports say whether each applies. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);  /* sized from user space */
	__type(key, __u16);
	__type(value, __u8);
} lports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);  /* sized from user space */
	__type(key, __u16);
	__type(value, __u8);
} dports SEC(".maps");

/* Whether the ports of `sk` pass -L and -D. */
static __always_inline bool ports_wanted(const struct sock *sk, __u32 filter_lports, __u32 filter_dports)
{
	if (!filter_lports && !filter_dports)
		return true;
	struct tcp_flow ports;
	read_ports(sk, &ports);
	if (filter_lports && !bpf_map_lookup_elem(&lports, &ports.sport))
		return false;
	if (filter_dports && !bpf_map_lookup_elem(&dports, &ports.dport))
		return false;
	return true;
}
#endif

#endif
