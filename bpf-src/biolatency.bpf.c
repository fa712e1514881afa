// SPDX-License-Identifier: GPL-2.0
/* biolatency: block I/O latency as log2 histograms, counted in the kernel.
 *
 * A request's start time is kept when it is issued to the device (or, with -Q, when it is
 * first queued); at completion the latency goes into the histogram of its key (disk and/or
 * flags). Each hook has three variants, in user space's order of preference: raw tracepoints
 * and BTF tracepoints (both get the struct request, read here with CO-RE probe reads), and
 * classic tracepoints (no request pointer: requests are matched by disk and sector, and there
 * are no flags).
 */
#include "vmlinux.h"
#include "biolatency.h"
#include "common.bpf.h"
#include "block.bpf.h"

const volatile struct biolatency_cfg cfg = {
	.sector_end = ~0ULL,
};

/* Requests in flight: struct request pointer, or disk and sector for classic tracepoints. */
struct start_key {
	__u64 id;
	__u64 sector;
};

/* Their start times, in an open-addressed table (a few slots probed from the key's hash)
 * instead of a hash map: array lookups are inlined by the verifier, and a hash map update cost
 * more than everything else done per I/O (measured: 0.8 us of 1.3 us on a 20 us I/O). A slot
 * is claimed with a compare-and-swap of its id, released by the completion. */
#define START_SLOTS (1 << 14)
#define START_PROBES 4

struct start_slot {
	__u64 id;      /* 0: free */
	__u64 sector;
	__u64 ts;
	__u64 cgroup;  /* --containers: the task that first started the request (queued or issued it) */
};

/* A start_nocas entry. */
struct start_value {
	__u64 ts;
	__u64 cgroup;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, START_SLOTS);
	__type(key, __u32);
	__type(value, struct start_slot);
} start SEC(".maps");

/* Kernels before 5.12 have no compare-and-swap, and refuse a program that contains one even
 * where it cannot run: their start programs (the *_nocas variants) use this hash map, whose
 * BPF_NOEXIST insert is atomic. Completions look in both tables. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct start_key);
	__type(value, struct start_value);
} start_nocas SEC(".maps");

static __always_inline __u32 start_hash(struct start_key *key, __u32 probe)
{
	return (__u32)(((key->id ^ key->sector) * 0x9E3779B97F4A7C15ULL) >> 50) + probe;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct biolatency_key);
	__type(value, struct biolatency_hist);
} hists SEC(".maps");

/* The value a new histogram starts from (too big for the BPF stack). */
static struct biolatency_hist zero_hist;

#define FLAG_BIT(flags, bit, bcc)                                                        \
	(bpf_core_enum_value_exists(enum req_flag_bits, bit) &&                           \
	 ((flags) & (1u << bpf_core_enum_value(enum req_flag_bits, bit))) ? (bcc) : 0)

/* The kernel's cmd_flags in BCC's encoding: the kernel's numbers for operations and flag bits
 * changed over the years, BCC's (and so its output) did not. */
static __always_inline __u32 bcc_flags(__u32 cmd_flags)
{
	__u32 op = cmd_flags & 0xff;  /* REQ_OP_BITS has been 8 since 4.10 */
	__u32 out;

	if (OP_IS(op, REQ_OP_READ))
		out = BIOLATENCY_OP_READ;
	else if (OP_IS(op, REQ_OP_WRITE))
		out = BIOLATENCY_OP_WRITE;
	else if (OP_IS(op, REQ_OP_FLUSH))
		out = BIOLATENCY_OP_FLUSH;
	else if (OP_IS(op, REQ_OP_DISCARD))
		out = BIOLATENCY_OP_DISCARD;
	else if (OP_IS(op, REQ_OP_SECURE_ERASE))
		out = BIOLATENCY_OP_SECURE_ERASE;
	else if (OP_IS(op, REQ_OP_ZONE_RESET))
		out = BIOLATENCY_OP_ZONE_RESET;
	else if (bpf_core_enum_value_exists(enum req_opf___old, REQ_OP_WRITE_SAME___old) &&
		 op == bpf_core_enum_value(enum req_opf___old, REQ_OP_WRITE_SAME___old))
		out = BIOLATENCY_OP_WRITE_SAME;
	else if (OP_IS(op, REQ_OP_WRITE_ZEROES))
		out = BIOLATENCY_OP_WRITE_ZEROES;
	else
		out = BIOLATENCY_OP_UNKNOWN;

	out |= FLAG_BIT(cmd_flags, __REQ_SYNC, BIOLATENCY_F_SYNC);
	out |= FLAG_BIT(cmd_flags, __REQ_META, BIOLATENCY_F_META);
	out |= FLAG_BIT(cmd_flags, __REQ_PRIO, BIOLATENCY_F_PRIO);
	out |= FLAG_BIT(cmd_flags, __REQ_NOMERGE, BIOLATENCY_F_NOMERGE);
	out |= FLAG_BIT(cmd_flags, __REQ_IDLE, BIOLATENCY_F_IDLE);
	out |= FLAG_BIT(cmd_flags, __REQ_FUA, BIOLATENCY_F_FUA);
	out |= FLAG_BIT(cmd_flags, __REQ_RAHEAD, BIOLATENCY_F_RAHEAD);
	out |= FLAG_BIT(cmd_flags, __REQ_BACKGROUND, BIOLATENCY_F_BACKGROUND);
	out |= FLAG_BIT(cmd_flags, __REQ_NOWAIT, BIOLATENCY_F_NOWAIT);
	return out;
}

/* -d: the disk, and a partition's sectors on it. */
static __always_inline bool dev_wanted(__u32 dev, __u64 sector)
{
	return !cfg.filter_dev || (dev == cfg.targ_dev && sector >= cfg.sector_start && sector < cfg.sector_end);
}

/* -d and --cgroup, checked where a request starts: a request not started is never counted.
 * The cgroup is the current task's: the submitter's when the request is queued or issued
 * directly, the dispatching worker's when an I/O scheduler issues it later. */
static __always_inline bool start_wanted(__u32 dev, __u64 sector)
{
	if (!dev_wanted(dev, sector))
		return false;
	if (cfg.common.filter_cgroup &&
	    bpf_get_current_ancestor_cgroup_id(cfg.common.cgroup_level) != cfg.common.cgroup_id)
		return false;
	return true;
}

static __always_inline struct start_slot *start_slot(struct start_key *key, __u32 probe)
{
	__u32 index = start_hash(key, probe) & (START_SLOTS - 1);
	return bpf_map_lookup_elem(&start, &index);
}

static __always_inline void record_start(struct start_key *key, bool issue, bool cas)
{
	__u64 ts = bpf_ktime_get_ns();
	if (!cas) {
		/* With -Q an issue keeps the time the request was queued; the first starter's cgroup
		 * stays in any case (an I/O scheduler's worker may issue what a task queued). */
		struct start_value *known = bpf_map_lookup_elem(&start_nocas, key);
		if (known) {
			if (!(issue && cfg.queued))
				known->ts = ts;
			return;
		}
		struct start_value value = { .ts = ts, .cgroup = cfg.by_cgroup ? bpf_get_current_cgroup_id() : 0 };
		if (bpf_map_update_elem(&start_nocas, key, &value, BPF_NOEXIST) == -E2BIG)
			count_lost();
		return;
	}
	struct start_slot *slot;
	__u32 probe;

	/* Issued again (requeued), or issued after being queued: with -Q the queueing time stays. */
	for (probe = 0; probe < START_PROBES; probe++) {
		slot = start_slot(key, probe);
		if (slot && slot->id == key->id && slot->sector == key->sector) {
			if (!(issue && cfg.queued))
				slot->ts = ts;
			return;
		}
	}
	for (probe = 0; probe < START_PROBES; probe++) {
		slot = start_slot(key, probe);
		if (slot && slot->id == 0 && __sync_val_compare_and_swap(&slot->id, 0, key->id) == 0) {
			slot->sector = key->sector;
			slot->ts = ts;
			slot->cgroup = cfg.by_cgroup ? bpf_get_current_cgroup_id() : 0;
			return;
		}
	}
	count_lost();  /* every slot probed is taken: too many requests in flight */
}

static __always_inline void rq_start(struct request *rq, bool issue, bool cas)
{
	struct start_key key = { .id = (__u64)rq };
	if (cfg.filter_dev || cfg.common.filter_cgroup) {
		if (!start_wanted(disk_dev(request_disk(rq)), BPF_CORE_READ(rq, __sector)))
			return;
	}
	record_start(&key, issue, cas);
}

/* A completion: into the histogram of its key if its start was seen. `unstarted_empty`: a
 * request without data on a device -d wants, counted if its start was not seen. */
static __always_inline void count(struct start_key *skey, __u32 dev, __u32 flags, bool unstarted_empty)
{
	__u64 start_ts = 0, cgroup = 0;
	for (__u32 probe = 0; probe < START_PROBES; probe++) {
		struct start_slot *slot = start_slot(skey, probe);
		if (slot && slot->id == skey->id && slot->sector == skey->sector) {
			start_ts = slot->ts;
			cgroup = slot->cgroup;
			slot->id = 0;
			break;
		}
	}
	if (!start_ts) {
		struct start_value *started = bpf_map_lookup_elem(&start_nocas, skey);
		if (!started) {
			/* started before the tool, or not wanted (-d, --cgroup); or a request without data
			 * never issued (an fsync's empty flush write), which the kernel counts */
			if (unstarted_empty)
				count_not_shown();
			return;
		}
		start_ts = started->ts;
		cgroup = started->cgroup;
		bpf_map_delete_elem(&start_nocas, skey);
	}
	__u64 now = bpf_ktime_get_ns();
	__u64 delta = now > start_ts ? now - start_ts : 0;
	delta /= cfg.targ_ms ? 1000000 : 1000;

	struct biolatency_key key = { .dev = dev, .flags = flags, .cgroup_id = cgroup };
	struct biolatency_hist *hist = bpf_map_lookup_elem(&hists, &key);
	if (!hist) {
		bpf_map_update_elem(&hists, &key, &zero_hist, BPF_NOEXIST);
		hist = bpf_map_lookup_elem(&hists, &key);
		if (!hist) {
			count_lost();
			return;
		}
	}
	__u64 slot = log2l_slot(delta);
	if (slot >= BIOLATENCY_SLOTS)
		slot = BIOLATENCY_SLOTS - 1;
	atomic_add(&hist->slots[slot], 1);
	atomic_add(&hist->total, delta);
}

static __always_inline void rq_done(struct request *rq, __u32 bytes)
{
	struct start_key key = { .id = (__u64)rq };
	__u32 dev = cfg.per_disk ? disk_dev(request_disk(rq)) : 0;
	__u32 flags = cfg.per_flag ? bcc_flags(BPF_CORE_READ(rq, cmd_flags)) : 0;
	bool empty = bytes == 0 && (!cfg.filter_dev || dev_wanted(disk_dev(request_disk(rq)), BPF_CORE_READ(rq, __sector)));
	count(&key, dev, flags, empty);
}

/* The start programs come in two variants: with compare-and-swap (Linux 5.12+), and *_nocas. */
#define START_PROGRAM(section, name, ctx_type, call)				\
	SEC(section) int name(ctx_type ctx) { call(true); return 0; }	\
	SEC(section) int name##_nocas(ctx_type ctx) { call(false); return 0; }

/* BTF tracepoints */

/* A BTF tracepoint's arguments are typed: the verifier forbids the arithmetic that hashes the
 * request pointer. Read through a probe, the pointer is a plain number, as in a raw tracepoint. */
static __always_inline struct request *untyped(u64 *ctx, int index)
{
	__u64 value = 0;
	bpf_probe_read_kernel(&value, sizeof(value), ctx + index);
	return (struct request *)value;
}

static __always_inline struct request *untyped_rq_of_insert_issue(u64 *ctx)
{
	return untyped(ctx, bpf_core_type_matches(btf_trace_block_rq_issue___single) ? 0 : 1);
}

#define BTF_IO_START(cas) rq_start(untyped(ctx, 0), false, cas)
#define BTF_RQ_INSERT(cas) rq_start(untyped_rq_of_insert_issue(ctx), false, cas)
#define BTF_RQ_ISSUE(cas) rq_start(untyped_rq_of_insert_issue(ctx), true, cas)
START_PROGRAM("tp_btf/block_io_start", btf_io_start, u64 *, BTF_IO_START)
START_PROGRAM("tp_btf/block_rq_insert", btf_rq_insert, u64 *, BTF_RQ_INSERT)
START_PROGRAM("tp_btf/block_rq_issue", btf_rq_issue, u64 *, BTF_RQ_ISSUE)

SEC("tp_btf/block_rq_complete")
int btf_rq_complete(u64 *ctx)
{
	rq_done(untyped(ctx, 0), (__u32)ctx[2]);  /* (rq, error, nr_bytes): a scalar reads directly */
	return 0;
}

/* Raw tracepoints: the same arguments (the context is the argument array), untyped */

#define RAW_IO_START(cas) rq_start((struct request *)ctx[0], false, cas)
#define RAW_RQ_INSERT(cas) rq_start(rq_of_insert_issue(ctx), false, cas)
#define RAW_RQ_ISSUE(cas) rq_start(rq_of_insert_issue(ctx), true, cas)
START_PROGRAM("raw_tp/block_io_start", raw_io_start, u64 *, RAW_IO_START)
START_PROGRAM("raw_tp/block_rq_insert", raw_rq_insert, u64 *, RAW_RQ_INSERT)
START_PROGRAM("raw_tp/block_rq_issue", raw_rq_issue, u64 *, RAW_RQ_ISSUE)

SEC("raw_tp/block_rq_complete")
int raw_rq_complete(u64 *ctx)
{
	rq_done((struct request *)ctx[0], (__u32)ctx[2]);  /* (rq, error, nr_bytes) */
	return 0;
}

/* Classic tracepoints: requests known by disk and sector */

static __always_inline void tp_start(struct trace_event_raw_block_rq *ctx, bool issue, bool cas)
{
	__u32 dev = ctx->dev;
	__u64 sector = ctx->sector;
	if (!start_wanted(dev, sector))
		return;
	struct start_key key = { .id = dev, .sector = sector };
	record_start(&key, issue, cas);
}

#define TP_QUEUED(cas) tp_start(ctx, false, cas)
#define TP_ISSUE(cas) tp_start(ctx, true, cas)
START_PROGRAM("tracepoint/block/block_io_start", tp_io_start, struct trace_event_raw_block_rq *, TP_QUEUED)
START_PROGRAM("tracepoint/block/block_rq_insert", tp_rq_insert, struct trace_event_raw_block_rq *, TP_QUEUED)
START_PROGRAM("tracepoint/block/block_rq_issue", tp_rq_issue, struct trace_event_raw_block_rq *, TP_ISSUE)

SEC("tracepoint/block/block_rq_complete")
int tp_rq_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	__u32 dev = ctx->dev;
	struct start_key key = { .id = dev, .sector = ctx->sector };
	count(&key, cfg.per_disk ? dev : 0, 0, ctx->nr_sector == 0 && dev_wanted(dev, ctx->sector));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
