/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* exitsnoop: config and event, shared by bpf-src/exitsnoop.bpf.c and Swift. */
#ifndef EXITSNOOP_H
#define EXITSNOOP_H

#include "bpf_tools_common.h"

struct exitsnoop_cfg {
	struct tools_common_cfg common;  /* -p: the process (tgid) */
	__u32 per_thread;     /* --per-thread: every thread's exit, not only processes' */
	__u32 failed_only;    /* -x: not exit(0) */
};

/* One exit. */
struct exitsnoop_event {
	__u64 start_ns;       /* the task's start (CLOCK_MONOTONIC) */
	__u64 exit_ns;        /* its exit (CLOCK_MONOTONIC) */
	__u32 pid;            /* tgid */
	__u32 tid;
	__u32 ppid;           /* the real parent's tgid */
	__u32 exit_code;      /* the kernel's task->exit_code: status << 8 | core 0x80 | signal */
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;      /* the task's cgroup v2 ID (bpf_get_current_cgroup_id), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct exitsnoop_cfg) == 40, "exitsnoop_cfg layout");
_Static_assert(sizeof(struct exitsnoop_event) == 56, "exitsnoop_event layout");
#endif

#endif
