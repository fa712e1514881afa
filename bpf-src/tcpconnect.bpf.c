// SPDX-License-Identifier: GPL-2.0
/* tcpconnect: trace active TCP connects, without kprobes.
 *
 * A socket going from CLOSE to SYN_SENT (sock:inet_sock_set_state) is a connect in progress,
 * in the connecting task's context: who, and when (the SYN goes out right after, so that is
 * BCC's time), are recorded then, by socket. The local port is only chosen after that, so the
 * connect is reported when the connect() syscall returns, whatever it returns (BCC reports
 * every connect whose SYN was sent: refused and timed-out ones are what people look for).
 * A blocking connect that fails has its socket reset before connect() returns (addresses
 * and port cleared): its flow is read at the SYN_SENT -> CLOSE change, while still intact.
 * A flow without a local port never sent a SYN (the port could not be chosen), and is not
 * reported, as BCC's tcp_v4_connect() returning an error is not.
 */
#include "vmlinux.h"
#include "tcpconnect.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "tcp.bpf.h"


const volatile struct tcpconnect_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
};

/* Sockets whose connect() is under way, by thread; LRU: a thread killed inside connect()
 * leaves an entry that must not fill the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} connecting SEC(".maps");

/* The event of each of those sockets, by socket: who and when from SYN_SENT; the flow from
 * the failure (flow.family still 0 until then). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);
	__type(value, struct tcpconnect_event);
} pending SEC(".maps");

/* -P: the remote ports wanted. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);  /* sized from user space */
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

/* -c: connects by (local address, remote address, remote port); the local port is 0. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tcp_flow);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void syn_sent(const struct sock *sk)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (!common_filters_pass(&cfg.common))
		return;
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u64 skaddr = (__u64)sk;
	struct tcpconnect_event e = { .ts_us = bpf_ktime_get_ns() / 1000, .pid = tgid, .uid = uid,
					.cgroup_id = bpf_get_current_cgroup_id() };
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	bpf_map_update_elem(&pending, &skaddr, &e, BPF_ANY);
	bpf_map_update_elem(&connecting, &tid, &skaddr, BPF_ANY);
}

/* The connect failed (refused, timed out, reset): keep the flow before the socket forgets it. */
static __always_inline void connect_failed(const struct sock *sk)
{
	__u64 skaddr = (__u64)sk;
	struct tcpconnect_event *e = bpf_map_lookup_elem(&pending, &skaddr);
	if (e && !e->flow.family)
		read_flow(sk, &e->flow);
}

SEC("raw_tp/inet_sock_set_state")
int raw_set_state(u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	int oldstate = (int)ctx[1], newstate = (int)ctx[2];
	/* the states first: they are in the arguments, the protocol needs a read */
	if (newstate == TCP_SYN_SENT && oldstate == TCP_CLOSE && is_tcp(sk))
		syn_sent(sk);
	else if (newstate == TCP_CLOSE && oldstate == TCP_SYN_SENT)
		connect_failed(sk);  /* only sockets seen at SYN_SENT are in `pending` */
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tp_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	if (ctx->newstate == TCP_SYN_SENT && ctx->oldstate == TCP_CLOSE)
		syn_sent((const struct sock *)ctx->skaddr);
	else if (ctx->newstate == TCP_CLOSE && ctx->oldstate == TCP_SYN_SENT)
		connect_failed((const struct sock *)ctx->skaddr);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tp_exit_connect(struct syscall_exit_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *known = bpf_map_lookup_elem(&connecting, &tid);
	if (!known)
		return 0;
	__u64 skaddr = *known;
	bpf_map_delete_elem(&connecting, &tid);
	struct tcpconnect_event *pending_event = bpf_map_lookup_elem(&pending, &skaddr);
	if (!pending_event)
		return 0;
	struct tcpconnect_event e = *pending_event;
	bpf_map_delete_elem(&pending, &skaddr);
	if (!e.flow.family)
		read_flow((const struct sock *)skaddr, &e.flow);
	if (!e.flow.sport)
		return 0;  /* no local port: no SYN was sent */
	/* an IPv4-mapped address on an IPv6 socket is an IPv4 connect, as BCC sees it */
	unmap_ipv4(&e.flow);
	if (cfg.targ_family && e.flow.family != cfg.targ_family)
		return 0;
	if (cfg.filter_ports && !bpf_map_lookup_elem(&ports, &e.flow.dport))
		return 0;
	if (cfg.count_mode) {
		e.flow.sport = 0;
		count_flow(&counts, &e.flow);
		return 0;
	}
	emit(&e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
