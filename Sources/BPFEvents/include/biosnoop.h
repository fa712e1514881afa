/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* biosnoop: config and event, shared by bpf-src/biosnoop.bpf.c and Swift. */
#ifndef BIOSNOOP_H
#define BIOSNOOP_H

#include "bpf_tools_common.h"

#define BIOSNOOP_PATTERN_UNKNOWN    0
#define BIOSNOOP_PATTERN_SEQUENTIAL 1
#define BIOSNOOP_PATTERN_RANDOM     2

struct biosnoop_cfg {
	struct tools_common_cfg common;
	__u32 filter_dev;     /* -d: only this disk (kernel dev_t, MAJOR << 20 | MINOR) */
	__u32 targ_dev;
	__u64 sector_start;   /* -d PARTITION: only requests whose first sector is in */
	__u64 sector_end;     /* [sector_start, sector_end) of the whole disk */
	__u32 queued;         /* -Q: time requests from when they were queued */
	__u32 pattern;        /* -P: classify each request as sequential or random */
};

/* One completed request. */
struct biosnoop_event {
	__u64 ts_us;          /* CLOCK_MONOTONIC at completion */
	__u64 delta_ns;       /* issue to completion (LAT) */
	__u64 qdelta_ns;      /* queued to issue (QUE, -Q) */
	__u64 sector;
	__u64 len;            /* bytes */
	__u32 dev;            /* kernel dev_t of the disk */
	__u32 pid;            /* the submitter; 0 when not seen (COMM "?") */
	__u32 rwflag;         /* 1: a write */
	__u32 pattern;        /* BIOSNOOP_PATTERN_* with -P */
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;      /* the submitter's cgroup v2 ID, for --containers; 0 when not seen */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct biosnoop_cfg) == 64, "biosnoop_cfg layout");
_Static_assert(sizeof(struct biosnoop_event) == 80, "biosnoop_event layout");
#endif

#endif
