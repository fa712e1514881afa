/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* dbslower: config and event, shared by bpf-src/dbslower.bpf.c and Swift. */
#ifndef DBSLOWER_H
#define DBSLOWER_H

#include "dbquery.h"

/* Query text kept per query: BCC's char query[256] by default, raised with --max-query-size up
 * to DBSLOWER_QUERY_MAX (a per-CPU map value is at most 32 KiB). */
#define DBSLOWER_QUERY_DEFAULT 256
#define DBSLOWER_QUERY_MAX 16384
/* Bytes a query buffer has beyond query_cap: room to tell a longer string (read cap + 2 with
 * its NUL), rounded up. */
#define DBSLOWER_QUERY_SLACK 8

#define DBSLOWER_F_CUT   1   /* the query is longer than query_cap: query[] has its start */
#define DBSLOWER_F_FAULT 2   /* the query's memory could not be read */

struct dbslower_cfg {
	struct tools_common_cfg common;
	struct dbquery_cfg db;
	__u32 query_cap;      /* bytes of query text sent at most (<= DBSLOWER_QUERY_MAX) */
	__u32 _pad;
};

/* One slow query, at its end; query_len bytes of its text follow (no NUL). The per-thread
 * pending value and the per-CPU scratch buffer are this header and query_cap + SLACK bytes. */
struct dbslower_event {
	__u64 start_ns;       /* CLOCK_MONOTONIC, when the query started */
	__u64 duration_ns;
	__u32 pid;
	__u32 query_len;      /* bytes of text that follow */
	__u32 flags;          /* DBSLOWER_F_* */
	__u32 full_len;       /* the query's length when the probe gives it (dispatch_command), else 0 */
	__u64 cgroup_id;      /* the server's cgroup v2 ID, for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct dbslower_cfg) == 56, "dbslower_cfg layout");
_Static_assert(sizeof(struct dbslower_event) == 40, "dbslower_event layout");
#endif

#endif
