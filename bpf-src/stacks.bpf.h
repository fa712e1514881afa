/* SPDX-License-Identifier: GPL-2.0 */
/* The maps of the tools that count stacks (profile, offcputime). Include after common.bpf.h. */
#ifndef STACKS_BPF_H
#define STACKS_BPF_H

/* -p / -t (profile's -L): the process or thread IDs to trace, filled before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);  /* sized from user space to the number of IDs */
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Stacks by ID, TOOLS_MAX_STACK_DEPTH addresses each (zero after the last). */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);  /* --stack-storage-size */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, TOOLS_MAX_STACK_DEPTH * sizeof(__u64));
} stack_traces SEC(".maps");

#endif
