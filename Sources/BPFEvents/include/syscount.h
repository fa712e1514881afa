/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* syscount: config and counters, shared by bpf-src/syscount.bpf.c and Swift. */
#ifndef SYSCOUNT_H
#define SYSCOUNT_H

#include "bpf_tools_common.h"

/* System call numbers counted, by array index (x86-64 has some 470; arm64 fewer). */
#define SYSCOUNT_MAX_SYSCALLS 1024
#define SYSCOUNT_NO_SYSCALL (-1)

#define SYSCOUNT_BY_SYSCALL 0   /* the call's number (by_syscall) */
#define SYSCOUNT_BY_PROCESS 1   /* -P: the process (by_process) */
#define SYSCOUNT_BY_CGROUP  2   /* --containers: the task's cgroup v2 ID (by_cgroup) */

struct syscount_cfg {
	struct tools_common_cfg common;  /* -p, -t, --cgroup */
	__u32 targ_ppid;       /* -c: only children of this process; 0: any */
	__s32 targ_syscall;    /* --syscall: its number; SYSCOUNT_NO_SYSCALL: any */
	__u32 failed_only;     /* -x */
	__u32 targ_errno;      /* -e: only calls returning -targ_errno; 0: any */
	__u32 latency;         /* -L: time each call (an entry program too) */
	__u32 key_by;          /* SYSCOUNT_BY_*: what the counts are per */
	__s32 exit_nr;         /* exit() and exit_group(): they never return, so no start */
	__s32 exit_group_nr;   /* time is kept for them */
};

/* What one system call (or process, -P) added up, per CPU. */
struct syscount_value {
	__u64 count;
	__u64 total_ns;        /* -L: time from entry to return */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct syscount_cfg) == 64, "syscount_cfg layout");
_Static_assert(sizeof(struct syscount_value) == 16, "syscount_value layout");
#endif

#endif
