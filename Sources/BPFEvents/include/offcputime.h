/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* offcputime: config and map key, shared by bpf-src/offcputime.bpf.c and Swift. */
#ifndef OFFCPUTIME_H
#define OFFCPUTIME_H

#include "bpf_tools_common.h"

/* Which threads are traced (BCC's mutually exclusive -p, -t, -u, -k). */
#define OFFCPUTIME_ALL_THREADS    0
#define OFFCPUTIME_TGIDS          1  /* -p: processes in `targets` */
#define OFFCPUTIME_TIDS           2  /* -t: threads in `targets` */
#define OFFCPUTIME_USER_THREADS   3  /* -u */
#define OFFCPUTIME_KERNEL_THREADS 4  /* -k */

struct offcputime_cfg {
	struct tools_common_cfg common;  /* --cgroup */
	__u32 threads;         /* OFFCPUTIME_* */
	__u32 user_stacks;     /* 0 with -K */
	__u32 kernel_stacks;   /* 0 with -U */
	__u32 filter_state;    /* --state given */
	__u64 state;           /* --state: 0, a task switched out running (preempted); else a bitmask */
	__u64 min_block_us;    /* -m */
	__u64 max_block_us;    /* -M */
	__u32 by_cgroup;       /* --containers: the key has the thread's cgroup */
	__u32 _pad;
};

/* What off-CPU time is added up by: the thread, its name and its stacks when it left. */
struct offcputime_key {
	__u32 pid;             /* the thread */
	__u32 tgid;
	__s32 user_stack_id;   /* -1: not collected; another negative errno: not recorded */
	__s32 kernel_stack_id;
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;       /* --containers: the thread's cgroup v2 ID; 0 without */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct offcputime_cfg) == 80, "offcputime_cfg layout");
_Static_assert(sizeof(struct offcputime_key) == 40, "offcputime_key layout");
#endif

#endif
