/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* profile: config and count key, shared by bpf-src/profile.bpf.c and Swift. */
#ifndef PROFILE_H
#define PROFILE_H

#include "bpf_tools_common.h"

#define PROFILE_FILTER_NONE 0
#define PROFILE_FILTER_TGID 1   /* -p: the `targets` map holds process IDs */
#define PROFILE_FILTER_TID  2   /* -L: the `targets` map holds thread IDs */

/* --unwind: how user stacks are walked. */
#define PROFILE_UNWIND_FP    0  /* frame pointers, in the kernel; samples counted in `counts` */
#define PROFILE_UNWIND_DWARF 1  /* every sample's user registers and stack sent to user space,
                                 * which unwinds them with the binaries' CFI (.eh_frame) */
#define PROFILE_UNWIND_AUTO  2  /* as DWARF, except for processes in `fp_processes`: those
                                 * whose frame-pointer stacks user space found equal to CFI's */

/* The most of the user stack copied per sample, from SP up: 16 KiB holds Debian's python3 or
 * a C++ server's deepest ordinary stacks (perf's --call-graph dwarf copies 8 KiB by default).
 * Only the part that can hold frames is copied (see stack_extent in profile.bpf.c). */
#define PROFILE_STACK_BYTES 16384
/* x86-64's DWARF registers 0-16: rax rdx rcx rbx rsi rdi rbp rsp r8-r15, then rip. */
#define PROFILE_REGS 17
#define PROFILE_REG_SP 7


struct profile_cfg {
	struct tools_common_cfg common;
	__u32 filter;          /* PROFILE_FILTER_* */
	__u32 include_idle;    /* -I: count samples of the idle tasks (PID 0) */
	__u32 user_stacks;     /* record user stacks (not -K) */
	__u32 kernel_stacks;   /* record kernel stacks (not -U) */
	__u32 unwind;          /* PROFILE_UNWIND_* */
	__u32 by_cgroup;       /* --containers: keys and samples carry the task's cgroup v2 ID */
};

/* What samples are counted by: BCC's key. A stack id < 0 is the negative errno of
 * bpf_get_stackid (-EFAULT: no stack of that kind, e.g. no kernel stack in user mode). */
struct profile_key {
	__u32 pid;             /* the process (tgid) */
	__s32 user_stack_id;
	__s32 kernel_stack_id;
	__u32 _pad;
	__u64 kernel_ip;       /* the sampled kernel address, the stack's missing first frame */
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;       /* --containers: the task's cgroup v2 ID; 0 without */
};

/* A sample whose user stack user space unwinds (PROFILE_UNWIND_DWARF and _AUTO), one ring
 * buffer record each, as long as the stack it carries (stack_bytes). */
struct profile_sample {
	__u32 pid;             /* the process (tgid) */
	__u32 tid;
	__s32 user_stack_id;   /* the frame-pointer walk: auto's comparison, and the fallback */
	__s32 kernel_stack_id;
	__u64 kernel_ip;       /* as in profile_key */
	__u64 cgroup_id;       /* as in profile_key */
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 regs[PROFILE_REGS];  /* the user registers, DWARF numbering */
	__u32 stack_bytes;     /* how much of `stack` was copied (the rest is not) */
	__u32 _pad;
	__u8 stack[PROFILE_STACK_BYTES];  /* user memory from regs[PROFILE_REG_SP] up */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct profile_cfg) == 56, "profile_cfg layout");
_Static_assert(sizeof(struct profile_sample) == 192 + PROFILE_STACK_BYTES, "profile_sample layout");
_Static_assert(sizeof(struct profile_key) == 48, "profile_key layout");
#endif

#endif
