// SPDX-License-Identifier: GPL-2.0
/* execsnoop: trace execve() and execveat().
 *
 * Where the kernel has bpf_task_pt_regs() and bpf_loop() (5.17+), one program does the work of
 * an exec: a successful one is sent from sched:sched_process_exec, when the new program is set
 * up: its command line is one block of NUL-separated strings in its own memory
 * (mm->arg_start..arg_end, just written by the kernel, so never paged out), copied whole in one
 * call after the file name, with the result, identity and names, as one record; user space
 * applies --max-args and --max-arg-size. A failed exec returns to the old program, whose
 * arguments are still where the caller's saved registers point: the syscall's return program
 * reads them there. No program runs at syscall entry, and no map is written.
 *
 * Before that, arguments are read at syscall entry (afterwards the old address space is gone)
 * and streamed to user space as ARGS records; the EXIT record, sent when the syscall returns,
 * carries the result and the new process's identity. User space joins them by thread id, so an
 * exec is printed once its outcome is known, in the order the execs returned.
 */
#include "vmlinux.h"
#include "execsnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"

const volatile struct execsnoop_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
	.max_args = EXECSNOOP_DEFAULT_MAX_ARGS,
	.max_arg_size = EXECSNOOP_DEFAULT_ARG_SIZE,
};

/* Execs whose entry passed the filters, by thread id, until they return. LRU, so entries of
 * tasks killed inside exec (which never return) cannot fill it up. */
struct pending {
	__u32 tid;          /* thread id at entry: the key of its ARGS records */
	__u32 flags;
	__u32 args_count;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps");

/* State of one exec's argument copy, carried across bpf_loop() iterations. It lives in map
 * memory, not on the stack, on purpose: the verifier tracks stack values exactly, so it would
 * see a new state in every iteration and give up; map values are opaque to it. */
struct copy_state {
	const char *const *argv;
	const char *cur;     /* argument being copied; NULL: fetch argv[argi] next */
	__u32 argi;          /* its index; 0 is the filename */
	__u32 done;          /* bytes of it copied so far */
	__u32 off;           /* bytes in data */
	__u32 argv_empty;
	struct pending p;
};

/* Per-CPU scratch: the copy state, then a record and its text. ARGS records are sent from hdr
 * on, whole-exec records from e on: both headers end where data begins. */
struct args_buf {
	struct copy_state st;
	union {
		struct {
			char _room[sizeof(struct execsnoop_exit) - sizeof(struct execsnoop_args_hdr)];
			struct execsnoop_args_hdr hdr;
		};
		struct execsnoop_exit e;
	};
	char data[2 * EXECSNOOP_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct args_buf);
} args_scratch SEC(".maps");

static __always_inline void flush(struct args_buf *b, __u32 size)
{
	size &= 2 * EXECSNOOP_CHUNK - 1;
	b->hdr.size = size;
	emit(&b->hdr, sizeof(b->hdr) + size);
	b->hdr.flags = 0;  /* a RESTART applies to the first record only */
}

/* One piece of one argument per call; bpf_loop() keeps the verifier's work independent of the
 * number of arguments (a plain bounded loop of this size is rejected as too complex). */
static __always_inline long copy_piece_limited(void *ctx, __u64 arg_limit)
{
	struct args_buf *b = *(struct args_buf **)ctx;
	struct copy_state *s = &b->st;

	if (!s->cur) {
		if (s->argv_empty)
			return 1;
		if (s->argi >= cfg.max_args) {
			const char *more = NULL;
			bpf_probe_read_user(&more, sizeof(more), &s->argv[s->argi]);
			if (more)
				s->p.flags |= EXECSNOOP_F_MORE_ARGS;
			return 1;
		}
		if (bpf_probe_read_user(&s->cur, sizeof(s->cur), &s->argv[s->argi]) || !s->cur)
			return 1;
		s->done = 0;
	}
	if (s->off >= EXECSNOOP_CHUNK) {
		flush(b, s->off);
		s->off = 0;
	}
	__u32 off = s->off & (EXECSNOOP_CHUNK - 1);
	/* 64-bit on purpose: with 32-bit math the compiler clamps a zero-extended copy and passes
	 * the unclamped register, which the verifier rejects */
	__u64 limit = arg_limit, done = s->done;
	__u64 piece = limit >= done ? limit - done + 1 : 1;
	if (piece > EXECSNOOP_CHUNK)
		piece = EXECSNOOP_CHUNK;
	long n = bpf_probe_read_user_str(&b->data[off], piece, s->cur + s->done);
	if (n <= 0) {
		/* unreadable (not faulted in, or a bad pointer): keep an empty argument */
		b->data[off] = 0;
		s->off = off + 1;
		s->p.flags |= EXECSNOOP_F_FAULT;
	} else if ((__u32)n < piece) {
		s->off = off + n;  /* the rest of the argument and its NUL */
	} else {
		/* piece - 1 bytes and a NUL were copied; the argument may go on */
		s->off = off + n - 1;
		s->done += n - 1;
		if (s->done < arg_limit)
			return 0;  /* the next piece overwrites this NUL */
		char next = 0;
		bpf_probe_read_user(&next, 1, s->cur + s->done);
		if (next)
			s->p.flags |= EXECSNOOP_F_ARG_CUT;
		s->off += 1;  /* keep the NUL */
	}
	s->p.args_count++;
	s->argi++;
	s->cur = NULL;
	return 0;
}

/* bpf_loop's callback: arguments kept up to --max-arg-size. The limit comes from the read-only
 * config, a constant to the verifier (a limit read from map memory made 6.1's verifier spin). */
static long copy_piece(__u32 index, void *ctx)
{
	return copy_piece_limited(ctx, cfg.max_arg_size);
}

/* Kernels before 5.17 have no bpf_loop(): their programs (*_noloop) copy with a bounded loop
 * the verifier can follow: EXECSNOOP_NOLOOP_MAX_ARGS arguments of up to EXECSNOOP_NOLOOP_ARG_SIZE
 * bytes (one piece each), whatever --max-args and --max-arg-size ask; what is left out is
 * flagged as cut, and reported, as everywhere. */
#define EXECSNOOP_NOLOOP_MAX_ARGS 20
#define EXECSNOOP_NOLOOP_ARG_SIZE 255

static __always_inline void copy_args(struct args_buf *b, bool loop)
{
	if (loop) {
		bpf_loop(EXECSNOOP_MAX_PIECES, copy_piece, &b, 0);  /* bpf_loop's context must be on the stack */
		return;
	}
	for (__u32 i = 0; i <= EXECSNOOP_NOLOOP_MAX_ARGS; i++) {
		if (b->st.argi >= EXECSNOOP_NOLOOP_MAX_ARGS && b->st.argi < cfg.max_args) {
			b->st.p.flags |= EXECSNOOP_F_MORE_ARGS;  /* this kernel's limit, not the user's */
			break;
		}
		if (copy_piece_limited(&b, cfg.max_arg_size < EXECSNOOP_NOLOOP_ARG_SIZE ? cfg.max_arg_size : EXECSNOOP_NOLOOP_ARG_SIZE))
			break;
	}
}

/* Sends the arguments of an exec being entered (or that failed) by the current thread as ARGS
 * records; the copy state, whose `p` says what was sent, or NULL when the filters leave the
 * exec out. */
static __always_inline struct args_buf *send_args(const char *filename, const char *const *argv, bool loop)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 zero = 0;

	if (!common_filters_pass(&cfg.common))
		return NULL;
	if (cfg.targ_ppid) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		if ((__u32)BPF_CORE_READ(task, real_parent, tgid) != cfg.targ_ppid)
			return NULL;
	}

	struct args_buf *b = bpf_map_lookup_elem(&args_scratch, &zero);
	if (!b)
		return NULL;
	b->hdr.type = EXECSNOOP_REC_ARGS;
	b->hdr.tid = tid;
	b->hdr.flags = 0;

	struct copy_state *s = &b->st;
	const char *argv0 = NULL;
	s->argv = argv;
	s->cur = filename;
	s->argi = 0;
	s->done = 0;
	s->off = 0;
	/* argv may be empty; then argv[1] would be the environment, so stop after the filename */
	s->argv_empty = bpf_probe_read_user(&argv0, sizeof(argv0), &argv[0]) || !argv0;
	s->p = (struct pending){ .tid = tid };
	copy_args(b, loop);
	if (s->off)
		flush(b, s->off);
	return b;
}

static __always_inline int trace_enter(const char *filename, const char *const *argv, bool loop)
{
	struct args_buf *b = send_args(filename, argv, loop);
	if (b)
		bpf_map_update_elem(&pending, &b->st.p.tid, &b->st.p, BPF_ANY);
	return 0;
}

/* The EXIT record of the exec `p` describes, which returned `ret`. */
static __always_inline void send_exit(long ret, const struct pending *p)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct execsnoop_exit e = {
		.type = EXECSNOOP_REC_EXIT,
		.tid = p->tid,
		.pid = id >> 32,
		.uid = (__u32)bpf_get_current_uid_gid(),
		.retval = ret,
		.cpu = bpf_get_smp_processor_id(),
		.flags = p->flags,
		.args_count = p->args_count,
		.ts_ns = bpf_ktime_get_ns(),
		.cgroup_id = cfg.want_cgroup_id ? bpf_get_current_cgroup_id() : 0,
	};
	e.ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	BPF_CORE_READ_STR_INTO(&e.pcomm, task, real_parent, comm);
	emit(&e, sizeof(e));
}

static __always_inline int trace_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	struct pending copy = *p;
	bpf_map_delete_elem(&pending, &tid);
	send_exit(ret, &copy);
	return 0;
}

/* With the arguments at exec (tp_sched_exec_args): only a failed exec is sent from here, its
 * arguments read where the saved registers point (the caller's memory, unchanged). */
static __always_inline int trace_exit_regs(long ret, bool at)
{
	if (ret >= 0)
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	const char *filename = (const char *)(at ? PT_REGS_PARM2_SYSCALL(regs) : PT_REGS_PARM1_SYSCALL(regs));
	const char *const *argv = (const char *const *)(at ? PT_REGS_PARM3_SYSCALL(regs) : PT_REGS_PARM2_SYSCALL(regs));
	struct args_buf *b = send_args(filename, argv, true);
	if (b)
		send_exit(ret, &b->st.p);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_enter_execve(struct syscall_enter_ctx *ctx)
{
	return trace_enter((const char *)ctx->args[0], (const char *const *)ctx->args[1], true);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int tp_enter_execve_noloop(struct syscall_enter_ctx *ctx)
{
	return trace_enter((const char *)ctx->args[0], (const char *const *)ctx->args[1], false);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tp_enter_execveat(struct syscall_enter_ctx *ctx)
{
	return trace_enter((const char *)ctx->args[1], (const char *const *)ctx->args[2], true);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int tp_enter_execveat_noloop(struct syscall_enter_ctx *ctx)
{
	return trace_enter((const char *)ctx->args[1], (const char *const *)ctx->args[2], false);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_execve(struct syscall_exit_ctx *ctx)
{
	return trace_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tp_exit_execveat(struct syscall_exit_ctx *ctx)
{
	return trace_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tp_exit_execve_regs(struct syscall_exit_ctx *ctx)
{
	return trace_exit_regs(ctx->ret, false);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int tp_exit_execveat_regs(struct syscall_exit_ctx *ctx)
{
	return trace_exit_regs(ctx->ret, true);
}

/* sched:sched_process_exec's record; stable since Linux 3.4 (see the syscall contexts). */
struct sched_process_exec_ctx {
	__u64 common;
	__u32 filename_loc;  /* __data_loc: offset (low 16 bits) and length of the file name */
	__s32 pid;
	__s32 old_pid;
};

/* The exec succeeded and the new program is set up. Two repairs happen here:
 * - a thread other than the leader that execs takes over the leader's id (de_thread), so the
 *   syscall returns under another id than it entered with: its pending entry moves along;
 * - an argument that could not be read at entry (its page of the old program was never
 *   touched, so not yet faulted in: BCC then prints it empty) is read again, from the new
 *   program's stack, where the kernel has just copied every argument, and the file name from
 *   this tracepoint's own record. */
static __always_inline struct pending *rekey(struct sched_process_exec_ctx *ctx, struct pending *copy)
{
	__u32 old_tid = ctx->old_pid, new_tid = ctx->pid;
	struct pending *p = bpf_map_lookup_elem(&pending, &old_tid);
	if (!p)
		return NULL;
	*copy = *p;
	if (old_tid != new_tid) {
		bpf_map_update_elem(&pending, &new_tid, copy, BPF_ANY);
		bpf_map_delete_elem(&pending, &old_tid);
	}
	return copy;
}

/* Before 5.17 (no bpf_loop, and before 5.15 no bpf_task_pt_regs): the re-key only. */
SEC("tracepoint/sched/sched_process_exec")
int tp_sched_exec_noloop(struct sched_process_exec_ctx *ctx)
{
	struct pending copy;
	rekey(ctx, &copy);
	return 0;
}

/* Sends the new program's arguments, from its stack (argc, then argv[]), piece by piece as ARGS
 * records under `tid`, the file name first, from this tracepoint's record: the copy state, whose
 * `p` says what was sent, or NULL. */
static __always_inline struct args_buf *send_args_from_new_stack(struct sched_process_exec_ctx *ctx, __u32 tid, __u32 flags)
{
	__u32 zero = 0;
	struct args_buf *b = bpf_map_lookup_elem(&args_scratch, &zero);
	if (!b)
		return NULL;
	unsigned long sp = PT_REGS_SP_CORE((struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf()));
	long argc = 0;
	if (bpf_probe_read_user(&argc, sizeof(argc), (void *)sp))
		return NULL;

	b->hdr.type = EXECSNOOP_REC_ARGS;
	b->hdr.tid = tid;
	b->hdr.flags = EXECSNOOP_ARGS_F_RESTART;
	long n = bpf_probe_read_kernel_str(b->data, EXECSNOOP_CHUNK, (char *)ctx + (ctx->filename_loc & 0xffff));
	if (n <= 0) {
		b->data[0] = 0;
		n = 1;
	}
	struct copy_state *s = &b->st;
	s->argv = (const char *const *)(sp + sizeof(long));  /* argc, then argv[] */
	s->cur = NULL;
	s->argi = 1;
	s->done = 0;
	s->off = n & (EXECSNOOP_CHUNK - 1);
	s->argv_empty = argc <= 1;
	s->p = (struct pending){ .tid = tid, .flags = flags, .args_count = 1 };
	bpf_loop(EXECSNOOP_MAX_PIECES, copy_piece, &b, 0);
	flush(b, s->off);
	return b;
}

SEC("tracepoint/sched/sched_process_exec")
int tp_sched_exec(struct sched_process_exec_ctx *ctx)
{
	__u32 new_tid = ctx->pid;
	struct pending copy;
	if (!rekey(ctx, &copy) || !(copy.flags & EXECSNOOP_F_FAULT))
		return 0;
	struct args_buf *b = send_args_from_new_stack(ctx, copy.tid, copy.flags & ~EXECSNOOP_F_FAULT);
	if (!b)
		return 0;
	struct pending *moved = bpf_map_lookup_elem(&pending, &new_tid);
	if (moved) {
		moved->flags = b->st.p.flags;
		moved->args_count = b->st.p.args_count;
	}
	return 0;
}

/* A successful exec, whole (see the top of this file): the record, the file name (this
 * tracepoint's: what the caller passed, or /dev/fd/N/... for execveat() relative to a
 * directory fd), then the command line as the new program's mm holds it. */
SEC("tracepoint/sched/sched_process_exec")
int tp_sched_exec_args(struct sched_process_exec_ctx *ctx)
{
	__u32 zero = 0;
	if (!common_filters_pass(&cfg.common))
		return 0;
	/* Direct loads through the task's BTF, not a helper call per field (~40 ns each); the
	 * verifier pays for every walk from the task (one per field took it 11 ms to load), so
	 * the parent is reached once. */
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *parent = task->real_parent;
	if (cfg.targ_ppid && (__u32)parent->tgid != cfg.targ_ppid)
		return 0;
	struct mm_struct *mm = task->mm;
	unsigned long start = mm->arg_start, end = mm->arg_end;
	__u64 len = end - start;
	if (end < start || len >= EXECSNOOP_WHOLE_MAX) {
		/* a long command line: piece by piece, cut to the limits here */
		struct args_buf *b = send_args_from_new_stack(ctx, ctx->pid, 0);
		if (b)
			send_exit(0, &b->st.p);
		return 0;
	}
	struct args_buf *b = bpf_map_lookup_elem(&args_scratch, &zero);
	if (!b)
		return 0;
	long n = bpf_probe_read_kernel_str(b->data, 4096, (char *)ctx + (ctx->filename_loc & 0xffff));
	if (n <= 0) {
		b->data[0] = 0;
		n = 1;
	}
	__u64 off = n;
	if (off > 4096)
		off = 4096;
	__u32 flags = EXECSNOOP_F_WHOLE;
	if (len && bpf_probe_read_user(&b->data[off], len, (const void *)start)) {
		flags |= EXECSNOOP_F_FAULT;
		len = 0;
	}
	__u64 id = bpf_get_current_pid_tgid();
	struct execsnoop_exit *e = &b->e;
	e->type = EXECSNOOP_REC_EXIT;
	e->tid = ctx->pid;
	e->pid = id >> 32;
	e->ppid = parent->tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->retval = 0;
	e->cpu = bpf_get_smp_processor_id();
	e->flags = flags;
	e->args_count = 0;
	e->args_size = off + len;
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = cfg.want_cgroup_id ? bpf_get_current_cgroup_id() : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->pcomm, sizeof(e->pcomm), parent->comm);
	emit(e, sizeof(*e) + ((off + len) & (2 * EXECSNOOP_CHUNK - 1)));
	return 0;
}

/* Fallbacks for kernels without syscall tracepoints (CONFIG_FTRACE_SYSCALLS unset). */
SEC("ksyscall/execve")
int BPF_KSYSCALL(ks_enter_execve, const char *filename, const char *const *argv)
{
	return trace_enter(filename, argv, true);
}

SEC("ksyscall/execveat")
int BPF_KSYSCALL(ks_enter_execveat, int fd, const char *filename, const char *const *argv)
{
	return trace_enter(filename, argv, true);
}

SEC("kretsyscall/execve")
int BPF_KRETPROBE(ks_exit_execve, long ret)
{
	return trace_exit(ret);
}

SEC("kretsyscall/execveat")
int BPF_KRETPROBE(ks_exit_execveat, long ret)
{
	return trace_exit(ret);
}

SEC("kretsyscall/execve")
int BPF_KRETPROBE(ks_exit_execve_regs, long ret)
{
	return trace_exit_regs(ret, false);
}

SEC("kretsyscall/execveat")
int BPF_KRETPROBE(ks_exit_execveat_regs, long ret)
{
	return trace_exit_regs(ret, true);
}

char LICENSE[] SEC("license") = "GPL";
