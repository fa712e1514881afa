// SPDX-License-Identifier: GPL-2.0
/* profile: sample stacks on a timer (a perf event per CPU).
 *
 * Frame-pointer stacks (--unwind fp, kernel threads, -K, and under auto the processes user
 * space found to walk right with frame pointers) are counted in the kernel: each sample's
 * kernel and user stacks go into a stack-trace map, the count of each (process, stacks, name)
 * into `counts`, read once at the end. Otherwise the sample's user registers and a copy of its
 * user stack go to user space through the ring buffer, which unwinds them with the binaries'
 * CFI (Debian's binaries and libraries are built without frame pointers).
 */
#include "vmlinux.h"
#include "profile.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "stacks.bpf.h"
#include "ksym.bpf.h"

#define EEXIST 17
/* x86-64's kernel stack (THREAD_SIZE): the task's saved user registers are at its top. */
#define KERNEL_STACK_BYTES 16384
#define PAGE_BYTES 4096

const volatile struct profile_cfg cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 40960);  /* --hash-storage-size */
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

/* --unwind auto: processes (tgid) whose frame-pointer stacks were the same as CFI's, so their
 * samples are counted here instead of copied out. Filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} fp_processes SEC(".maps");

static __always_inline void count_sample(struct profile_key *key)
{
	__u64 *count = bpf_map_lookup_elem(&counts, key);
	if (count) {
		atomic_add(count, 1);
		return;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(&counts, key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {  /* another CPU added it meanwhile */
		count = bpf_map_lookup_elem(&counts, key);
		if (count)
			atomic_add(count, 1);
	} else if (err) {
		count_lost();  /* the table is full: BCC's "hash table full" warning */
	}
}

/* How many bytes from `sp` up can be read, up to PROFILE_STACK_BYTES: a read that touches an
 * unmapped page fails whole, and a thread's stack may end (its top, then a guard page) within
 * the window. One word per page is probed. */
static __always_inline __u32 readable_stack(__u64 sp)
{
	__u64 limit = sp + PROFILE_STACK_BYTES;
	__u64 page = (sp & ~(__u64)(PAGE_BYTES - 1)) + PAGE_BYTES;
	__u64 word;
	for (int i = 0; i < PROFILE_STACK_BYTES / PAGE_BYTES; i++) {
		if (page >= limit)
			break;
		if (bpf_probe_read_user(&word, sizeof(word), (void *)page))
			return page - sp;
		page += PAGE_BYTES;
	}
	return PROFILE_STACK_BYTES;
}

static long vma_end(struct task_struct *task, struct vm_area_struct *vma, void *end)
{
	*(__u64 *)end = vma->vm_end;
	return 0;
}

/* How much of the stack from `sp` up to copy: only where frames can be. A process's first
 * thread has none above the stack pointer it started with (mm->start_stack); another thread's
 * stack ends where its mapping does (found with bpf_find_vma(), 5.17+, when `find_vma`). Most
 * stacks are then a few KiB, not the 16 KiB window: less to copy, to send and to keep in the
 * ring (whose pages count in profile's RSS). Else, what can be read of the window. */
static __always_inline __u32 stack_extent(__u64 sp, bool main_thread, bool find_vma)
{
	__u64 top = 0;
	if (main_thread) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		top = BPF_CORE_READ(task, mm, start_stack);
	}
	if (find_vma && !(top > sp && top - sp <= PROFILE_STACK_BYTES)) {
		top = 0;
		if (bpf_find_vma(bpf_get_current_task_btf(), sp, vma_end, &top, 0))
			top = 0;  /* no mapping, or its lock was busy */
	}
	if (top > sp && top - sp <= PROFILE_STACK_BYTES)
		return top - sp;
	return readable_stack(sp);
}

/* A sample is built here, then sent with as much of the stack as was copied: a ring record
 * reserved in place would need the whole window's size. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct profile_sample);
} sample_buf SEC(".maps");

/* The interrupted task's user registers in DWARF order: the sample's own registers when it
 * interrupted user code, else those saved at the top of its kernel stack. False for a kernel
 * thread. */
static __always_inline void dwarf_order(__u64 *regs, struct pt_regs *r)
{
	regs[0] = r->ax; regs[1] = r->dx; regs[2] = r->cx; regs[3] = r->bx;
	regs[4] = r->si; regs[5] = r->di; regs[6] = r->bp; regs[7] = r->sp;
	regs[8] = r->r8; regs[9] = r->r9; regs[10] = r->r10; regs[11] = r->r11;
	regs[12] = r->r12; regs[13] = r->r13; regs[14] = r->r14; regs[15] = r->r15;
	regs[16] = r->ip;
}

static __always_inline bool user_registers(struct bpf_perf_event_data *ctx, __u64 *regs, bool regs_helper)
{
	struct pt_regs saved;
	if ((__s64)PT_REGS_IP(&ctx->regs) >= 0) {
		/* copied first: one instruction may not read both the context and the stack */
		saved = *(struct pt_regs *)&ctx->regs;
	} else if (regs_helper) {
		struct task_struct *task = bpf_get_current_task_btf();
		if (!task->mm)
			return false;
		bpf_probe_read_kernel(&saved, sizeof(saved), (void *)bpf_task_pt_regs(task));
	} else {
		/* before 5.15 (no bpf_task_pt_regs, and no FRED's padding above the registers) */
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		if (!BPF_CORE_READ(task, mm))
			return false;
		void *stack = BPF_CORE_READ(task, stack);
		bpf_probe_read_kernel(&saved, sizeof(saved), stack + KERNEL_STACK_BYTES - sizeof(struct pt_regs));
	}
	dwarf_order(regs, &saved);
	return true;
}

/* Sends the sample with its user registers and stack; false when it has no user context. */
static __always_inline bool send_sample(struct bpf_perf_event_data *ctx, struct profile_key *key, __u32 tid,
					bool regs_helper, bool find_vma)
{
	__u32 zero = 0;
	struct profile_sample *rec = bpf_map_lookup_elem(&sample_buf, &zero);
	if (!rec)
		return true;
	if (!user_registers(ctx, rec->regs, regs_helper))
		return false;
	rec->pid = key->pid;
	rec->tid = tid;
	rec->user_stack_id = key->user_stack_id;
	rec->kernel_stack_id = key->kernel_stack_id;
	rec->kernel_ip = key->kernel_ip;
	rec->cgroup_id = key->cgroup_id;
	__builtin_memcpy(rec->comm, key->comm, sizeof(rec->comm));
	__u64 sp = rec->regs[PROFILE_REG_SP];
	__u32 bytes = stack_extent(sp, tid == key->pid, find_vma);
	barrier_var(bytes);  /* clang knows the bound and would drop the check older verifiers need */
	if (bytes > PROFILE_STACK_BYTES)
		bytes = PROFILE_STACK_BYTES;
	if (bytes == 0 || bpf_probe_read_user(rec->stack, bytes, (void *)sp))
		bytes = 0;
	rec->stack_bytes = bytes;
	rec->_pad = 0;
	emit(rec, offsetof(struct profile_sample, stack) + bytes);  /* counted as lost when full */
	return true;
}

static __always_inline int sample(struct bpf_perf_event_data *ctx, bool regs_helper, bool find_vma)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;

	if (tid == 0 && !cfg.include_idle)
		return 0;
	if (cfg.filter != PROFILE_FILTER_NONE) {
		__u32 wanted = cfg.filter == PROFILE_FILTER_TGID ? tgid : tid;
		if (!bpf_map_lookup_elem(&targets, &wanted))
			return 0;
	}
	if (!common_filters_pass(&cfg.common))
		return 0;

	struct profile_key key = { .pid = tgid, .user_stack_id = -1, .kernel_stack_id = -1,
				   .cgroup_id = cfg.by_cgroup ? bpf_get_current_cgroup_id() : 0 };
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	if (cfg.user_stacks)
		key.user_stack_id = bpf_get_stackid(ctx, &stack_traces, BPF_F_USER_STACK);
	if (cfg.kernel_stacks) {
		key.kernel_stack_id = bpf_get_stackid(ctx, &stack_traces, 0);
		/* The kernel stack starts at the caller of the interrupted function: keep the
		 * sampled address too (kernel addresses are in the upper half on x86-64 and arm64). */
		__u64 ip = PT_REGS_IP(&ctx->regs);
		if (key.kernel_stack_id >= 0 && (__s64)ip < 0)
			key.kernel_ip = ip;
	}

	bool unwind_here = cfg.unwind == PROFILE_UNWIND_FP || !cfg.user_stacks || tid == 0
		|| (cfg.unwind == PROFILE_UNWIND_AUTO && bpf_map_lookup_elem(&fp_processes, &tgid));
	if (!unwind_here && send_sample(ctx, &key, tid, regs_helper, find_vma))
		return 0;
	count_sample(&key);
	return 0;
}

/* Where the kernel has bpf_find_vma() (5.17+) and bpf_task_pt_regs() (5.15+). */
SEC("perf_event")
int do_perf_event_vma(struct bpf_perf_event_data *ctx)
{
	return sample(ctx, true, true);
}

/* Where it has bpf_task_pt_regs() alone. */
SEC("perf_event")
int do_perf_event(struct bpf_perf_event_data *ctx)
{
	return sample(ctx, true, false);
}

/* Older kernels: the saved user registers found from the task's kernel stack. */
SEC("perf_event")
int do_perf_event_task_stack(struct bpf_perf_event_data *ctx)
{
	return sample(ctx, false, false);
}

char LICENSE[] SEC("license") = "GPL";
