/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* opensnoop: config and ring-buffer event, shared by bpf-src/opensnoop.bpf.c and Swift. */
#ifndef OPENSNOOP_H
#define OPENSNOOP_H

#include "bpf_tools_common.h"

#define OPENSNOOP_PATH_MAX 4096     /* PATH_MAX: the kernel rejects longer names */
#define OPENSNOOP_NAME_MAX 256      /* NAME_MAX + NUL, one directory component */
#define OPENSNOOP_SHORT_PATH 128    /* paths shorter than this are sent from the BPF stack */
#define OPENSNOOP_MAX_DEPTH 64      /* directory components walked for -F */
#define OPENSNOOP_DIRS_SIZE 8192    /* bytes of directory components for -F */

/* flags of an event */
#define OPENSNOOP_F_DIR_FROM_FILE 1u  /* dirs is the opened file's own full path */
#define OPENSNOOP_F_DIR_FROM_BASE 2u  /* dirs is the directory the relative path starts from */
#define OPENSNOOP_F_DIR_CUT       4u  /* the walk stopped before reaching the root */

struct opensnoop_cfg {
	struct tools_common_cfg common;
	__u32 failed_only;
	__u32 flag_mask;       /* 0: any; else (flags & mask) != 0 */
	__u32 resolved_path;   /* -F: 1, a successful open's own path; 0, the base + the name (BCC) */
	__u32 want_cgroup_id;  /* fill cgroup_id (--containers); ~60 ns per open otherwise spared */
	__u32 want_timestamp;  /* fill ts_ns (-T, --json, --otlp); else 0 */
};

/* Followed by `path_size` bytes of the path as passed (NUL-terminated), then `dirs_size` bytes
 * of NUL-terminated directory names, leaf first (for -F; see flags). */
struct opensnoop_event {
	__u64 ts_ns;
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__s32 ret;
	__u32 flags;           /* open(2) flags */
	__u32 mode;
	__u32 path_size;
	__u32 dirs_size;
	__u32 dirs_count;
	__u32 event_flags;
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;      /* the task's cgroup v2 ID (bpf_get_current_cgroup_id), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct opensnoop_cfg) == 56, "opensnoop_cfg layout");
_Static_assert(sizeof(struct opensnoop_event) == 72, "opensnoop_event layout");
#endif

#endif
