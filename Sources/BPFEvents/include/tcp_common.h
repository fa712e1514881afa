/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* A TCP connection's addresses and ports, shared by the TCP tools' events and count keys. */
#ifndef TCP_COMMON_H
#define TCP_COMMON_H

#include "bpf_tools_common.h"

#define TOOLS_AF_INET 2
#define TOOLS_AF_INET6 10

struct tcp_flow {
	__u64 saddr[2];        /* local address: IPv4 in the first 4 bytes, network order */
	__u64 daddr[2];        /* remote address */
	__u16 family;          /* TOOLS_AF_INET or TOOLS_AF_INET6 */
	__u16 sport;           /* local port, host order */
	__u16 dport;           /* remote port, host order */
	__u16 _pad;
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct tcp_flow) == 40, "tcp_flow layout");
#endif

#endif
