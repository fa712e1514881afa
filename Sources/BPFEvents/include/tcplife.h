/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* tcplife: config and event, shared by bpf-src/tcplife.bpf.c and Swift. */
#ifndef TCPLIFE_H
#define TCPLIFE_H

#include "tcp_common.h"

struct tcplife_cfg {
	struct tools_common_cfg common;
	__u32 targ_family;     /* 0: any, else TOOLS_AF_INET or TOOLS_AF_INET6 */
	__u32 filter_lports;   /* 1: only local ports in the `lports` map */
	__u32 filter_dports;   /* 1: only remote ports in the `dports` map */
	__u32 _pad;
};

/* One closed session. */
struct tcplife_event {
	__u64 ts_us;           /* at close */
	__u64 span_us;         /* from the first state seen below FIN_WAIT1 to CLOSE */
	__u64 rx_bytes;        /* tcp_sock.bytes_received */
	__u64 tx_bytes;        /* tcp_sock.bytes_acked */
	__u32 pid;
	__u32 _pad;
	char comm[TOOLS_TASK_COMM_LEN];
	struct tcp_flow flow;
	__u64 cgroup_id;       /* the socket's cgroup v2 ID (its owner's), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct tcplife_cfg) == 48, "tcplife_cfg layout");
_Static_assert(sizeof(struct tcplife_event) == 104, "tcplife_event layout");
#endif

#endif
