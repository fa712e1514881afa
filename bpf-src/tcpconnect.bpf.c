// SPDX-License-Identifier: GPL-2.0
/* tcpconnect: trace active TCP connects, without kprobes.
 *
 * A socket going from CLOSE to SYN_SENT (sock:inet_sock_set_state) is a connect in progress,
 * in the connecting task's context; the local port is only chosen after that, so the socket
 * is remembered per thread and reported when the connect() syscall returns: 0, or
 * EINPROGRESS for a non-blocking socket (the SYN was sent either way, as BCC reports it).
 */
#include "vmlinux.h"
#include "tcpconnect.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "tcp.bpf.h"

#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define EINPROGRESS 115

const volatile struct tcpconnect_cfg cfg = {
	.targ_uid = TOOLS_INVALID_UID,
};

/* Sockets whose connect() is under way, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} connecting SEC(".maps");

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

static __always_inline void syn_sent(const struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_SYN_SENT || oldstate != TCP_CLOSE)
		return;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	if (cfg.targ_tgid && cfg.targ_tgid != tgid)
		return;
	if (cfg.targ_uid != TOOLS_INVALID_UID && cfg.targ_uid != (__u32)bpf_get_current_uid_gid())
		return;
	if (!common_filters_pass(&cfg.common, tgid))
		return;
	__u64 skaddr = (__u64)sk;
	bpf_map_update_elem(&connecting, &tid, &skaddr, BPF_ANY);
}

SEC("raw_tp/inet_sock_set_state")
int raw_set_state(u64 *ctx)
{
	const struct sock *sk = (const struct sock *)ctx[0];
	/* the states first: they are in the arguments, the protocol needs a read */
	if ((int)ctx[2] == TCP_SYN_SENT && (int)ctx[1] == TCP_CLOSE && is_tcp(sk))
		syn_sent(sk, (int)ctx[1], (int)ctx[2]);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tp_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol == IPPROTO_TCP)
		syn_sent((const struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int tp_exit_connect(struct syscall_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 *skaddr = bpf_map_lookup_elem(&connecting, &tid);
	if (!skaddr)
		return 0;
	const struct sock *sk = (const struct sock *)*skaddr;
	bpf_map_delete_elem(&connecting, &tid);
	if (ctx->ret != 0 && ctx->ret != -EINPROGRESS)
		return 0;

	struct tcpconnect_event e = {};
	read_flow(sk, &e.flow);
	if (cfg.targ_family && e.flow.family != cfg.targ_family)
		return 0;
	if (cfg.filter_ports && !bpf_map_lookup_elem(&ports, &e.flow.dport))
		return 0;
	if (cfg.count_mode) {
		e.flow.sport = 0;
		count_flow(&counts, &e.flow);
		return 0;
	}
	e.ts_us = bpf_ktime_get_ns() / 1000;
	e.pid = id >> 32;
	e.uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	emit(&e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
