/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* Definitions shared by every tool's BPF program and by the Swift side. */
#ifndef BPF_TOOLS_COMMON_H
#define BPF_TOOLS_COMMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TOOLS_TASK_COMM_LEN 16
/* Addresses kept per stack (the kernel's default perf_event_max_stack). */
#define TOOLS_MAX_STACK_DEPTH 127
/* "No UID filter": a real UID can be 0, so the sentinel is (u32)-1 (BCC ignores `-u 0`). */
#define TOOLS_INVALID_UID 0xffffffffu

/* Filters every tool shares, placed first in each tool's config struct. The process, thread
 * and user filters are set by the tools that have such options (-p, -t, -u), under BCC's
 * names for them; common_filters_pass() and ids_pass() in common.bpf.h apply them. */
struct tools_common_cfg {
	__u32 self_tgid;      /* the tracer itself, never reported */
	__u32 filter_cgroup;  /* 1: only tasks in cgroup `cgroup_id` or below it */
	__u64 cgroup_id;      /* cgroup v2 id (inode number of its directory) */
	__u32 cgroup_level;   /* depth of that cgroup below the cgroup2 root */
	__u32 targ_tgid;      /* 0: any process */
	__u32 targ_tid;       /* 0: any thread; trumps targ_tgid */
	__u32 targ_uid;       /* TOOLS_INVALID_UID: any user */
};
_Static_assert(sizeof(struct tools_common_cfg) == 32, "tools_common_cfg layout");

#endif
