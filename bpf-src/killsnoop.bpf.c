// SPDX-License-Identifier: GPL-2.0
/* killsnoop: every kill() call, with its signal, target and result.
 *
 * BCC's method: the arguments are kept by thread at entry, the row sent at return. The
 * filters (sender, target, signal) apply at entry, so a filtered call costs one lookup less.
 */
#include "vmlinux.h"
#include "killsnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"

const volatile struct killsnoop_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
};

struct pending {
	__s32 tpid;
	__s32 sig;
};

/* Calls between entry and return, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

static __always_inline int trace_enter(__s32 tpid, __s32 sig)
{
	if (!common_filters_pass(&cfg.common))
		return 0;
	if (cfg.filter_tpid && tpid != cfg.targ_tpid)
		return 0;
	/* a signal outside 0..63 matches no -s list */
	if (cfg.signal_mask && (sig < 0 || sig > 63 || !(cfg.signal_mask & (1ULL << sig))))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending p = { .tpid = tpid, .sig = sig };
	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY))
		count_lost();
	return 0;
}

static __always_inline int trace_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	struct killsnoop_event e = {
		.ts_ns = bpf_ktime_get_ns(),
		.pid = id >> 32,
		.tpid = p->tpid,
		.sig = p->sig,
		.ret = ret,
		.cgroup_id = bpf_get_current_cgroup_id(),
	};
	bpf_map_delete_elem(&pending, &tid);
	if (cfg.failed_only && ret >= 0)
		return 0;
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	emit(&e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_kill")
int tp_enter_kill(struct syscall_enter_ctx *ctx)
{
	return trace_enter((__s32)ctx->args[0], (__s32)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_kill")
int tp_exit_kill(struct syscall_exit_ctx *ctx)
{
	return trace_exit(ctx->ret);
}

SEC("ksyscall/kill")
int BPF_KSYSCALL(ks_enter_kill, int tpid, int sig)
{
	return trace_enter(tpid, sig);
}

SEC("kretsyscall/kill")
int BPF_KRETPROBE(ks_exit_kill, long ret)
{
	return trace_exit(ret);
}

char LICENSE[] SEC("license") = "GPL";
