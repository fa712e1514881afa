/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* runqlat: config and histogram layout, shared by bpf-src/runqlat.bpf.c and Swift. */
#ifndef RUNQLAT_H
#define RUNQLAT_H

#include "bpf_tools_common.h"

/* Slot i (1..64) counts latencies in [2^(i-1), 2^i - 1] (slot 1 also holds 0), as BCC's
 * bpf_log2l(); slot 0 stays empty. */
#define RUNQLAT_SLOTS 65

#define RUNQLAT_BY_NONE  0
#define RUNQLAT_BY_PID   1   /* -P: the process (thread group) */
#define RUNQLAT_BY_TID   2   /* -L: the thread */
#define RUNQLAT_BY_PIDNS 3   /* --pidnss: the PID namespace (its inode number) */
#define RUNQLAT_BY_CGROUP 4  /* --containers: the task's cgroup v2 ID */

struct runqlat_cfg {
	struct tools_common_cfg common;
	__u32 targ_ms;        /* histogram in milliseconds, else microseconds */
	__u32 key_by;         /* RUNQLAT_BY_* */
};

/* Cumulative since the tool started (or since user space last read and dropped the key). */
struct runqlat_hist {
	__u64 slots[RUNQLAT_SLOTS];
	__u64 total;          /* sum of the latencies, in the histogram's unit (Prometheus' _sum) */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct runqlat_cfg) == 40, "runqlat_cfg layout");
_Static_assert(sizeof(struct runqlat_hist) == 528, "runqlat_hist layout");
#endif

#endif
