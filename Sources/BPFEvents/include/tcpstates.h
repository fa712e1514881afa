/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* tcpstates: config and event, shared by bpf-src/tcpstates.bpf.c and Swift. */
#ifndef TCPSTATES_H
#define TCPSTATES_H

#include "tcp_common.h"

struct tcpstates_cfg {
	struct tools_common_cfg common;
	__u32 targ_family;     /* 0: any, else TOOLS_AF_INET or TOOLS_AF_INET6 */
	__u32 filter_lports;   /* 1: only local ports in the `lports` map */
	__u32 filter_dports;   /* 1: only remote ports in the `dports` map */
	__u32 _pad;
};

/* One state change of one socket. */
struct tcpstates_event {
	__u64 ts_us;           /* CLOCK_MONOTONIC, at the change */
	__u64 skaddr;          /* the socket's address: its identity while it lives */
	__u64 span_us;         /* time in the old state; 0 for the first change seen */
	__u32 pid;             /* the task on the CPU (often not the socket's owner) */
	__u32 oldstate;
	__u32 newstate;
	__u32 _pad;
	char comm[TOOLS_TASK_COMM_LEN];
	struct tcp_flow flow;
	__u64 cgroup_id;       /* the socket's cgroup v2 ID (its owner's), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct tcpstates_cfg) == 48, "tcpstates_cfg layout");
_Static_assert(sizeof(struct tcpstates_event) == 104, "tcpstates_event layout");
#endif

#endif
