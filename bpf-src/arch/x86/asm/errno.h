/* libbpf's usdt.bpf.h includes <linux/errno.h>, which wants the architecture's <asm/errno.h>;
 * Debian keeps that under the multiarch directory, which BPF builds do not search (its other
 * headers are the host's, not BPF's). x86's is the generic one. */
#include <asm-generic/errno.h>
