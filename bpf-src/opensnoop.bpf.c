// SPDX-License-Identifier: GPL-2.0
/* opensnoop: trace open(), openat() and openat2().
 *
 * Where the kernel has bpf_task_pt_regs() (5.15+), one program per call runs, at its return:
 * the arguments are still in the task's saved user registers (a syscall returns its value in
 * another register), so nothing runs at entry and no per-thread map is written and deleted, and
 * the caller is read from its task_struct; 0.3-0.5 us per open against about 0.8 for the entry
 * and return pair (bpf_stats). Before that, the file name pointer and flags are kept at
 * syscall entry; at return the name is read (user memory is still the caller's) and sent with
 * the result. With -F a relative name gets
 * the directories to prefix it with: the opened file's own path when the open succeeded, else
 * the directory it was relative to (the cwd or the dirfd), walked up through mounts.
 */
#include "vmlinux.h"
#include "opensnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"

#define AT_FDCWD -100

const volatile struct opensnoop_cfg cfg = {
	.common.targ_uid = TOOLS_INVALID_UID,
};

/* openat2's argument (uapi, fixed layout: no CO-RE needed) */
struct open_how_abi {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

struct open_args {
	const char *fname;
	__u64 flags;
	__u32 mode;
	__s32 dfd;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct open_args);
} start SEC(".maps");

#define DATA_MASK (OPENSNOOP_PATH_MAX + OPENSNOOP_DIRS_SIZE + 4096 - 1)  /* 16 KiB - 1 */

/* State of the -F directory walk, carried across bpf_loop() iterations. It lives in map memory,
 * not on the stack: the verifier would track stack values exactly and explore every depth. */
struct walk_state {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	__u32 at;      /* where the names start in data (right after the path) */
	__u32 off;     /* bytes of names written */
	__u32 count;
	__u32 done;
};

/* Per-CPU scratch the event is built in: header, path, then directory names right after it. */
struct event_buf {
	struct walk_state walk;
	struct opensnoop_event e;
	char data[DATA_MASK + 1 + OPENSNOOP_NAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_buf);
} scratch SEC(".maps");

static __always_inline int trace_enter(int dfd, const char *fname, __u64 flags, __u32 mode)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!common_filters_pass(&cfg.common))
		return 0;
	if (cfg.flag_mask && !(flags & cfg.flag_mask))
		return 0;

	struct open_args args = { .fname = fname, .flags = flags, .mode = mode, .dfd = dfd };
	bpf_map_update_elem(&start, &tid, &args, BPF_ANY);
	return 0;
}

static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= max)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file;
}

/* One step up from the current dentry: a name, or a crossing to the parent mount. */
static long walk_step(__u32 index, void *ctx)
{
	struct event_buf *b = *(struct event_buf **)ctx;
	struct walk_state *w = &b->walk;
	/* locals first: BPF_CORE_READ relocates its whole expression against kernel types */
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

	if (dentry == mnt_root || dentry == parent) {
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt_parent == mnt || !mnt_parent) {
			w->done = 1;  /* the root of the mount tree */
			return 1;
		}
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mnt_parent;
		w->vfsmnt = (struct vfsmount *)__builtin_preserve_access_index(&mnt_parent->mnt);
		return 0;
	}
	if (w->off >= OPENSNOOP_DIRS_SIZE)
		return 1;
	const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
	long n = bpf_probe_read_kernel_str(&b->data[(w->at + w->off) & DATA_MASK], OPENSNOOP_NAME_MAX, name);
	if (n <= 0)
		return 1;
	w->off += n;
	w->count++;
	w->dentry = parent;
	return 0;
}

/* Writes the names of `dentry` and its ancestors, leaf first, NUL-terminated, after the path,
 * crossing mount points up to the root of the mount tree. */
static __always_inline void walk_path(struct event_buf *b, __u32 at, struct dentry *dentry, struct vfsmount *vfsmnt)
{
	struct walk_state *w = &b->walk;
	w->dentry = dentry;
	w->vfsmnt = vfsmnt;
	w->mnt = container_of(vfsmnt, struct mount, mnt);
	w->at = at;
	w->off = 0;
	w->count = 0;
	w->done = 0;
	bpf_loop(OPENSNOOP_MAX_DEPTH * 2, walk_step, &b, 0);  /* bpf_loop's context must be on the stack */
	if (!w->done)
		b->e.event_flags |= OPENSNOOP_F_DIR_CUT;
	b->e.dirs_size = w->off > OPENSNOOP_DIRS_SIZE + OPENSNOOP_NAME_MAX ? 0 : w->off;
	b->e.dirs_count = w->count;
}

/* The event's fields but the path's: the same on the stack and in the per-CPU buffer. */
static __always_inline void fill_event(struct opensnoop_event *e, long ret, const struct open_args *args,
				       const struct caller *c, __u64 ts)
{
	e->ts_ns = ts;
	e->pid = c->tgid;
	e->tid = c->tid;
	e->uid = c->uid;
	e->ret = ret;
	e->flags = args->flags;
	e->mode = args->mode;
	e->dirs_size = 0;
	e->dirs_count = 0;
	e->event_flags = 0;
	e->cgroup_id = cfg.want_cgroup_id ? bpf_get_current_cgroup_id() : 0;
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
}

/* `full_path` is a constant in each program: the -F variants are separate programs, so that
 * without -F libbpf need not relocate (and search the kernel's BTF for) the ten kernel types
 * the directory walk reads, which took a third of the start-up time. */
static __always_inline int report(long ret, struct open_args args, const struct caller *c, bool full_path)
{
	__u32 zero = 0;
	if (cfg.failed_only && ret >= 0)
		return 0;
	/* the clock only for what shows it (-T, --json, --otlp): ~35 ns per open otherwise spared */
	__u64 ts = cfg.want_timestamp ? bpf_ktime_get_ns() : 0;

	/* Most paths are short: the event is built on the stack and sent from there. Copying a
	 * user string into map memory costs twice as much as into the stack (~0.23 us more per
	 * open, measured): the kernel's hardened usercopy looks up the map's vmalloc area for
	 * every copy into it. A longer (or unreadable) path, and -F, take the per-CPU buffer. */
	if (!full_path) {
		struct {
			struct opensnoop_event e;
			char path[OPENSNOOP_SHORT_PATH];
		} s;
		long n = bpf_probe_read_user_str(s.path, sizeof(s.path), args.fname);
		if (n > 0 && n < (long)sizeof(s.path)) {
			fill_event(&s.e, ret, &args, c, ts);
			s.e.path_size = n;
			/* clang knows 0 < n < 128 and would drop the mask; older verifiers (6.12 and
			 * before) do not, and refuse a size they cannot bound */
			__u64 len = n;
			barrier_var(len);
			emit(&s, sizeof(s.e) + (len & (OPENSNOOP_SHORT_PATH - 1)));
			return 0;
		}
	}

	struct event_buf *b = bpf_map_lookup_elem(&scratch, &zero);
	if (!b)
		return 0;
	struct opensnoop_event *e = &b->e;
	fill_event(e, ret, &args, c, ts);

	long n = bpf_probe_read_user_str(b->data, OPENSNOOP_PATH_MAX, args.fname);
	if (n <= 0) {
		b->data[0] = 0;
		n = 1;
	}
	__u32 path_size = n & (OPENSNOOP_PATH_MAX * 2 - 1);
	e->path_size = path_size;

	if (full_path && b->data[0] != '/') {
		/* BCC's -F: the directory the name starts from (the working directory, or openat's
		 * dirfd) joined with the name as given; with --resolved-path, a successful open's own
		 * path (links and ".." resolved) */
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		struct file *file = NULL;
		bool own = ret >= 0 && cfg.resolved_path;
		if (own) {
			file = fd_file(task, ret);
			e->event_flags |= OPENSNOOP_F_DIR_FROM_FILE;
		} else if (args.dfd != AT_FDCWD) {
			file = fd_file(task, args.dfd);
			e->event_flags |= OPENSNOOP_F_DIR_FROM_BASE;
		}
		if (file) {
			walk_path(b, path_size, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt));
		} else if (!own && args.dfd == AT_FDCWD) {
			e->event_flags |= OPENSNOOP_F_DIR_FROM_BASE;
			walk_path(b, path_size, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt));
		}
	}

	__u64 size = sizeof(*e) + (__u64)path_size + e->dirs_size;
	if (size > sizeof(*b) - sizeof(b->walk))
		size = sizeof(*b) - sizeof(b->walk);
	emit(e, size);
	return 0;
}

/* The return, with the arguments kept at entry. */
static __always_inline int trace_exit(long ret, bool full_path)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args *ap = bpf_map_lookup_elem(&start, &tid);
	if (!ap)
		return 0;
	struct open_args args = *ap;
	bpf_map_delete_elem(&start, &tid);
	struct caller c;
	caller_from_helpers(&c);
	return report(ret, args, &c, full_path);
}

#define CALL_OPEN 0
#define CALL_OPENAT 1
#define CALL_OPENAT2 2

/* The return alone: the arguments from the task's saved user registers, the caller from its
 * task_struct (both need the task's BTF pointer, which this variant's kernels have). */
static __always_inline int trace_exit_regs(long ret, int call, bool full_path)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct caller c;
	caller_from_task(&c, task);
	if (!caller_passes(&cfg.common, &c))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct open_args args = { .dfd = AT_FDCWD };
	if (call == CALL_OPEN) {
		args.fname = (const char *)PT_REGS_PARM1_SYSCALL(regs);
		args.flags = (__u32)PT_REGS_PARM2_SYSCALL(regs);
		args.mode = PT_REGS_PARM3_SYSCALL(regs);
	} else {
		args.dfd = (int)PT_REGS_PARM1_SYSCALL(regs);
		args.fname = (const char *)PT_REGS_PARM2_SYSCALL(regs);
		if (call == CALL_OPENAT) {
			args.flags = (__u32)PT_REGS_PARM3_SYSCALL(regs);
			args.mode = PT_REGS_PARM4_SYSCALL(regs);
		} else {
			struct open_how_abi how = {};
			bpf_probe_read_user(&how, sizeof(how), (void *)PT_REGS_PARM3_SYSCALL(regs));
			args.flags = how.flags;
			args.mode = how.mode;
		}
	}
	if (cfg.flag_mask && !(args.flags & cfg.flag_mask))
		return 0;
	return report(ret, args, &c, full_path);
}

SEC("tracepoint/syscalls/sys_enter_open")
int tp_enter_open(struct syscall_enter_ctx *ctx)
{
	return trace_enter(AT_FDCWD, (const char *)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_enter_openat(struct syscall_enter_ctx *ctx)
{
	return trace_enter(ctx->args[0], (const char *)ctx->args[1], ctx->args[2], ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int tp_enter_openat2(struct syscall_enter_ctx *ctx)
{
	struct open_how_abi how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return trace_enter(ctx->args[0], (const char *)ctx->args[1], how.flags, how.mode);
}

#define TP_EXIT(call)							\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int tp_exit_##call(struct syscall_exit_ctx *ctx)			\
{									\
	return trace_exit(ctx->ret, false);				\
}									\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int tp_exit_##call##_fp(struct syscall_exit_ctx *ctx)			\
{									\
	return trace_exit(ctx->ret, true);				\
}

TP_EXIT(open)
TP_EXIT(openat)
TP_EXIT(openat2)

#define TP_EXIT_REGS(call, which)					\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int tp_exit_##call##_regs(struct syscall_exit_ctx *ctx)			\
{									\
	return trace_exit_regs(ctx->ret, which, false);			\
}									\
SEC("tracepoint/syscalls/sys_exit_" #call)				\
int tp_exit_##call##_fp_regs(struct syscall_exit_ctx *ctx)		\
{									\
	return trace_exit_regs(ctx->ret, which, true);			\
}

TP_EXIT_REGS(open, CALL_OPEN)
TP_EXIT_REGS(openat, CALL_OPENAT)
TP_EXIT_REGS(openat2, CALL_OPENAT2)

/* Fallbacks for kernels without syscall tracepoints (CONFIG_FTRACE_SYSCALLS unset). */
SEC("ksyscall/open")
int BPF_KSYSCALL(ks_enter_open, const char *fname, int flags, __u32 mode)
{
	return trace_enter(AT_FDCWD, fname, flags, mode);
}

SEC("ksyscall/openat")
int BPF_KSYSCALL(ks_enter_openat, int dfd, const char *fname, int flags, __u32 mode)
{
	return trace_enter(dfd, fname, flags, mode);
}

SEC("ksyscall/openat2")
int BPF_KSYSCALL(ks_enter_openat2, int dfd, const char *fname, struct open_how_abi *uhow)
{
	struct open_how_abi how = {};
	bpf_probe_read_user(&how, sizeof(how), uhow);
	return trace_enter(dfd, fname, how.flags, how.mode);
}

#define KS_EXIT(call)							\
SEC("kretsyscall/" #call)						\
int BPF_KRETPROBE(ks_exit_##call, long ret)				\
{									\
	return trace_exit(ret, false);					\
}									\
SEC("kretsyscall/" #call)						\
int BPF_KRETPROBE(ks_exit_##call##_fp, long ret)			\
{									\
	return trace_exit(ret, true);					\
}

KS_EXIT(open)
KS_EXIT(openat)
KS_EXIT(openat2)

#define KS_EXIT_REGS(call, which)					\
SEC("kretsyscall/" #call)						\
int BPF_KRETPROBE(ks_exit_##call##_regs, long ret)			\
{									\
	return trace_exit_regs(ret, which, false);			\
}									\
SEC("kretsyscall/" #call)						\
int BPF_KRETPROBE(ks_exit_##call##_fp_regs, long ret)			\
{									\
	return trace_exit_regs(ret, which, true);			\
}

KS_EXIT_REGS(open, CALL_OPEN)
KS_EXIT_REGS(openat, CALL_OPENAT)
KS_EXIT_REGS(openat2, CALL_OPENAT2)

char LICENSE[] SEC("license") = "GPL";
