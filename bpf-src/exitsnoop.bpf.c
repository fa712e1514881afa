// SPDX-License-Identifier: GPL-2.0
/* exitsnoop: every process (or thread) exit, with its age and exit code or signal.
 *
 * BCC's method, on sched_process_exit, where the exiting task is the one on the CPU and its
 * exit_code is already set: the raw tracepoint where there is one, else the classic one.
 */
#include "vmlinux.h"
#include "exitsnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"

const volatile struct exitsnoop_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
};

static __always_inline int process_exit(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	/* a process ends when its leader does (BCC's rule); --per-thread shows every thread */
	if (!cfg.per_thread && tid != tgid)
		return 0;
	if (!common_filters_pass(&cfg.common))
		return 0;
	__u32 code = BPF_CORE_READ(task, exit_code);
	if (cfg.failed_only && code == 0)
		return 0;
	struct exitsnoop_event e = {
		.start_ns = BPF_CORE_READ(task, start_time),
		.exit_ns = bpf_ktime_get_ns(),
		.pid = tgid,
		.tid = tid,
		.ppid = BPF_CORE_READ(task, real_parent, tgid),
		.exit_code = code,
		.cgroup_id = bpf_get_current_cgroup_id(),
	};
	bpf_get_current_comm(&e.comm, sizeof(e.comm));
	emit(&e, sizeof(e));
	return 0;
}

SEC("raw_tp/sched_process_exit")
int raw_exit(void *ctx)
{
	return process_exit();
}

SEC("tracepoint/sched/sched_process_exit")
int tp_exit(void *ctx)
{
	return process_exit();
}

char LICENSE[] SEC("license") = "GPL";
