/* SPDX-License-Identifier: GPL-2.0 */
/* The ring buffer streaming tools send their events through. Include after common.bpf.h. */
#ifndef RINGBUF_BPF_H
#define RINGBUF_BPF_H

/* Every streaming tool sends its events through this ring buffer. Its size is set from user
 * space before load (-b for opensnoop). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);  /* 512 KiB; a tool may resize it before load */
} events SEC(".maps");

/* A quarter of the ring's size: user space sets it when it resizes the ring (asking the kernel
 * with bpf_ringbuf_query() cost every record ~35 ns more). */
const volatile __u64 ringbuf_wakeup_bytes = (1 << 19) / 4;

/* 1 while the reader sleeps on a long timer, idle (see EventLoop): the next record wakes it
 * and clears this. User space sets it after a quiet spell. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} reader_idle SEC(".maps");

/* Whether to wake user space for a record.
 *
 * It is not woken for each record: a wake-up costs the traced task a few microseconds (more
 * than the rest of the program), which made an open storm almost twice as slow. While records
 * flow, user space polls every few milliseconds instead (see EventLoop), and is woken at once
 * only when a quarter of the ring is full, so a burst cannot overflow it. An idle reader
 * sleeps on a long timer, and the first record after the quiet spell wakes it. */
static __always_inline __u64 wakeup_flags(void)
{
	__u32 zero = 0;
	__u32 *idle = bpf_map_lookup_elem(&reader_idle, &zero);
	if (idle && *idle) {
		*idle = 0;
		return BPF_RB_FORCE_WAKEUP;
	}
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Copies `size` bytes into the ring buffer as one record; counts it as lost if it did not fit. */
static __always_inline int emit(void *data, __u64 size)
{
	int err = bpf_ringbuf_output(&events, data, size, wakeup_flags());
	if (err)
		count_lost();
	return err;
}

/* A record of `size` bytes (a constant) to fill in place, for records too big for the BPF
 * stack; NULL, counted as lost, when the ring is full. Send it with submit(). */
#define reserve(size) ({ void *__rec = bpf_ringbuf_reserve(&events, (size), 0); if (!__rec) count_lost(); __rec; })

static __always_inline void submit(void *record)
{
	bpf_ringbuf_submit(record, wakeup_flags());
}

#endif
