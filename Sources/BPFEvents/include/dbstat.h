/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* dbstat: config and histogram, shared by bpf-src/dbstat.bpf.c and Swift. */
#ifndef DBSTAT_H
#define DBSTAT_H

#include "dbquery.h"

/* Slot i (1..64) counts latencies in [2^(i-1), 2^i - 1] units (slot 1 also holds 0), as BCC's
 * bpf_log2l(); slot 0 stays empty. */
#define DBSTAT_SLOTS 65

struct dbstat_cfg {
	struct tools_common_cfg common;
	struct dbquery_cfg db;
	__u64 unit_ns;        /* the histogram's unit: 1000 (-u) or 1000000 */
	__u32 by_cgroup;      /* --containers: a histogram per server cgroup v2 ID, else one (key 0) */
	__u32 _pad;
};

/* Cumulative since the tool started; user space prints differences. */
struct dbstat_hist {
	__u64 slots[DBSTAT_SLOTS];
	__u64 total_ns;       /* the latencies' sum (Prometheus' _sum) */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct dbstat_cfg) == 64, "dbstat_cfg layout");
_Static_assert(sizeof(struct dbstat_hist) == 528, "dbstat_hist layout");
#endif

#endif
