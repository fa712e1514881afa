// SPDX-License-Identifier: GPL-2.0
/* biosnoop: one event per completed block I/O request, with the process that submitted it.
 *
 * BCC's method on its block tracepoints: requests are known by their disk and first sector,
 * which every block tracepoint carries (BCC adds the direction: a read and a write of the same
 * sector in flight at once are rare, and the completion's direction field moved between
 * kernels while disk and sector did not). The submitter is who was on the CPU at
 * block_io_start (Linux 6.5+: the request being accounted, in the submitter's context), else
 * at block_bio_queue (the bio being submitted: a bio merged onto the back of another's request
 * is not the request's first, and the request keeps the first one's submitter); the latency
 * runs from block_rq_issue (sent to the device) to block_rq_complete.
 */
#include "vmlinux.h"
#include "biosnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "block.bpf.h"

const volatile struct biosnoop_cfg cfg = {};

struct req_key {
	__u32 dev;
	__u32 _pad;
	__u64 sector;
};

struct submitter {
	__u64 ts;             /* when queued (-Q) */
	__u32 pid;
	__u32 excluded;       /* the submitter is the tool, or outside --cgroup */
	char comm[TOOLS_TASK_COMM_LEN];
	__u64 cgroup_id;
};

struct issued {
	__u64 ts;
	__u64 len;
	__u32 rwflag;
	__u32 _pad;
};

/* LRU maps: an entry whose completion is never seen (a merged bio, a request completed in
 * pieces) ages out instead of filling the table. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct req_key);
	__type(value, struct submitter);
} submitters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct req_key);
	__type(value, struct issued);
} issues SEC(".maps");

/* -P: where the last request of each disk ended. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} last_sectors SEC(".maps");

/* A write if the rwbs string (RWBS_LEN 8: "WS", "R", "FWFS"...) has a W, as BCC reads it.
 * Copied out first: the verifier refuses a walk over the tracepoint's context. */
static __always_inline __u32 rwflag(const char *field)
{
	char rwbs[8] = {};
	bpf_probe_read_kernel(rwbs, sizeof(rwbs), field);
	for (int i = 0; i < 8; i++) {
		if (rwbs[i] == 'W')
			return 1;
		if (!rwbs[i])
			return 0;
	}
	return 0;
}

static __always_inline bool wanted(__u32 dev, __u64 sector)
{
	return !cfg.filter_dev || (dev == cfg.targ_dev && sector >= cfg.sector_start && sector < cfg.sector_end);
}

static __always_inline void submitted(__u32 dev, __u64 sector)
{
	if (!wanted(dev, sector))
		return;
	struct req_key key = { .dev = dev, .sector = sector };
	struct submitter who = { .ts = bpf_ktime_get_ns(), .pid = bpf_get_current_pid_tgid() >> 32,
				  .cgroup_id = bpf_get_current_cgroup_id() };
	/* the filters apply here, where the submitter is the task on the CPU */
	who.excluded = !common_filters_pass(&cfg.common);
	bpf_get_current_comm(&who.comm, sizeof(who.comm));
	bpf_map_update_elem(&submitters, &key, &who, BPF_ANY);
}

SEC("tracepoint/block/block_io_start")
int tp_io_start(struct trace_event_raw_block_rq *ctx)
{
	submitted(ctx->dev, ctx->sector);
	return 0;
}

/* The start of the context of block_bio_queue and block_rq_complete, declared without
 * CO-RE: their BTF types changed names in 5.11 (events of their own, then of the block_bio
 * and block_rq_completion classes) while these first fields, which are ABI (the tracefs
 * format), stayed where they are on every kernel. */
struct block_dev_sector_ctx {
	__u64 common;
	__u32 dev;
	__u64 sector;
	__u32 nr_sector;
};

SEC("tracepoint/block/block_bio_queue")
int tp_bio_queue(struct block_dev_sector_ctx *ctx)
{
	submitted(ctx->dev, ctx->sector);
	return 0;
}

SEC("tracepoint/block/block_rq_issue")
int tp_rq_issue(struct trace_event_raw_block_rq *ctx)
{
	__u32 dev = ctx->dev;
	__u64 sector = ctx->sector;
	if (!wanted(dev, sector))
		return 0;
	struct req_key key = { .dev = dev, .sector = sector };
	struct issued issue = { .ts = bpf_ktime_get_ns(), .len = ctx->bytes, .rwflag = rwflag(ctx->rwbs) };
	bpf_map_update_elem(&issues, &key, &issue, BPF_ANY);
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int tp_rq_complete(struct block_dev_sector_ctx *ctx)
{
	struct req_key key = { .dev = ctx->dev, .sector = ctx->sector };
	struct issued *issue = bpf_map_lookup_elem(&issues, &key);
	if (!issue) {
		/* issued before the tool started, or filtered out (-d); or a request without data never
		 * issued (an fsync's empty flush write), which the kernel counts */
		if (ctx->nr_sector == 0 && wanted(ctx->dev, ctx->sector))
			count_not_shown();
		return 0;
	}
	__u64 now = bpf_ktime_get_ns();
	struct biosnoop_event e = {
		.ts_us = now / 1000,
		.delta_ns = now - issue->ts,
		.sector = key.sector,
		.len = issue->len,
		.dev = key.dev,
		.rwflag = issue->rwflag,
	};
	struct submitter *who = bpf_map_lookup_elem(&submitters, &key);
	bool excluded = who ? who->excluded : cfg.common.filter_cgroup;  /* unknown: not known to be in it */
	if (who) {
		e.pid = who->pid;
		e.cgroup_id = who->cgroup_id;
		__builtin_memcpy(e.comm, who->comm, sizeof(e.comm));
		if (cfg.queued && issue->ts > who->ts)
			e.qdelta_ns = issue->ts - who->ts;
	} else {
		e.comm[0] = '?';
	}
	bpf_map_delete_elem(&issues, &key);
	bpf_map_delete_elem(&submitters, &key);
	if (cfg.pattern) {
		__u64 *last = bpf_map_lookup_elem(&last_sectors, &key.dev);
		if (last)
			e.pattern = *last == key.sector ? BIOSNOOP_PATTERN_SEQUENTIAL : BIOSNOOP_PATTERN_RANDOM;
		__u64 end = key.sector + e.len / 512;
		bpf_map_update_elem(&last_sectors, &key.dev, &end, BPF_ANY);
	}
	if (!excluded) {
		emit(&e, sizeof(e));
	} else {
		count_not_shown();  /* the submitter was filtered out */
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
