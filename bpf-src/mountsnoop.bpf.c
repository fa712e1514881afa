// SPDX-License-Identifier: GPL-2.0
/* mountsnoop: mount(), umount() and the new mount API's fsopen(), fsconfig(), fsmount() and
 * move_mount(), each with its arguments and result, as one record at the return.
 *
 * BCC sends each argument as its own perf record at entry and joins them in Python, cut to
 * 412 bytes (32 for fsconfig's, 128 for move_mount's paths). Here the raw arguments are kept
 * by thread at entry and the strings read at the return, whole (up to the 4 KiB the kernel
 * reads), back to back into a per-CPU record sent with its actual length (a ring-buffer
 * reservation has a fixed size: 16 KiB per call, which took a 4 MiB ring); the pointers are
 * the caller's own, still valid, and 16 KiB of strings fit no BPF stack.
 */
#include "vmlinux.h"
#include "mountsnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"

const volatile struct mountsnoop_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
};

struct pending {
	__u32 call;
	__u32 _pad;
	__u64 args[5];
};

/* Calls between entry and return, by thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

struct record {
	struct mountsnoop_event e;
	char str[MOUNTSNOOP_STRS * MOUNTSNOOP_STR_MAX];
};

/* Where a record is put together before it is sent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct record);
} scratch SEC(".maps");

static __always_inline int trace_enter(__u32 call, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	if (!common_filters_pass(&cfg.common))
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending p = { .call = call, .args = { a0, a1, a2, a3, a4 } };
	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY))
		count_lost();
	return 0;
}

/* Reads string `slot` at `off` in the record; returns where the next one goes. */
static __always_inline __u32 read_str(struct record *r, __u32 off, int slot, __u64 ptr)
{
	if (off > (MOUNTSNOOP_STRS - 1) * MOUNTSNOOP_STR_MAX)  /* never: each string is at most STR_MAX */
		off = (MOUNTSNOOP_STRS - 1) * MOUNTSNOOP_STR_MAX;
	long n = ptr ? bpf_probe_read_user_str(&r->str[off], MOUNTSNOOP_STR_MAX, (const void *)ptr) : 0;
	r->e.str_len[slot] = n > 0 ? n : 0;
	return off + (n > 0 ? n : 0);
}

static __always_inline int trace_exit(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	__u32 zero = 0, off = 0;
	struct record *r = bpf_map_lookup_elem(&scratch, &zero);
	if (!r) {
		bpf_map_delete_elem(&pending, &tid);
		return 0;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent = BPF_CORE_READ(task, real_parent);
	__builtin_memset(&r->e, 0, sizeof(r->e));
	r->e.ts_ns = bpf_ktime_get_ns();
	r->e.call = p->call;
	r->e.pid = id >> 32;
	r->e.tid = tid;
	r->e.ppid = BPF_CORE_READ(parent, tgid);
	r->e.mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	r->e.cgroup_id = bpf_get_current_cgroup_id();
	r->e.ret = ret;
	bpf_get_current_comm(&r->e.comm, sizeof(r->e.comm));
	bpf_probe_read_kernel_str(&r->e.pcomm, sizeof(r->e.pcomm), &parent->comm);
	__u64 *a = p->args;
	switch (p->call) {
	case MOUNTSNOOP_MOUNT:  /* source, target, type, flags, data */
		off = read_str(r, off, 0, a[0]);
		off = read_str(r, off, 1, a[1]);
		off = read_str(r, off, 2, a[2]);
		off = read_str(r, off, 3, a[4]);
		r->e.flags = a[3];
		break;
	case MOUNTSNOOP_UMOUNT:  /* target, int flags */
		off = read_str(r, off, 0, a[0]);
		r->e.flags = (__u64)(long)(int)a[1];
		break;
	case MOUNTSNOOP_FSOPEN:  /* fs_name, unsigned int flags */
		off = read_str(r, off, 0, a[0]);
		r->e.flags = (__u32)a[1];
		break;
	case MOUNTSNOOP_FSCONFIG:  /* fd, cmd, key, value, aux */
		r->e.fd = (int)a[0];
		r->e.arg = (__u32)a[1];
		off = read_str(r, off, 0, a[2]);
		off = read_str(r, off, 1, a[3]);
		r->e.aux = (__u32)a[4];
		break;
	case MOUNTSNOOP_FSMOUNT:  /* fs_fd, flags, attr_flags */
		r->e.fd = (int)a[0];
		r->e.flags = (__u32)a[1];
		r->e.arg = (__u32)a[2];
		break;
	case MOUNTSNOOP_MOVE_MOUNT:  /* from_dfd, from_pathname, to_dfd, to_pathname, flags */
		r->e.fd = (int)a[0];
		off = read_str(r, off, 0, a[1]);
		r->e.fd2 = (int)a[2];
		off = read_str(r, off, 1, a[3]);
		r->e.flags = (__u32)a[4];
		break;
	}
	bpf_map_delete_elem(&pending, &tid);
	if (off > MOUNTSNOOP_STRS * MOUNTSNOOP_STR_MAX)
		off = MOUNTSNOOP_STRS * MOUNTSNOOP_STR_MAX;
	emit(r, sizeof(r->e) + off);
	return 0;
}

/* The programs of one call: its syscall tracepoints, and ksyscall probes where there are none.
 * A tracepoint program reads only the arguments its call has: reading past the end of the
 * tracepoint's record makes the kernel refuse to attach it (EACCES). */
#define TRACE_CALL(name, CALL, ARGS)							\
SEC("tracepoint/syscalls/sys_enter_" #name)						\
int tp_enter_##name(struct syscall_enter_ctx *ctx)					\
{											\
	return trace_enter(CALL, ARGS);							\
}											\
SEC("tracepoint/syscalls/sys_exit_" #name)						\
int tp_exit_##name(struct syscall_exit_ctx *ctx)					\
{											\
	return trace_exit(ctx->ret);							\
}											\
SEC("ksyscall/" #name)									\
int BPF_KSYSCALL(ks_enter_##name, unsigned long a0, unsigned long a1, unsigned long a2,	\
		 unsigned long a3, unsigned long a4)					\
{											\
	return trace_enter(CALL, a0, a1, a2, a3, a4);					\
}											\
SEC("kretsyscall/" #name)								\
int BPF_KRETPROBE(ks_exit_##name, long ret)						\
{											\
	return trace_exit(ret);								\
}

#define ARGS2 ctx->args[0], ctx->args[1], 0, 0, 0
#define ARGS3 ctx->args[0], ctx->args[1], ctx->args[2], 0, 0
#define ARGS5 ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], ctx->args[4]

TRACE_CALL(mount, MOUNTSNOOP_MOUNT, ARGS5)
TRACE_CALL(umount, MOUNTSNOOP_UMOUNT, ARGS2)
TRACE_CALL(fsopen, MOUNTSNOOP_FSOPEN, ARGS2)
TRACE_CALL(fsconfig, MOUNTSNOOP_FSCONFIG, ARGS5)
TRACE_CALL(fsmount, MOUNTSNOOP_FSMOUNT, ARGS3)
TRACE_CALL(move_mount, MOUNTSNOOP_MOVE_MOUNT, ARGS5)

char LICENSE[] SEC("license") = "GPL";
