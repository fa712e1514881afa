/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* profile: config and count key, shared by bpf-src/profile.bpf.c and Swift. */
#ifndef PROFILE_H
#define PROFILE_H

#include "bpf_tools_common.h"

#define PROFILE_FILTER_NONE 0
#define PROFILE_FILTER_TGID 1   /* -p: the `targets` map holds process IDs */
#define PROFILE_FILTER_TID  2   /* -L: the `targets` map holds thread IDs */


struct profile_cfg {
	struct tools_common_cfg common;
	__u32 filter;          /* PROFILE_FILTER_* */
	__u32 include_idle;    /* -I: count samples of the idle tasks (PID 0) */
	__u32 user_stacks;     /* record user stacks (not -K) */
	__u32 kernel_stacks;   /* record kernel stacks (not -U) */
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
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct profile_cfg) == 48, "profile_cfg layout");
_Static_assert(sizeof(struct profile_key) == 40, "profile_key layout");
#endif

#endif
