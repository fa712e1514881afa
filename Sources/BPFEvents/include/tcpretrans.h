/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* tcpretrans: config and event, shared by bpf-src/tcpretrans.bpf.c and Swift. */
#ifndef TCPRETRANS_H
#define TCPRETRANS_H

#include "tcp_common.h"

#define TCPRETRANS_RETRANSMIT 1   /* "R" */
#define TCPRETRANS_LOSS_PROBE 2   /* "L" */

struct tcpretrans_cfg {
	struct tools_common_cfg common;
	__u32 targ_family;     /* 0: any, else TOOLS_AF_INET or TOOLS_AF_INET6 */
	__u32 count_mode;      /* 1: count in `counts` instead of sending events */
};

struct tcpretrans_event {
	__u32 pid;             /* whoever was on the CPU: usually 0 (a timer) */
	__u32 seq;             /* the segment's first sequence number */
	__u32 state;           /* the socket's TCP state */
	__u32 type;            /* TCPRETRANS_RETRANSMIT or TCPRETRANS_LOSS_PROBE */
	struct tcp_flow flow;
	__u64 cgroup_id;       /* the socket's cgroup v2 ID (its owner's), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct tcpretrans_cfg) == 40, "tcpretrans_cfg layout");
_Static_assert(sizeof(struct tcpretrans_event) == 64, "tcpretrans_event layout");
#endif

#endif
