/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* oomkill: config and event, shared by bpf-src/oomkill.bpf.c and Swift. */
#ifndef OOMKILL_H
#define OOMKILL_H

#include "bpf_tools_common.h"

#define OOMKILL_UNKNOWN_PAGES (~0ULL)  /* the probe does not see the OOM's total pages */

/* What the probe knows of the victim. */
#define OOMKILL_VICTIM_TASK 0  /* its task: process ID and name */
#define OOMKILL_VICTIM_TID  1  /* only its thread ID (oom:mark_victim before Linux 6.8) */

struct oomkill_cfg {
	struct tools_common_cfg common;  /* --cgroup: the victim's, or the trigger's when only its ID is known */
};

/* One OOM kill, seen in the task that triggered it (the one whose allocation failed). */
struct oomkill_event {
	__u64 ts_ns;           /* CLOCK_MONOTONIC */
	__u64 pages;           /* oc->totalpages: the memory the OOM killer weighed, in pages */
	__u32 fpid;            /* the triggering process and thread */
	__u32 ftid;
	__u32 tpid;            /* the victim's process (its thread with OOMKILL_VICTIM_TID) */
	__u32 victim;          /* OOMKILL_VICTIM_* */
	__s32 stack_size;      /* bytes of user_stack (the trigger's), or a negative errno */
	__u32 _pad;
	char fcomm[TOOLS_TASK_COMM_LEN];
	char tcomm[TOOLS_TASK_COMM_LEN];  /* empty with OOMKILL_VICTIM_TID */
	__u64 cgroup_id;       /* the victim's cgroup v2 ID, for --containers; 0 with OOMKILL_VICTIM_TID */
	__u64 user_stack[TOOLS_MAX_STACK_DEPTH];
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct oomkill_cfg) == 32, "oomkill_cfg layout");
_Static_assert(sizeof(struct oomkill_event) == 1096, "oomkill_event layout");
#endif

#endif
