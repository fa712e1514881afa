// SPDX-License-Identifier: GPL-2.0
/* biosnoop: one event per completed block I/O request, with the process that submitted it.
 *
 * On raw tracepoints (the order user space prefers) requests are known by their struct request
 * pointer, so two in flight for the same sector (a journal block rewritten, readers of one
 * block) are two requests. On the classic ones, BCC's method: by their disk and first sector,
 * which every block tracepoint carries; two requests for one sector in flight at once then
 * make one row, and user space says how many completions have no row (DiskCompletions).
 * The submitter is who was on the CPU at block_io_start (Linux 6.5+: the request being
 * accounted, in the submitter's context), else at block_bio_queue (the bio being submitted,
 * known by disk and sector: a bio merged onto the back of another's request is not the
 * request's first, and the request keeps the first one's submitter); a completion looks for
 * it both ways. The latency runs from block_rq_issue (sent to the device) to
 * block_rq_complete.
 */
#include "vmlinux.h"
#include "biosnoop.h"
#include "common.bpf.h"
#include "ringbuf.bpf.h"
#include "block.bpf.h"

const volatile struct biosnoop_cfg cfg = {};

/* A request: its struct request pointer (raw tracepoints), or its disk and first sector
 * (classic ones; `sector` 0 with a pointer: a dev number is never a kernel address). */
struct req_key {
	__u64 id;
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
	__u64 sector;
	__u32 dev;
	__u32 rwflag;
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

static __always_inline void submitted(struct req_key key, __u32 dev, __u64 sector)
{
	if (!wanted(dev, sector))
		return;
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
	submitted((struct req_key){ .id = ctx->dev, .sector = ctx->sector }, ctx->dev, ctx->sector);
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
	submitted((struct req_key){ .id = ctx->dev, .sector = ctx->sector }, ctx->dev, ctx->sector);
	return 0;
}

static __always_inline void issued(struct req_key key, __u32 dev, __u64 sector, __u64 len, __u32 rwflag)
{
	if (!wanted(dev, sector))
		return;
	struct issued issue = { .ts = bpf_ktime_get_ns(), .len = len, .sector = sector, .dev = dev, .rwflag = rwflag };
	bpf_map_update_elem(&issues, &key, &issue, BPF_ANY);
}

SEC("tracepoint/block/block_rq_issue")
int tp_rq_issue(struct trace_event_raw_block_rq *ctx)
{
	issued((struct req_key){ .id = ctx->dev, .sector = ctx->sector }, ctx->dev, ctx->sector, ctx->bytes, rwflag(ctx->rwbs));
	return 0;
}

static __always_inline void rq_disk_and_sector(struct request *rq, __u32 *dev, __u64 *sector)
{
	*dev = disk_dev(request_disk(rq));
	*sector = BPF_CORE_READ(rq, __sector);
}

/* A request's completion, `bytes` (or sectors) done: a row if its issue was seen. Its disk
 * and sector come from `rq` when given (read only if needed), else from `dev` and `sector`. */
static __always_inline void completed(struct req_key key, __u64 bytes, struct request *rq, __u32 dev, __u64 sector)
{
	struct issued *issue = bpf_map_lookup_elem(&issues, &key);
	if (!issue) {
		/* issued before the tool started, or filtered out (-d); or a request without data never
		 * issued (an fsync's empty flush write), which the kernel counts */
		if (bytes == 0) {
			if (rq)
				rq_disk_and_sector(rq, &dev, &sector);
			if (wanted(dev, sector))
				count_not_shown();
		}
		return;
	}
	__u64 now = bpf_ktime_get_ns();
	struct biosnoop_event e = {
		.ts_us = now / 1000,
		.delta_ns = now - issue->ts,
		.sector = issue->sector,
		.len = issue->len,
		.dev = issue->dev,
		.rwflag = issue->rwflag,
	};
	__u64 issue_ts = issue->ts;
	bpf_map_delete_elem(&issues, &key);
	/* the submitter of the request itself (block_io_start), else of its first bio */
	struct req_key by_sector = { .id = e.dev, .sector = e.sector };
	struct submitter *who = bpf_map_lookup_elem(&submitters, &key);
	if (who)
		by_sector = key;
	else
		who = bpf_map_lookup_elem(&submitters, &by_sector);
	bool excluded = who ? who->excluded : cfg.common.filter_cgroup;  /* unknown: not known to be in it */
	if (who) {
		e.pid = who->pid;
		e.cgroup_id = who->cgroup_id;
		__builtin_memcpy(e.comm, who->comm, sizeof(e.comm));
		if (cfg.queued && issue_ts > who->ts)
			e.qdelta_ns = issue_ts - who->ts;
		bpf_map_delete_elem(&submitters, &by_sector);
	} else {
		e.comm[0] = '?';
	}
	if (cfg.pattern) {
		__u64 *last = bpf_map_lookup_elem(&last_sectors, &e.dev);
		if (last)
			e.pattern = *last == e.sector ? BIOSNOOP_PATTERN_SEQUENTIAL : BIOSNOOP_PATTERN_RANDOM;
		__u64 end = e.sector + e.len / 512;
		bpf_map_update_elem(&last_sectors, &e.dev, &end, BPF_ANY);
	}
	if (!excluded) {
		emit(&e, sizeof(e));
	} else {
		count_not_shown();  /* the submitter was filtered out */
	}
}

SEC("tracepoint/block/block_rq_complete")
int tp_rq_complete(struct block_dev_sector_ctx *ctx)
{
	completed((struct req_key){ .id = ctx->dev, .sector = ctx->sector }, ctx->nr_sector, NULL, ctx->dev, ctx->sector);
	return 0;
}

/* Raw tracepoints: the struct request itself (the context is the argument array) */

SEC("raw_tp/block_io_start")
int raw_io_start(u64 *ctx)
{
	struct request *rq = (struct request *)ctx[0];
	__u32 dev = 0;
	__u64 sector = 0;
	if (cfg.filter_dev)  /* only -d looks at them here */
		rq_disk_and_sector(rq, &dev, &sector);
	submitted((struct req_key){ .id = (__u64)rq }, dev, sector);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int raw_rq_issue(u64 *ctx)
{
	struct request *rq = rq_of_insert_issue(ctx);
	__u32 dev;
	__u64 sector;
	rq_disk_and_sector(rq, &dev, &sector);
	/* a write as BCC says it: the rwbs string's W is the write operation */
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & 0xff;  /* REQ_OP_BITS has been 8 since 4.10 */
	issued((struct req_key){ .id = (__u64)rq }, dev, sector, BPF_CORE_READ(rq, __data_len), OP_IS(op, REQ_OP_WRITE) ? 1 : 0);
	return 0;
}

/* A request merged into another is freed without a completion: its submitter goes with it,
 * or the next request given the same struct request without being started (a passthrough
 * command: no block_io_start) would show that submitter. */
SEC("raw_tp/block_rq_merge")
int raw_rq_merge(u64 *ctx)
{
	struct req_key key = { .id = (__u64)rq_of_insert_issue(ctx) };
	bpf_map_delete_elem(&submitters, &key);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int raw_rq_complete(u64 *ctx)
{
	struct request *rq = (struct request *)ctx[0];
	completed((struct req_key){ .id = (__u64)rq }, (__u32)ctx[2], rq, 0, 0);  /* (rq, error, nr_bytes) */
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
