/* SPDX-License-Identifier: GPL-2.0 */
/* What the block tools (biolatency, biosnoop) share. Include after common.bpf.h. */
#ifndef BLOCK_BPF_H
#define BLOCK_BPF_H

/* Completions a tool saw but does not show that the kernel's count of completed I/Os includes,
 * so that user space can check what it shows against that count (see DiskCompletions.swift):
 * requests without data whose start was never seen (an fsync's empty flush write, completed by
 * the flush machinery without being issued; one flush request, issued and shown, may stand for
 * several of them), and in biosnoop requests whose submitter was filtered out. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} completions_not_shown SEC(".maps");

static __always_inline void count_not_shown(void)
{
	count_per_cpu(&completions_not_shown);
}

/* The struct request, read with CO-RE where tracepoints pass it (raw and BTF ones). */

/* Kernels before 5.11 passed the request queue first to block_rq_insert and block_rq_issue. */
typedef void (*btf_trace_block_rq_issue___single)(void *, struct request *);

/* The disk moved from the request to its queue in 5.16. */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

struct request_queue___new {
	struct gendisk *disk;
} __attribute__((preserve_access_index));

/* Before 6.0 the operations were enum req_opf. */
enum req_opf___old {
	REQ_OP_READ___old, REQ_OP_WRITE___old, REQ_OP_FLUSH___old, REQ_OP_DISCARD___old,
	REQ_OP_SECURE_ERASE___old, REQ_OP_ZONE_RESET___old, REQ_OP_WRITE_SAME___old,
	REQ_OP_WRITE_ZEROES___old,
};

enum req_op___new {
	REQ_OP_READ___new, REQ_OP_WRITE___new, REQ_OP_FLUSH___new, REQ_OP_DISCARD___new,
	REQ_OP_SECURE_ERASE___new, REQ_OP_ZONE_RESET___new, REQ_OP_WRITE_ZEROES___new,
};

static __always_inline struct gendisk *request_disk(struct request *rq)
{
	struct request___old *old = (void *)rq;
	if (bpf_core_field_exists(old->rq_disk))
		return BPF_CORE_READ(old, rq_disk);
	struct request_queue___new *q = (void *)BPF_CORE_READ(rq, q);
	return BPF_CORE_READ(q, disk);
}

static __always_inline __u32 disk_dev(struct gendisk *disk)
{
	if (!disk)
		return 0;
	return ((__u32)BPF_CORE_READ(disk, major) << 20) | (__u32)BPF_CORE_READ(disk, first_minor);
}

#define OP_IS(op, name)                                                                  \
	(bpf_core_enum_value_exists(enum req_op___new, name##___new)                       \
		 ? (op) == bpf_core_enum_value(enum req_op___new, name##___new)            \
		 : bpf_core_enum_value_exists(enum req_opf___old, name##___old) &&         \
			   (op) == bpf_core_enum_value(enum req_opf___old, name##___old))

/* The request argument of block_rq_insert/block_rq_issue/block_rq_merge (one event class):
 * the second one before 5.11. The
 * second load is written in assembly: the compiler would otherwise merge the two loads into one
 * through the context pointer plus 0 or 8, which the verifier refuses ("modified ctx ptr"). */
static __always_inline struct request *rq_of_insert_issue(u64 *args)
{
	__u64 rq;
	if (bpf_core_type_matches(btf_trace_block_rq_issue___single))
		return (struct request *)args[0];
	asm volatile("%0 = *(u64 *)(%1 + 8)" : "=r"(rq) : "r"(args));
	return (struct request *)rq;
}

#endif
