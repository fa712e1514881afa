// SPDX-License-Identifier: GPL-2.0
/* syscount: count system calls (and time them, -L) by call or by process, in the kernel.
 *
 * BCC's method on raw_syscalls:sys_enter and sys_exit, as raw tracepoints where the kernel has
 * them (no record is formatted for a perf buffer: they run on every system call), else the
 * classic ones. Counters are per CPU, so no call pays for an atomic add; user space sums them
 * and takes differences between reports.
 */
#include "vmlinux.h"
#include "syscount.h"
#include "common.bpf.h"

#define EEXIST 17

const volatile struct syscount_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
	.targ_syscall = SYSCOUNT_NO_SYSCALL,
	.exit_nr = -1,
	.exit_group_nr = -1,
};

/* By system call number. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SYSCOUNT_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct syscount_value);
} by_syscall SEC(".maps");

/* -P: by process. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10240);  /* sized from user space */
	__type(key, __u32);
	__type(value, struct syscount_value);
} by_process SEC(".maps");

/* --containers: by the task's cgroup v2 ID. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1);  /* sized from user space */
	__type(key, __u64);
	__type(value, struct syscount_value);
} by_cgroup SEC(".maps");

/* -L: when each thread's current call began. LRU: a thread that dies inside a call (killed,
 * or in execve of a process whose other thread exits) leaves no entry to fill the table. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

/* The counters of `key` in a per-CPU hash (-P's processes, --containers' cgroups), made on
 * first use; NULL, counted as lost, when the table is full. */
static __always_inline struct syscount_value *counters_of(void *map, const void *key)
{
	struct syscount_value *value = bpf_map_lookup_elem(map, key);
	if (value)
		return value;
	struct syscount_value zero = {};
	long err = bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count_lost();
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

/* The -p/-t/-c/--cgroup filters, and not the tracer itself. */
static __always_inline bool task_passes(__u64 pid_tgid)
{
	if (!common_filters_pass(&cfg.common))
		return false;
	if (cfg.targ_ppid) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		if (BPF_CORE_READ(task, real_parent, tgid) != cfg.targ_ppid)
			return false;
	}
	return true;
}

static __always_inline int on_enter(long nr)
{
	if (!cfg.latency || nr < 0 || nr == cfg.exit_nr || nr == cfg.exit_group_nr)
		return 0;
	if (cfg.targ_syscall != SYSCOUNT_NO_SYSCALL && nr != cfg.targ_syscall)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!task_passes(pid_tgid))
		return 0;
	__u32 tid = (__u32)pid_tgid;
	__u64 now = bpf_ktime_get_ns();
	/* a thread's entry stays and is written in place from its second call on: an update
	 * (a new element, the old one freed) on every call cost as much as the rest */
	__u64 *began = bpf_map_lookup_elem(&start, &tid);
	if (began)
		*began = now;
	else
		bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

static __always_inline int on_exit(long nr, long ret)
{
	if (nr < 0)  /* not a system call (a skipped one: seccomp, ptrace) */
		return 0;
	if (cfg.targ_syscall != SYSCOUNT_NO_SYSCALL && nr != cfg.targ_syscall)
		return 0;
	if (cfg.failed_only && ret >= 0)
		return 0;
	if (cfg.targ_errno && ret != -(long)cfg.targ_errno)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 elapsed = 0;
	if (cfg.latency) {
		/* the entry program applied the task filters */
		__u32 tid = (__u32)pid_tgid;
		__u64 *began = bpf_map_lookup_elem(&start, &tid);
		if (!began || !*began)  /* 0: no call in progress (its return was counted) */
			return 0;
		elapsed = bpf_ktime_get_ns() - *began;
		*began = 0;
	} else if (!task_passes(pid_tgid)) {
		return 0;
	}

	struct syscount_value *value;
	if (cfg.key_by == SYSCOUNT_BY_CGROUP) {
		__u64 cgroup = bpf_get_current_cgroup_id();
		value = counters_of(&by_cgroup, &cgroup);
	} else if (cfg.key_by == SYSCOUNT_BY_PROCESS) {
		__u32 tgid = pid_tgid >> 32;
		value = counters_of(&by_process, &tgid);
	} else {
		__u32 key = nr;
		value = bpf_map_lookup_elem(&by_syscall, &key);
		if (!value) {
			count_lost();  /* a number beyond the table */
			return 0;
		}
	}
	if (value) {
		/* per CPU, and tracepoint programs do not nest on a CPU: no atomics needed */
		value->count += 1;
		value->total_ns += elapsed;
	}
	return 0;
}

/* The call's number as the architecture keeps it in the registers at entry. */
static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, syscallno);
#else
#error "syscount: no system call number register for this architecture"
#endif
}

SEC("raw_tp/sys_enter")
int raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	return on_enter(ctx->args[1]);
}

SEC("raw_tp/sys_exit")
int raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return on_exit(syscall_nr((struct pt_regs *)ctx->args[0]), ctx->args[1]);
}

struct raw_syscalls_enter_ctx {
	__u64 common;
	long id;
	unsigned long args[6];
};

struct raw_syscalls_exit_ctx {
	__u64 common;
	long id;
	long ret;
};

SEC("tracepoint/raw_syscalls/sys_enter")
int tp_sys_enter(struct raw_syscalls_enter_ctx *ctx)
{
	return on_enter(ctx->id);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tp_sys_exit(struct raw_syscalls_exit_ctx *ctx)
{
	return on_exit(ctx->id, ctx->ret);
}

char LICENSE[] SEC("license") = "GPL";
