/* Swift cannot call libbpf's macros and a few C constructs directly; these shims do it. */
#ifndef CLIBBPF_SHIM_H
#define CLIBBPF_SHIM_H

#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <malloc.h>
/* binutils' demangler (libiberty-dev): C++ (Itanium) and Rust (legacy and v0) symbol names,
 * for profile's frames. Declared here rather than through <libiberty/demangle.h>, which
 * pulls in libiberty's other headers. */
#define SHIM_DMGL_PARAMS (1 << 0)
#define SHIM_DMGL_ANSI (1 << 1)
#define SHIM_DMGL_AUTO (1 << 8)
char *cplus_demangle(const char *mangled, int options);  /* malloc_trim: MemoryTrim gives start-up's free heap back */
#include <errno.h>
#include <linux/perf_event.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <zlib.h>

/* glibc 2.32+ (string.h declares it only under _GNU_SOURCE): "EPERM" for EPERM, NULL for a
 * number with no name. */
const char *strerrorname_np(int errnum);
/* glibc 2.32+: "TERM" for SIGTERM, NULL for a number with no name. */
const char *sigabbrev_np(int sig);

/* libbpf's print callback takes a va_list; format it here so Swift gets a plain string. */
typedef void (*clibbpf_log_fn)(int level, const char *message);

static inline clibbpf_log_fn *clibbpf_log_sink(void)
{
	static clibbpf_log_fn sink;
	return &sink;
}

static inline int clibbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	clibbpf_log_fn sink = *clibbpf_log_sink();
	char *text = NULL;
	if (!sink)
		return 0;
	/* verifier logs arrive as one message of up to megabytes: size it first */
	va_list copy;
	va_copy(copy, args);
	int n = vsnprintf(NULL, 0, format, copy);
	va_end(copy);
	if (n < 0 || !(text = malloc((size_t)n + 1)))
		return 0;
	vsnprintf(text, (size_t)n + 1, format, args);
	sink((int)level, text);
	free(text);
	return 0;
}

static inline void clibbpf_set_log_sink(clibbpf_log_fn sink)
{
	*clibbpf_log_sink() = sink;
	libbpf_set_print(clibbpf_print);
}

/* A cgroup v2 directory opened by its ID (FILEID_KERNFS handle: the ID is the handle), from a
 * descriptor of the cgroup2 mount; -1 with errno. Through syscall(): glibc declares
 * open_by_handle_at only under _GNU_SOURCE. */
static inline int clibbpf_open_cgroup_by_id(int mount_fd, unsigned long long id)
{
	struct { unsigned int bytes; int type; unsigned long long id; } handle = { 8, 0xfe, id };
	return (int)syscall(SYS_open_by_handle_at, mount_fd, &handle, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
}

/* Read access to BTF types for the minimal-BTF generator (static inline in libbpf). */
static inline unsigned int clibbpf_btf_kind(const struct btf_type *t) { return btf_kind(t); }
static inline int clibbpf_btf_kflag(const struct btf_type *t) { return btf_kflag(t); }
static inline const struct btf_member *clibbpf_btf_member(const struct btf_type *t, unsigned int i) { return btf_members(t) + i; }
static inline unsigned int clibbpf_btf_member_bit_offset(const struct btf_type *t, unsigned int i) { return btf_member_bit_offset(t, i); }
static inline unsigned int clibbpf_btf_member_bitfield_size(const struct btf_type *t, unsigned int i) { return btf_member_bitfield_size(t, i); }
static inline const struct btf_array *clibbpf_btf_array(const struct btf_type *t) { return btf_array(t); }
static inline const struct btf_enum *clibbpf_btf_enum(const struct btf_type *t, unsigned int i) { return btf_enum(t) + i; }
static inline const struct btf_enum64 *clibbpf_btf_enum64(const struct btf_type *t, unsigned int i) { return btf_enum64(t) + i; }
static inline unsigned long long clibbpf_btf_enum64_value(const struct btf_enum64 *e) { return btf_enum64_value(e); }
static inline unsigned int clibbpf_btf_int_encoding(const struct btf_type *t) { return btf_int_encoding(t); }

/* btf_var_secinfos() and btf_var() are static inline over pointer arithmetic; wrap them. */
static inline const struct btf_var_secinfo *clibbpf_datasec_var(const struct btf_type *t, unsigned int i)
{
	return btf_var_secinfos(t) + i;
}

static inline unsigned short clibbpf_btf_vlen(const struct btf_type *t)
{
	return btf_vlen(t);
}

/* A sampling perf event on one CPU (all tasks), counting `type`/`config` events and firing
 * `frequency` times a second, or every `period` events when frequency is 0. perf_event_open
 * has no libc wrapper, and Swift cannot call the variadic syscall(). Returns the fd or -errno. */
static inline int clibbpf_open_sampling_event(unsigned int type, unsigned long long config,
					      unsigned long long frequency, unsigned long long period, int cpu)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = type;
	attr.config = config;
	if (frequency) {
		attr.freq = 1;
		attr.sample_freq = frequency;
	} else {
		attr.sample_period = period;
	}
	long fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

/* Opens `path` inside the directory tree `root_fd` as if it were the root (a container's root
 * through /proc/PID/root): absolute symlinks and ".." stay inside it and magic links are not
 * followed, so a file planted by the container's users cannot send root's tool to a host file.
 * Returns the fd, or -errno (-ENOSYS before Linux 5.6). */
static inline int clibbpf_open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = (unsigned long long)flags;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	long fd = syscall(__NR_openat2, root_fd, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Starts argv (looked up in PATH) in a child process that waits, before exec, until the
 * parent writes a byte to *gate_fd (so that its PID can be put in a BPF program's config and
 * the probes attached before it runs). Closing *gate_fd without writing makes the child exit
 * 127 without running anything. An exec failure's errno is written to *error_fd (closed by a
 * successful exec). Returns the child's PID, or -errno. Only async-signal-safe calls run in
 * the child. */
static inline int clibbpf_spawn_gated(char *const argv[], int *gate_fd, int *error_fd)
{
	int gate[2], err[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;
		close(gate[0]);
		close(gate[1]);
		return -e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(gate[0]); close(gate[1]); close(err[0]); close(err[1]);
		return -e;
	}
	if (pid == 0) {
		char go;
		ssize_t n;
		while ((n = read(gate[0], &go, 1)) < 0 && errno == EINTR)
			;
		if (n != 1)
			_exit(127);
		execvp(argv[0], argv);
		int e = errno;
		while (write(err[1], &e, sizeof(e)) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	close(gate[0]);
	close(err[1]);
	*gate_fd = gate[1];
	*error_fd = err[0];
	return pid;
}

/* Whether the kernel's verifier takes a compare-and-exchange (BPF_ATOMIC | BPF_CMPXCHG, Linux
 * 5.12+): a six-instruction socket filter doing one on its stack is loaded and dropped. */
static inline int clibbpf_probe_cmpxchg(void)
{
	struct bpf_insn insns[] = {
		/* *(u64 *)(r10 - 8) = 0 */
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		/* r0 = 0; r1 = 1 */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		/* r0 = cmpxchg((u64 *)(r10 - 8), r0, r1) */
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_1, .off = -8, .imm = BPF_CMPXCHG },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns, sizeof(insns) / sizeof(insns[0]), NULL);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Whether programs of `type` may call helper `id` (bpf_loop, say): libbpf's own probe. */
static inline int clibbpf_probe_helper(enum bpf_prog_type type, enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(type, id, NULL) == 1;
}

#endif
