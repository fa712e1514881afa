// SPDX-License-Identifier: GPL-2.0
/* oomkill: every OOM kill, with the task that triggered it, its victim, the memory weighed
 * and the trigger's user stack.
 *
 * BCC's probe is oom_kill_process(), whose oom_control has the victim and the total pages:
 * fentry where the kernel allows it, else a kprobe. Without either (this project's development
 * kernel has neither), the oom:mark_victim tracepoint, called from the same place and in the
 * same task: since Linux 6.8 it passes the victim's task; before, only its thread ID. It does
 * not see the total pages.
 */
#include "vmlinux.h"
#include "oomkill.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"

const volatile struct oomkill_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
};

static __always_inline int report(void *ctx, struct task_struct *victim, __u32 victim_tid, __u64 pages)
{
	if (victim ? !task_in_cgroup(&cfg.common, victim) : !current_in_cgroup(&cfg.common))
		return 0;
	struct oomkill_event *e = reserve(sizeof(*e));
	if (!e)
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	e->pages = pages;
	e->fpid = id >> 32;
	e->ftid = (__u32)id;
	e->_pad = 0;
	__builtin_memset(e->tcomm, 0, sizeof(e->tcomm));
	if (victim) {
		e->tpid = BPF_CORE_READ(victim, tgid);
		e->victim = OOMKILL_VICTIM_TASK;
		e->cgroup_id = BPF_CORE_READ(victim, cgroups, dfl_cgrp, kn, id);
		bpf_probe_read_kernel_str(e->tcomm, sizeof(e->tcomm), &victim->comm);
	} else {
		e->tpid = victim_tid;
		e->victim = OOMKILL_VICTIM_TID;
		e->cgroup_id = 0;
	}
	bpf_get_current_comm(e->fcomm, sizeof(e->fcomm));
	e->stack_size = bpf_get_stack(ctx, e->user_stack, sizeof(e->user_stack), BPF_F_USER_STACK);
	submit(e);
	return 0;
}

SEC("fentry/oom_kill_process")
int BPF_PROG(fentry_oom_kill, struct oom_control *oc, const char *message)
{
	return report(ctx, BPF_CORE_READ(oc, chosen), 0, BPF_CORE_READ(oc, totalpages));
}

SEC("kprobe/oom_kill_process")
int BPF_KPROBE(kprobe_oom_kill, struct oom_control *oc, const char *message)
{
	return report(ctx, BPF_CORE_READ(oc, chosen), 0, BPF_CORE_READ(oc, totalpages));
}

/* mark_victim(struct task_struct *task, uid_t uid) since Linux 6.8, mark_victim(int pid)
 * before. A raw tracepoint serves both, told apart by the value: a PID is below 2^22, a
 * kernel pointer in the top half of the address space. (A tp_btf program would make libbpf
 * parse the kernel's whole BTF, 10 ms at every start, and so would asking BTF which it is.) */
SEC("raw_tp/mark_victim")
int raw_mark_victim(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 arg = ctx->args[0];
	if ((__s64)arg < 0)
		return report(ctx, (struct task_struct *)arg, 0, OOMKILL_UNKNOWN_PAGES);
	return report(ctx, NULL, (__u32)arg, OOMKILL_UNKNOWN_PAGES);
}

char LICENSE[] SEC("license") = "GPL";
