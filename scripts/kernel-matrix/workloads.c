/* Workloads for the kernel-matrix guests (static, no libc beyond glibc's static one):
 *   workloads true                 exit 0 (a real exec target: busybox runs applets without exec)
 *   workloads diskio DEV N         N synchronous O_DIRECT 4 KiB reads of DEV
 *   workloads hot SECONDS          burn CPU in main -> hot_outer -> hot_middle -> hot_leaf
 *   workloads sort SECONDS         burn CPU in main -> sort_run -> qsort (glibc's, built without
 *                                  frame pointers) -> sort_compare: only CFI unwinds it whole
 *   workloads tcp                  loopback v4 and v6: connect, send 1 MiB, receive 2 MiB, close;
 *                                  prints "tcp FAMILY LPORT DPORT" per connection
 *   workloads kill                 SIGTERM to a child that waits for it, then signal 0 to a PID no
 *                                  process has; prints "SENDER CHILD MISSING"
 *   workloads synflood             fill a backlog-0 listener so that a second connect's SYNs are
 *                                  dropped and retransmitted; prints "syn LPORT DPORT"
 *   workloads hog                  allocate and touch memory, 1 MiB at a time, until killed
 *   workloads newmount DIR         a tmpfs mounted on DIR through the new mount API (fsopen,
 *                                  fsconfig, fsmount, move_mount), then unmounted
 *   workloads queries              a stand-in for PostgreSQL: its postgresql:query__start and
 *                                  query__done USDT probes (with semaphores, as PostgreSQL's)
 *                                  around 3 queries of 0.2 s and 5 instant ones
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
/* USDT probes with semaphores, as PostgreSQL declares them: the probe sites are skipped until a
 * tracer attaches and the kernel counts the semaphore up (reference-counted uprobes). */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

volatile unsigned long sink;
__attribute__((noinline)) void hot_leaf(void) { for (int i = 0; i < 1000; i++) sink += i * i; }
__attribute__((noinline)) void hot_middle(void) { for (int i = 0; i < 100; i++) hot_leaf(); }
__attribute__((noinline)) void hot_outer(void) { hot_middle(); }

__attribute__((noinline)) static int sort_compare(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	for (int i = 0; i < 50; i++)
		sink += i;
	return (x > y) - (x < y);
}

__attribute__((noinline)) static void sort_run(void)
{
	static unsigned values[20000];
	for (unsigned i = 0; i < 20000; i++)
		values[i] = i * 2654435761u;
	qsort(values, 20000, sizeof(values[0]), sort_compare);
	sink += values[0];
}

static int diskio(const char *dev, int n)
{
	int fd = open(dev, O_RDONLY | O_DIRECT);
	void *buf;
	if (fd < 0 || posix_memalign(&buf, 4096, 4096))
		return 1;
	for (int i = 0; i < n; i++)
		if (pread(fd, buf, 4096, (off_t)i * 4096) != 4096)
			return 1;
	return 0;
}

static int listener;
static void *serve(void *arg)
{
	int c = accept(listener, NULL, NULL);
	char buf[65536];
	long got = 0;
	ssize_t r;
	while (got < 1048576 && (r = read(c, buf, sizeof(buf))) > 0)
		got += r;
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 32; i++)
		if (write(c, buf, sizeof(buf)) != sizeof(buf))
			break;
	shutdown(c, SHUT_WR);
	while (read(c, buf, sizeof(buf)) > 0)
		;
	close(c);
	return arg;
}

static int one_connection(int family)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	listener = socket(family, SOCK_STREAM, 0);
	if (bind(listener, (void *)&ss, len) || listen(listener, 8) || getsockname(listener, (void *)&ss, &len))
		return 1;
	pthread_t t;
	pthread_create(&t, NULL, serve, NULL);
	int s = socket(family, SOCK_STREAM, 0);
	if (connect(s, (void *)&ss, len))
		return 1;
	struct sockaddr_storage me;
	socklen_t mlen = sizeof(me);
	getsockname(s, (void *)&me, &mlen);
	int lport = ntohs(family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port : ((struct sockaddr_in6 *)&me)->sin6_port);
	int dport = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
	printf("tcp %d %d %d\n", family == AF_INET ? 4 : 6, lport, dport);
	fflush(stdout);
	char buf[65536];
	memset(buf, 'y', sizeof(buf));
	for (int i = 0; i < 16; i++)
		if (write(s, buf, sizeof(buf)) != sizeof(buf))
			return 1;
	while (read(s, buf, sizeof(buf)) > 0)
		;
	close(s);
	pthread_join(t, NULL);
	close(listener);
	return 0;
}

static int synflood(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(l, (void *)&a, len) || listen(l, 0) || getsockname(l, (void *)&a, &len))
		return 1;
	int first = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(first, (void *)&a, len))
		return 1;
	/* the accept queue is full: this SYN is dropped and retransmitted */
	int second = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(second, (void *)&a, len);
	struct sockaddr_in me;
	socklen_t mlen = sizeof(me);
	getsockname(second, (void *)&me, &mlen);
	printf("syn %d %d\n", ntohs(me.sin_port), ntohs(a.sin_port));
	fflush(stdout);
	sleep(4);  /* SYN retransmits after 1 s and 3 s */
	return 0;
}

static int kills(void)
{
	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (child < 0 || kill(child, SIGTERM) || waitpid(child, NULL, 0) != child)
		return 1;
	pid_t missing = 32000;
	while (missing > 2 && kill(missing, 0) == 0)  /* a PID nobody has: ESRCH */
		missing--;
	printf("%d %d %d\n", getpid(), child, missing);
	return 0;
}

/* Each chunk is kept in a list the compiler cannot see through: an allocation never used is
 * removed by clang, memset and all, and the loop then allocates nothing. */
void *volatile hoard;
__attribute__((noinline)) static void hog(void)
{
	for (;;) {
		void **chunk = malloc(1 << 20);
		if (!chunk)
			return;
		memset(chunk, 1, 1 << 20);
		*chunk = hoard;
		hoard = chunk;
	}
}

unsigned short postgresql_query__start_semaphore __attribute__((unused, section(".probes")));
unsigned short postgresql_query__done_semaphore __attribute__((unused, section(".probes")));

static void query(const char *text, long ms)
{
	if (postgresql_query__start_semaphore)
		STAP_PROBE1(postgresql, query__start, text);
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&t, NULL);
	if (postgresql_query__done_semaphore)
		STAP_PROBE1(postgresql, query__done, text);
}

static int queries(void)
{
	for (int i = 0; i < 3; i++) {
		query("SELECT pg_sleep(0.2)", 200);
		for (int j = 0; j < 2; j++)
			query("SELECT 1", 0);
	}
	return 0;
}

static int newmount(const char *dir)
{
	long fs = syscall(SYS_fsopen, "tmpfs", 0);
	if (fs < 0 || syscall(SYS_fsconfig, fs, 1 /* SET_STRING */, "size", "1m", 0) ||
	    syscall(SYS_fsconfig, fs, 6 /* CMD_CREATE */, NULL, NULL, 0))
		return 1;
	long m = syscall(SYS_fsmount, fs, 0, 1 /* MOUNT_ATTR_RDONLY */);
	if (m < 0 || syscall(SYS_move_mount, m, "", AT_FDCWD, dir, 4 /* MOVE_MOUNT_F_EMPTY_PATH */))
		return 1;
	close(m);
	close(fs);
	return syscall(SYS_umount2, dir, 0) ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "true";
	if (!strcmp(what, "true"))
		return 0;
	if (!strcmp(what, "diskio") && argc > 3)
		return diskio(argv[2], atoi(argv[3]));
	if (!strcmp(what, "hot")) {
		time_t end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 3);
		while (time(NULL) < end)
			hot_outer();
		return 0;
	}
	if (!strcmp(what, "sort")) {
		time_t end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 3);
		while (time(NULL) < end)
			sort_run();
		return 0;
	}
	if (!strcmp(what, "tcp"))
		return one_connection(AF_INET) || one_connection(AF_INET6);
	if (!strcmp(what, "kill"))
		return kills();
	if (!strcmp(what, "synflood"))
		return synflood();
	if (!strcmp(what, "hog")) {
		hog();
		return 1;
	}
	if (!strcmp(what, "queries"))
		return queries();
	if (!strcmp(what, "newmount") && argc > 2)
		return newmount(argv[2]);
	return 2;
}
