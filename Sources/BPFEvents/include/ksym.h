/* SPDX-License-Identifier: (BSD-2-Clause OR GPL-2.0) */
/* The batch of kernel addresses a BPF program names with %pS (bpf-src/ksym.bpf.h). Its layout:
 * KSYM_BATCH addresses (u64), then KSYM_BATCH names of KSYM_TEXT bytes each, then the count
 * (u32). The struct itself is declared on the BPF side only: Swift would import its 16 KiB of
 * names as nested tuples. */
#ifndef KSYM_H
#define KSYM_H

#define KSYM_BATCH 64
#define KSYM_TEXT 256

#endif
