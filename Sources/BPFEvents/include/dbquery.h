/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* Database queries as dbslower and dbstat see them: the part of their config both share, shared
 * by bpf-src/dbquery.bpf.h and Swift. */
#ifndef DBQUERY_H
#define DBQUERY_H

#include "bpf_tools_common.h"

/* enum_server_command's COM_QUERY, the one command dispatch_command() runs SQL text for. */
#define DBQUERY_COM_QUERY 3

/* What a query-tracing tool filters in the kernel, beside the common filters. */
struct dbquery_cfg {
	__u64 threshold_ns;   /* -m: only queries that took at least this long (0: every query) */
	__u32 filter_pids;    /* -p: 1 = only the processes in traced_pids and their children
	                       * (a PostgreSQL server's backends are its postmaster's children) */
	__u32 _pad;
};
#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct dbquery_cfg) == 16, "dbquery_cfg layout");
#endif

#endif
