/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* tcpconnect: config and event, shared by bpf-src/tcpconnect.bpf.c and Swift. */
#ifndef TCPCONNECT_H
#define TCPCONNECT_H

#include "tcp_common.h"

struct tcpconnect_cfg {
	struct tools_common_cfg common;
	__u32 targ_family;     /* 0: any, else TOOLS_AF_INET or TOOLS_AF_INET6 */
	__u32 filter_ports;    /* 1: only remote ports in the `ports` map */
	__u32 count_mode;      /* 1: count in `counts` instead of sending events */
	__u32 _pad;
};

struct tcpconnect_event {
	__u64 ts_us;
	__u32 pid;
	__u32 uid;
	char comm[TOOLS_TASK_COMM_LEN];
	struct tcp_flow flow;
	__u64 cgroup_id;      /* the task's cgroup v2 ID (bpf_get_current_cgroup_id), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct tcpconnect_cfg) == 48, "tcpconnect_cfg layout");
_Static_assert(sizeof(struct tcpconnect_event) == 80, "tcpconnect_event layout");
#endif

#endif
