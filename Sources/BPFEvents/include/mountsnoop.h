/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* mountsnoop: config and event, shared by bpf-src/mountsnoop.bpf.c and Swift. */
#ifndef MOUNTSNOOP_H
#define MOUNTSNOOP_H

#include "bpf_tools_common.h"

/* A string argument is read whole up to PATH_MAX (a path) or PAGE_SIZE (mount's source, type
 * and data): the kernel takes no more, so nothing it acted on is cut. */
#define MOUNTSNOOP_STR_MAX 4096
#define MOUNTSNOOP_STRS 4

/* The traced calls. */
#define MOUNTSNOOP_MOUNT      0
#define MOUNTSNOOP_UMOUNT     1
#define MOUNTSNOOP_FSOPEN     2
#define MOUNTSNOOP_FSCONFIG   3
#define MOUNTSNOOP_FSMOUNT    4
#define MOUNTSNOOP_MOVE_MOUNT 5

struct mountsnoop_cfg {
	struct tools_common_cfg common;
};

/* One call, at its return. Followed by its strings back to back: str_len[i] bytes of string i
 * (its NUL included), 0 when the pointer was NULL or unreadable; string i starts after the
 * str_len[0..<i] bytes of the ones before it.
 *   mount:      source, target, type, data; flags
 *   umount:     target; flags
 *   fsopen:     fs_name; flags
 *   fsconfig:   key, value; fd, arg (cmd), aux
 *   fsmount:    fd (fs_fd), flags, arg (attr_flags)
 *   move_mount: from_pathname, to_pathname; fd (from_dfd), fd2 (to_dfd), flags */
struct mountsnoop_event {
	__u64 ts_ns;          /* CLOCK_MONOTONIC, at the return */
	__u64 flags;
	__u32 call;           /* MOUNTSNOOP_* */
	__u32 pid;
	__u32 tid;
	__u32 ppid;           /* the real parent's process */
	__u32 mnt_ns;         /* the caller's mount namespace (its inode number) */
	__s32 ret;
	__s32 fd;
	__s32 fd2;
	__u32 arg;
	__u32 aux;
	__u32 str_len[MOUNTSNOOP_STRS];
	char comm[TOOLS_TASK_COMM_LEN];
	char pcomm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;      /* the task's cgroup v2 ID (bpf_get_current_cgroup_id), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct mountsnoop_cfg) == 32, "mountsnoop_cfg layout");
_Static_assert(sizeof(struct mountsnoop_event) == 112, "mountsnoop_event layout");
#endif

#endif
