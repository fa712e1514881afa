/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* execsnoop: config and ring-buffer records, shared by bpf-src/execsnoop.bpf.c and Swift. */
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#include "bpf_tools_common.h"

#define EXECSNOOP_DEFAULT_MAX_ARGS 20      /* BCC's default, counting the filename */
#define EXECSNOOP_MAX_ARGS_LIMIT 4096      /* upper bound of --max-args */
#define EXECSNOOP_DEFAULT_ARG_SIZE 128     /* what BCC shows: all ARGSIZE = 128 bytes it copies when none is a NUL */
#define EXECSNOOP_MAX_ARG_SIZE 131072      /* MAX_ARG_STRLEN: the kernel's own per-argument limit */
/* Arguments are copied in pieces of at most this many bytes into a per-CPU buffer of twice
 * that size, which is sent as one ARGS record whenever it is half full. */
#define EXECSNOOP_CHUNK 8192
/* Upper bound of pieces per exec (one per short argument; long ones take several). */
#define EXECSNOOP_MAX_PIECES 8192

enum execsnoop_record_type {
	EXECSNOOP_REC_ARGS = 1,   /* argument bytes of the exec being entered by `tid` */
	EXECSNOOP_REC_EXIT = 2,   /* the exec of `tid` returned */
};

/* flags of an EXIT record */
#define EXECSNOOP_F_MORE_ARGS 1u    /* argv had more than max_args entries */
#define EXECSNOOP_F_ARG_CUT   2u    /* an argument was longer than max_arg_size */
#define EXECSNOOP_F_FAULT     4u    /* an argument could not be read from user memory */
#define EXECSNOOP_F_WHOLE     8u    /* args_size bytes follow the record: the file name, then all of
                                     * argv from argv[0], uncut; user space applies the limits */

/* A command line (argv's strings, as the new program's mm holds them) of fewer bytes than this
 * is sent whole, in one copy, after the file name (at most 4 KiB); a longer one piece by piece. */
#define EXECSNOOP_WHOLE_MAX (2 * EXECSNOOP_CHUNK - 4096)

struct execsnoop_cfg {
	struct tools_common_cfg common;
	__u32 targ_ppid;       /* 0: any */
	__u32 max_args;        /* entries read, counting the filename as the first */
	__u32 max_arg_size;    /* bytes kept per argument, excluding its NUL */
	__u32 want_cgroup_id;  /* fill cgroup_id (--containers); 60 ns per exec otherwise spared */
};

/* flags of an ARGS record */
#define EXECSNOOP_ARGS_F_RESTART 1u  /* forget the earlier ARGS records of this exec: a re-read */

/* Header of an ARGS record; `size` bytes of NUL-separated argument text follow. Records of one
 * exec arrive in order and are concatenated; a piece may end inside an argument. */
struct execsnoop_args_hdr {
	__u32 type;
	__u32 tid;
	__u32 size;
	__u32 flags;
};

struct execsnoop_exit {
	__u32 type;
	__u32 tid;
	__u32 pid;             /* tgid after exec */
	__u32 ppid;
	__u32 uid;
	__s32 retval;
	__u32 cpu;
	__u32 flags;
	__u32 args_count;      /* arguments sent, counting the filename (0 with EXECSNOOP_F_WHOLE) */
	__u32 args_size;       /* with EXECSNOOP_F_WHOLE: bytes of argument text after the record */
	__u64 ts_ns;           /* CLOCK_MONOTONIC at exec return */
	char comm[TOOLS_TASK_COMM_LEN];
	char pcomm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;      /* the task's cgroup v2 ID (bpf_get_current_cgroup_id), for --containers */
};

#ifndef __VMLINUX_H__
_Static_assert(sizeof(struct execsnoop_cfg) == 48, "execsnoop_cfg layout");
_Static_assert(sizeof(struct execsnoop_args_hdr) == 16, "execsnoop_args_hdr layout");
_Static_assert(sizeof(struct execsnoop_exit) == 88, "execsnoop_exit layout");
#endif

#endif
