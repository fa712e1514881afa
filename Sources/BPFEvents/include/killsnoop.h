/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* killsnoop: config and event, shared by bpf-src/killsnoop.bpf.c and Swift. */
#ifndef KILLSNOOP_H
#define KILLSNOOP_H

#include "bpf_tools_common.h"

struct killsnoop_cfg {
	struct tools_common_cfg common;  /* -p: the sender */
	__u64 signal_mask;    /* -s: bit n for signal n (0..63); 0: any */
	__s32 targ_tpid;      /* -T: kill()'s pid argument (a process, 0, -1 or -pgid) */
	__u32 filter_tpid;    /* 1: only calls whose pid argument is targ_tpid */
	__u32 failed_only;    /* -x */
	__u32 _pad;
};

/* One kill() call, at its return. */
struct killsnoop_event {
	__u64 ts_ns;          /* CLOCK_MONOTONIC, at the return */
	__u32 pid;            /* the sender's process */
	__s32 tpid;           /* kill()'s pid argument: a process, 0, -1 or -pgid */
	__s32 sig;
	__s32 ret;
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;      /* the task's cgroup v2 ID (bpf_get_current_cgroup_id), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct killsnoop_cfg) == 56, "killsnoop_cfg layout");
_Static_assert(sizeof(struct killsnoop_event) == 48, "killsnoop_event layout");
#endif

#endif
