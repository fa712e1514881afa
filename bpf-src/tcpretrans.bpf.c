// SPDX-License-Identifier: GPL-2.0
/* tcpretrans: trace TCP retransmits (tcp:tcp_retransmit_skb) and, with -l, tail loss probes
 * (tcp_send_loss_probe, which has no tracepoint: fentry or kprobe where the kernel allows).
 */
#include "vmlinux.h"
#include "tcpretrans.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "tcp.bpf.h"

const volatile struct tcpretrans_cfg cfg = {};

/* -c: retransmits by flow. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tcp_flow);
	__type(value, __u64);
} counts SEC(".maps");

static __always_inline void report(const struct sock *sk, const struct sk_buff *skb, __u32 type)
{
	struct tcpretrans_event e = { .type = type, .cgroup_id = sock_cgroup_id(sk) };
	read_flow(sk, &e.flow);
	if (cfg.targ_family && e.flow.family != cfg.targ_family)
		return;
	/* the task on the CPU is whoever the retransmit timer or softirq interrupted: only its
	 * cgroup filters, as BCC's tcpretrans filters nothing else */
	if (!current_in_cgroup(&cfg.common))
		return;
	if (cfg.count_mode) {
		count_flow(&counts, &e.flow);
		return;
	}
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (skb) {
		const struct tcp_skb_cb *tcb = (const struct tcp_skb_cb *)&skb->cb[0];
		e.seq = BPF_CORE_READ(tcb, seq);
	} else {
		e.seq = BPF_CORE_READ((const struct tcp_sock *)sk, snd_nxt);
	}
	emit(&e, sizeof(e));
}

SEC("raw_tp/tcp_retransmit_skb")
int raw_retransmit(u64 *ctx)
{
	report((const struct sock *)ctx[0], (const struct sk_buff *)ctx[1], TCPRETRANS_RETRANSMIT);
	return 0;
}

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tp_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx)
{
	report((const struct sock *)ctx->skaddr, (const struct sk_buff *)ctx->skbaddr, TCPRETRANS_RETRANSMIT);
	return 0;
}

SEC("fentry/tcp_send_loss_probe")
int BPF_PROG(fentry_loss_probe, struct sock *sk)
{
	report(sk, NULL, TCPRETRANS_LOSS_PROBE);
	return 0;
}

SEC("kprobe/tcp_send_loss_probe")
int BPF_KPROBE(kprobe_loss_probe, struct sock *sk)
{
	report(sk, NULL, TCPRETRANS_LOSS_PROBE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
