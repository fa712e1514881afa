/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* biolatency: config and histogram layout, shared by bpf-src/biolatency.bpf.c and Swift. */
#ifndef BIOLATENCY_H
#define BIOLATENCY_H

#include "bpf_tools_common.h"

/* Slot i (1..64) counts latencies in [2^(i-1), 2^i - 1] (slot 1 also holds 0), as BCC's
 * bpf_log2l() fills them; slot 0 stays empty. */
#define BIOLATENCY_SLOTS 65

/* -F keys use BCC's encoding whatever the kernel's own bit numbers are: the operation in the
 * low 8 bits (BCC's numbers below, BIOLATENCY_OP_UNKNOWN for the others), flags at BCC's bits. */
#define BIOLATENCY_OP_READ          0
#define BIOLATENCY_OP_WRITE         1
#define BIOLATENCY_OP_FLUSH         2
#define BIOLATENCY_OP_DISCARD       3
#define BIOLATENCY_OP_SECURE_ERASE  5
#define BIOLATENCY_OP_ZONE_RESET    6
#define BIOLATENCY_OP_WRITE_SAME    7
#define BIOLATENCY_OP_WRITE_ZEROES  9
#define BIOLATENCY_OP_UNKNOWN       0xff
#define BIOLATENCY_F_SYNC        (1u << 11)
#define BIOLATENCY_F_META        (1u << 12)
#define BIOLATENCY_F_PRIO        (1u << 13)
#define BIOLATENCY_F_NOMERGE     (1u << 14)
#define BIOLATENCY_F_IDLE        (1u << 15)
#define BIOLATENCY_F_FUA         (1u << 17)
#define BIOLATENCY_F_RAHEAD      (1u << 19)
#define BIOLATENCY_F_BACKGROUND  (1u << 20)
#define BIOLATENCY_F_NOWAIT      (1u << 21)

struct biolatency_cfg {
	struct tools_common_cfg common;
	__u32 targ_ms;        /* histogram in milliseconds, else microseconds */
	__u32 per_disk;       /* -D: key by disk */
	__u32 per_flag;       /* -F: key by operation and flags */
	__u32 queued;         /* -Q: an issue does not replace the earlier queueing time */
	__u32 filter_dev;     /* -d: only this disk (kernel dev_t, MAJOR << 20 | MINOR) */
	__u32 targ_dev;
	__u64 sector_start;   /* -d PARTITION: only requests whose first sector is in */
	__u64 sector_end;     /* [sector_start, sector_end) of the whole disk */
	__u32 by_cgroup;      /* --containers: key by the starter's cgroup v2 ID */
	__u32 _pad;
};

struct biolatency_key {
	__u32 dev;            /* whole disk's dev_t with -D, else 0 */
	__u32 flags;          /* BCC-encoded operation and flags with -F, else 0 */
	__u64 cgroup_id;      /* --containers: the cgroup v2 ID of the request's first starter, else 0 */
};

/* Cumulative since the tool started: user space prints the difference between two reads, so
 * no I/O that completes while the map is being read is lost. */
struct biolatency_hist {
	__u64 slots[BIOLATENCY_SLOTS];
	__u64 total;          /* sum of the latencies, in the histogram's unit (for -e) */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct biolatency_cfg) == 80, "biolatency_cfg layout");
_Static_assert(sizeof(struct biolatency_key) == 16, "biolatency_key layout");
_Static_assert(sizeof(struct biolatency_hist) == 528, "biolatency_hist layout");
#endif

#endif
