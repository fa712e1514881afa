#!/usr/bin/env python3
"""Benchmark of the release binaries (not a test: it prints figures, it asserts nothing).

Sizes first: every tool's own binary and the multi-call binary holding all of them, as built
and stripped of debug info (as scripts/install.sh installs it; target: all tools <= 20 MB).
Every tool in tools.json (the registry) gets a start-up line. Every streaming tool: its CPU
and wake-ups per second with no events, and how soon a lone event's row reaches stdout after a
quiet spell (for the tools with a one-command trigger). For each streaming tool: median time from launch to the header, with the minimal-BTF cache
(every run after the first since boot) and without it (the probes are attached by
then), the slowdown of a storm of the events it traces (an exec storm of 3,000 /bin/true runs
from a shell loop for execsnoop; an open storm of 20,000 opens from a shell loop for
opensnoop) with the tool attached versus not, the storm's events the tool printed and those it
reported lost, and its peak and steady resident memory.

For killsnoop: the slowdown of a storm of 200,000 kill(pid, 0) calls (the shell's kill builtin
probing itself) with killsnoop attached versus not, and the rows it printed for them.

For exitsnoop: the slowdown of the exec storm (3,000 /bin/true processes exiting) with
exitsnoop attached versus not, and the rows it printed for them.

For mountsnoop: the slowdown of a storm of 2,500 tmpfs mounts and unmounts (5,000 calls, from
one Python process through ctypes) with mountsnoop attached versus not, and the rows it printed.

For oomkill: the slowdown of 10 OOM kills in a 64 MiB memory cgroup (dd reading 256 MiB at
once, killed each time) with oomkill attached versus not, and the kills it printed.

For syscount: the slowdown of a storm of 400,000 system calls (dd copying 200,000 one-byte
blocks) with syscount attached versus not, counting only and with -L, and whether its report
counted all of dd's reads.

For dbslower and dbstat: queries per second of a PostgreSQL 15 server (started here in a
temporary directory, on 127.0.0.1) under pgbench -S with 2 clients for 3 s, and of a MariaDB
server (on a socket) under mariadb-slap's SELECT 1 with 2 clients, with each tool attached to
the server (-p) versus not, alternating; the ratio is the median of the pairs (target: at most
5% fewer queries per second).

For profile: start-up to its banner, the slowdown of a CPU-bound program (a fixed amount of
work, compiled here with clang) sampled at 49 and at 999 Hertz versus not sampled, and the
time to symbolize and print over 10,000 distinct stacks (a program whose 16,384 call paths
are sampled at 4999 Hertz on every CPU). User stacks without frame pointers: of the samples of
Debian's /usr/bin/python3 (a CPU-bound script) and of a C program built with gcc -O2
-fomit-frame-pointer (qsort with a callback), the share whose stack reaches _start with the
callers in order, with --unwind auto (the default) and fp; the tool's own CPU time at 49 Hertz
on every CPU with both CPUs busy; the samples lost at 999 Hertz on every CPU.

For export (--prometheus, --otlp; --only export): the exec storm with execsnoop printing rows versus
exporting counts and versus pushing a log record per exec to an OTLP endpoint in this script, each against an untraced storm (target: exporting at most 2% slower than
printing); tcpconnect --prometheus holding 10,000 series (connects to 10,000 closed ports):
the time a scrape of /metrics takes (target <= 50 ms) and its RSS (target <= 30 MB).

For tcpconnect, tcplife, tcpretrans and tcpstates: start-up to the header, and the slowdown of
a storm of 5,000 loopback connections (a C program: connect, then close, against its own
listener) with each tool attached versus not, and the rows the tool printed for the storm
(tcpconnect: one per connect; tcplife: two per connection, client and server sockets;
tcpretrans: none expected; tcpstates: every state change of both ends),
counted as every row printed during the storm (the machine is otherwise idle).

For biosnoop: the slowdown of a storm of 20,000 O_DIRECT 4 KiB reads (dd) on a loop device
with biosnoop -d attached versus not, and the rows it printed for them.

For runqlat and offcputime: the slowdown of a pipe ping-pong between two processes (100,000
round trips, each two wakeups and two context switches) with the tool attached versus not.

For biolatency: start-up to its banner, and the slowdown of a storm of 50,000 synchronous
O_DIRECT 4 KiB reads (dd) on a loop device over a file in /tmp with biolatency attached versus
not, and how many of the storm's I/Os its histogram counted.

Run as root after `swift build -c release -Xswiftc -static-executable`:
    sudo scripts/bench.py [--bin DIR] [--runs N]
"""
import argparse, contextlib, json, os, random, re, signal, socket, statistics, subprocess, sys, tempfile, threading, time

EXEC_STORM = 3000
OPEN_STORM = 20000
KILL_STORM = 200000
MOUNT_STORM = 2500
OOM_STORM = 10
SYSCALL_STORM = 200000
IO_STORM = 50000
BIO_SNOOP_STORM = 20000


def startup_ms(binary, runs, env=None, args=()):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        p.stdout.readline()
        times.append((time.perf_counter() - t0) * 1000)
        p.send_signal(signal.SIGINT)
        p.wait()
        time.sleep(0.3)  # let the kernel finish detaching, as between two real invocations
    return statistics.median(times), min(times), max(times)


class TaskCounters:
    """A process's CPU time in ms (every thread's, from schedstat: nanoseconds, where stat's
    ticks are 10 ms) and its context switches, read through files opened once: opening them at
    each reading would be an event to opensnoop, and its row would be counted in its idle cost."""

    def __init__(self, pid):
        self.files = []
        for task in os.listdir(f"/proc/{pid}/task"):
            self.files.append((os.open(f"/proc/{pid}/task/{task}/schedstat", os.O_RDONLY),
                               os.open(f"/proc/{pid}/task/{task}/status", os.O_RDONLY)))

    def read(self):
        ns = switches = 0
        for schedstat, status in self.files:
            ns += int(os.pread(schedstat, 4096, 0).split()[0])
            for line in os.pread(status, 16384, 0).decode().splitlines():
                if "ctxt_switches:" in line:
                    switches += int(line.split()[1])
        return ns / 1e6, switches

    def close(self):
        for fds in self.files:
            for fd in fds:
                os.close(fd)


IDLE_SECONDS = 10

# A single event per streaming tool: the command that makes it and the row it shows as. The
# latency is from the command's start to the row on the tool's stdout (a process's start
# included: about a millisecond here).
def single_event_triggers(tmp):
    probe = os.path.join(tmp, "bench-lone-open")
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt, exist_ok=True)
    # a listener here, and bash's /dev/tcp to connect to it: a Python client would add its own
    # start-up (30 ms and more here) to the latency
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    def accept():
        while True:
            conn, _ = server.accept()
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    connect = ["/bin/bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{server.getsockname()[1]}"]
    return {
        "execsnoop": ([], ["/bin/true"], r"^true "),
        "opensnoop": ([], ["/bin/sh", "-c", f": < /dev/null; : > {probe}"], re.escape(probe)),
        "exitsnoop": ([], ["/bin/true"], r"^true "),
        "killsnoop": ([], ["/bin/kill", "-0", "1"], r" 1 +0$"),
        "mountsnoop": ([], ["/bin/mount", "-t", "tmpfs", "lone", mnt], r'mount\("lone"'),
        "tcpconnect": ([], connect, r"127\.0\.0\.1"),
        "tcpstates": ([], connect, r"127\.0\.0\.1"),
        "tcplife": ([], connect, r"127\.0\.0\.1"),
    }


def idle_and_latency(binary, runs, trigger, args=()):
    """With no events: the tool's CPU (ms per second) and wake-ups per second over
    IDLE_SECONDS; then, after a quiet spell, the time from one event to its row (median)."""
    p = subprocess.Popen([binary, *args] + (trigger[0] if trigger else []), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True, bufsize=1)
    p.stdout.readline()  # attached
    arrivals = []
    def read():
        for line in p.stdout:
            arrivals.append((time.perf_counter(), line))
    t = threading.Thread(target=read, daemon=True)
    t.start()
    counters = TaskCounters(p.pid)  # before the settling second: the opens are events to opensnoop
    time.sleep(1.0)
    cpu0, sw0 = counters.read()
    time.sleep(IDLE_SECONDS)
    cpu1, sw1 = counters.read()
    counters.close()
    memory = (rss_kb(p.pid, "VmRSS"), kernel_map_bytes(p.pid))
    latencies = []
    if trigger:
        for _ in range(runs):
            time.sleep(0.5)  # idle again
            n = len(arrivals)
            t0 = time.perf_counter()
            subprocess.run(trigger[1], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.time() + 2
            pat = re.compile(trigger[2])
            while time.time() < deadline:
                hit = next((a for a, line in arrivals[n:] if pat.search(line)), None)
                if hit:
                    latencies.append((hit - t0) * 1000)
                    break
                time.sleep(0.0005)
            if trigger[1][0] == "/bin/mount":
                subprocess.run(["umount", trigger[1][-1]], check=False)
    p.send_signal(signal.SIGINT)
    p.wait(timeout=10)
    return (cpu1 - cpu0) / IDLE_SECONDS, (sw1 - sw0) / IDLE_SECONDS, latencies, memory


def kernel_map_bytes(pid):
    """The kernel memory of the BPF maps a process holds (their fdinfo's memlock)."""
    total = 0
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                text = f.read()
        except OSError:
            continue
        if "map_type:" in text:
            m = re.search(r"^memlock:\s+(\d+)", text, re.M)
            total += int(m[1]) if m else 0
    return total


def rss_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakRSS:
    """A process's peak RSS (VmHWM, kB), read every 10 ms until it exits. Not wait4's rusage:
    Linux keeps a process's maxrss across exec, so a tool forked from this Python process
    counted Python's own RSS at the fork too (profile's report peaks read 19-25 MB for a tool
    whose VmHWM was 19.5-20.5)."""

    def __init__(self, pid):
        self.kb = 0
        self.thread = threading.Thread(target=self._watch, args=(pid,), daemon=True)
        self.thread.start()

    def _watch(self, pid):
        while (kb := rss_kb(pid, "VmHWM")) > 0:  # 0: exited (a zombie's status has no VmHWM)
            self.kb = max(self.kb, kb)
            time.sleep(0.01)

    def result(self):
        self.thread.join()
        return self.kb


def run_storm(script):
    """Runs the storm's shell loop; returns (seconds, shell pid)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(["/bin/sh", "-c", script])
    p.wait()
    return time.perf_counter() - t0, p.pid


class Traced:
    """A tool running in the background, its rows counted as they arrive."""

    def __init__(self, binary, args, match):
        self.p = subprocess.Popen([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.header = self.p.stdout.readline()
        self.match = match
        self.matched = 0
        self.rss_samples = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        self.stop_sampling = False
        self.s = threading.Thread(target=self._sample, daemon=True)
        self.s.start()

    def _read(self):
        for line in self.p.stdout:
            if self.match(line):
                self.matched += 1

    def _sample(self):
        while not self.stop_sampling:
            self.rss_samples.append(rss_kb(self.p.pid, "VmRSS"))
            time.sleep(0.05)

    def finish(self):
        time.sleep(1.0)  # idle: what the tool keeps when nothing happens
        steady = rss_kb(self.p.pid, "VmRSS")
        peak = rss_kb(self.p.pid, "VmHWM")
        self.stop_sampling = True
        self.p.send_signal(signal.SIGINT)
        # the reader thread keeps stdout (rows printed at the end too: syscount's report);
        # stderr holds a few lines at most
        self.p.wait(timeout=30)
        self.t.join(timeout=5)
        err = self.p.stderr.read()
        lost = sum(int(n) for n in re.findall(r"Possibly lost (\d+) samples", err))
        return steady, peak, lost


def bpf_program_ids(pid):
    """The BPF programs process `pid` holds (its program and link descriptors' fdinfo): ours
    or another tool's (libbpf-tools), whatever their names."""
    ids = set()
    fd_dir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fd_dir) if os.path.isdir(fd_dir) else []:
        try:
            with open(os.path.join(fd_dir, fd)) as f:
                ids.update(int(m) for m in re.findall(r"^prog_id:\s+(\d+)$", f.read(), re.M))
        except OSError:
            pass
    return ids


def bpf_run_ns(pid):
    """Total (run_time_ns, run_cnt) of the BPF programs process `pid` has loaded (needs bpf_stats)."""
    ids = bpf_program_ids(pid)
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True).stdout
    total_ns = total_cnt = 0
    for prog in json.loads(out or "[]"):
        if prog.get("id") in ids:
            total_ns += prog.get("run_time_ns", 0)
            total_cnt += prog.get("run_cnt", 0)
    return total_ns, total_cnt


def bpf_stats(enabled):
    subprocess.run(["sysctl", "-q", f"kernel.bpf_stats_enabled={1 if enabled else 0}"], check=False)


@contextlib.contextmanager
def memory_cgroup(limit_mb):
    """A memory cgroup limited to `limit_mb` (cgroup v2's controller where the machine has it
    there, else v1's); yields its cgroup.procs, removes it afterwards."""
    name = f"bench-oom-{os.getpid()}"
    v2 = "/sys/fs/cgroup"
    controllers = os.path.join(v2, "cgroup.controllers")
    if os.path.exists(controllers) and "memory" in open(controllers).read().split():
        path, limit = os.path.join(v2, name), "memory.max"
    else:
        path, limit = os.path.join(v2, "memory", name), "memory.limit_in_bytes"
    os.mkdir(path)
    try:
        with open(os.path.join(path, limit), "w") as f:
            f.write(f"{limit_mb}M")
        yield os.path.join(path, "cgroup.procs")
    finally:
        for _ in range(50):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.1)


def storm_bench(binary, tool_args, script, count, match_for, runs):
    """Untraced and traced storms alternate, so drifts of this (shared, noisy) machine hit both
    alike; the slowdown is the median of the per-pair ratios. The kernel's BPF run-time
    accounting (two clock reads per program run) is off for those, and on for one more traced
    storm that measures the programs' own time."""
    ratios, untraced, traced_times, seen, lost_total, steady, peak = [], [], [], [], 0, 0, 0
    bpf_ns = bpf_cnt = 0
    for i in range(runs + 1):
        measuring_bpf = i == runs
        bpf_stats(measuring_bpf)
        base = run_storm(script)[0]
        holder = {}
        tool = Traced(binary, tool_args, lambda line: holder.get("m", lambda l: False)(line))
        ns0, cnt0 = bpf_run_ns(tool.p.pid)
        t0 = time.perf_counter()
        p = subprocess.Popen(["/bin/sh", "-c", script])
        holder["m"] = match_for(p.pid)
        p.wait()
        elapsed = time.perf_counter() - t0
        ns1, cnt1 = bpf_run_ns(tool.p.pid)
        s, pk, lost = tool.finish()
        seen.append(tool.matched)
        lost_total += lost
        steady, peak = max(steady, s), max(peak, pk)
        if measuring_bpf:
            bpf_ns, bpf_cnt = ns1 - ns0, cnt1 - cnt0
            continue
        untraced.append(base)
        traced_times.append(elapsed)
        ratios.append(elapsed / base)
    bpf_stats(False)
    return {
        "untraced_s": statistics.median(untraced), "traced_s": statistics.median(traced_times),
        "slowdown": statistics.median(ratios), "seen": min(seen), "expected": count, "lost": lost_total,
        "steady_rss_mb": steady / 1024, "peak_rss_mb": peak / 1024,
        "bpf_ns_per_run": bpf_ns / bpf_cnt if bpf_cnt else 0,
        "bpf_ns_per_event": bpf_ns / count,
    }


def biolatency_bench(binary, runs, options=("-e",)):
    """Alternating untraced/traced O_DIRECT read storms on a fresh loop device."""
    with tempfile.TemporaryDirectory(prefix="bench-bio-") as d:
        image = os.path.join(d, "disk.img")
        subprocess.run(["truncate", "-s", "256M", image], check=True)
        loop = subprocess.run(["losetup", "-f", "--show", image], check=True, capture_output=True, text=True).stdout.strip()
        try:
            storm = ["dd", f"if={loop}", "of=/dev/null", "bs=4k", f"count={IO_STORM}", "iflag=direct", "status=none"]
            ratios, untraced, traced, counted, bpf_ns, bpf_cnt = [], [], [], [], 0, 0
            # biolatency's own report of I/Os the kernel completed that its histograms miss,
            # so that "counted" + "said missing" can be checked against the storm
            said_missing = []
            for i in range(runs + 1):
                measuring_bpf = i == runs  # see storm_bench
                bpf_stats(measuring_bpf)
                t0 = time.perf_counter()
                subprocess.run(storm, check=True)
                base = time.perf_counter() - t0
                p = subprocess.Popen([binary, *options, "-d", os.path.basename(loop)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
                p.stdout.readline()
                ns0, cnt0 = bpf_run_ns(p.pid)
                t0 = time.perf_counter()
                subprocess.run(storm, check=True)
                elapsed = time.perf_counter() - t0
                ns1, cnt1 = bpf_run_ns(p.pid)
                p.send_signal(signal.SIGINT)
                out, err = p.communicate(timeout=30)
                m = re.search(r"count: (\d+)", out)
                counted.append(int(m.group(1)) if m else 0)
                said_missing.append(sum(int(n) for n in re.findall(r"(\d+) I/Os the kernel completed", err)))
                if measuring_bpf:
                    bpf_ns, bpf_cnt = ns1 - ns0, cnt1 - cnt0
                    continue
                untraced.append(base)
                traced.append(elapsed)
                ratios.append(elapsed / base)
            bpf_stats(False)
        finally:
            subprocess.run(["losetup", "-d", loop], check=False)
    return {"untraced_s": statistics.median(untraced), "traced_s": statistics.median(traced),
            "slowdown": statistics.median(ratios), "counted": min(counted), "max_counted": max(counted),
            "said_missing": sum(said_missing), "runs_missing": sum(1 for n in said_missing if n),
            "unexplained": sum(1 for c, n in zip(counted, said_missing) if c + n != IO_STORM), "storms": len(counted),
            "bpf_ns_per_run": bpf_ns / bpf_cnt if bpf_cnt else 0, "bpf_ns_per_event": bpf_ns / IO_STORM}


CPU_PROGRAM = r"""
#include <stdlib.h>
volatile unsigned long sink;
__attribute__((noinline)) void leaf(void) { for (int i = 0; i < 1000; i++) sink += i * i; }
__attribute__((noinline)) void middle(void) { for (int i = 0; i < 100; i++) leaf(); }
int main(int argc, char **argv) { long n = atol(argv[1]); for (long i = 0; i < n; i++) middle(); return 0; }
"""

# 2^14 distinct call paths: each level calls a() or b() from its own call site.
PATHS_PROGRAM = r"""
#include <stdlib.h>
#include <time.h>
volatile unsigned long sink;
__attribute__((noinline)) void spin(void) { for (int i = 0; i < 20000; i++) sink += i; }
void a(int d, unsigned p); void b(int d, unsigned p);
__attribute__((noinline)) void a(int d, unsigned p) { if (!d) { spin(); return; } if (p & 1) a(d - 1, p >> 1); else b(d - 1, p >> 1); sink++; }
__attribute__((noinline)) void b(int d, unsigned p) { if (!d) { spin(); return; } if (p & 1) a(d - 1, p >> 1); else b(d - 1, p >> 1); sink++; }
int main(int argc, char **argv) { time_t end = time(NULL) + atoi(argv[1]); for (unsigned p = 0; time(NULL) < end; p++) a(14, p); return 0; }
"""


@contextlib.contextmanager
def postgres_server(port):
    """Debian's PostgreSQL 15 in a temporary directory on 127.0.0.1:port, as the tests start it
    (initdb, then postgres as a child, run as the postgres user), with pgbench's tables."""
    d = tempfile.mkdtemp(prefix="bench-pg-")
    pw = subprocess.run(["id", "-u", "postgres"], capture_output=True, text=True).stdout.strip()
    os.chown(d, int(pw), int(pw))
    as_pg = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    bin_dir = "/usr/lib/postgresql/15/bin"
    p = None
    try:
        subprocess.run(as_pg + [f"{bin_dir}/initdb", "-D", f"{d}/data", "-A", "trust", "-U", "postgres", "--no-sync"],
                       check=True, capture_output=True)
        p = subprocess.Popen(as_pg + [f"{bin_dir}/postgres", "-D", f"{d}/data", "-p", str(port), "-k", d,
                                      "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-c", "SELECT 1"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        subprocess.run([f"{bin_dir}/pgbench", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-i", "-s", "1", "-q", "postgres"],
                       check=True, capture_output=True)
        yield p.pid
    finally:
        if p:
            p.send_signal(signal.SIGQUIT)
            p.wait(timeout=30)
        subprocess.run(["rm", "-rf", d])


@contextlib.contextmanager
def mariadb_server():
    """Debian's MariaDB 10.11 in a temporary directory, on a socket; yields (pid, socket)."""
    d = tempfile.mkdtemp(prefix="bench-my-")
    p = None
    try:
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={d}/data", "--user=root",
                        "--auth-root-authentication-method=normal", "--skip-test-db"], check=True, capture_output=True)
        p = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={d}/data", f"--socket={d}/sock", "--skip-networking",
                              "--user=root", f"--pid-file={d}/pid", f"--log-error={d}/err.log"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if subprocess.run(["mariadb", "--no-defaults", "-S", f"{d}/sock", "-u", "root", "-e", "SELECT 1"],
                              capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        yield p.pid, f"{d}/sock"
    finally:
        if p:
            p.kill()
            p.wait()
        subprocess.run(["rm", "-rf", d])


def database_bench(bin_dir, runs, wanted):
    """Queries per second with and without each tool attached, alternating: pgbench -S (2
    clients on 127.0.0.1) against PostgreSQL's USDT probes, and mariadb-slap's SELECTs (2
    clients on a socket) against MariaDB's dispatch_command() uprobes. Each tool runs with its
    defaults (dbslower: -m 1, so no row; dbstat: every query counted)."""
    results = {}
    pairs = max(3, min(runs, 5))
    port = 55400 + os.getpid() % 500

    def alternate(load, tool_args):
        out = {}
        for name in ("dbslower", "dbstat"):
            if name not in wanted:
                continue
            ratios, base_rates, traced_rates = [], [], []
            for _ in range(pairs):
                base = load()
                tool = Traced(os.path.join(bin_dir, name), tool_args, lambda line: False)
                traced = load()
                tool.finish()
                base_rates.append(base)
                traced_rates.append(traced)
                ratios.append(traced / base)
            out[name] = (statistics.median(base_rates), statistics.median(traced_rates), statistics.median(ratios))
        return out

    with postgres_server(port) as pid:
        def pgbench():
            r = subprocess.run(["/usr/lib/postgresql/15/bin/pgbench", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                "-S", "-n", "-c", "2", "-j", "2", "-T", "3", "postgres"], capture_output=True, text=True, check=True)
            return float(re.search(r"tps = ([\d.]+)", r.stdout)[1])
        results["postgres"] = alternate(pgbench, ["postgres", "-p", str(pid)])
    with mariadb_server() as (pid, sock):
        def slap():
            n = 20000
            t0 = time.perf_counter()
            subprocess.run(["mariadb-slap", "--no-defaults", "-S", sock, "-u", "root", "--concurrency=2", "--iterations=1",
                            f"--number-of-queries={n}", "--query=SELECT 1"], check=True, capture_output=True)
            return n / (time.perf_counter() - t0)
        results["mariadb"] = alternate(slap, ["mysql", "-p", str(pid)])
    return results


def compile_c(source, path):
    with open(path + ".c", "w") as f:
        f.write(source)
    subprocess.run(["clang", "-O1", "-fno-omit-frame-pointer", "-fno-inline", "-o", path, path + ".c"], check=True)


CONNECT_STORM = 5000
CONNECT_PROGRAM = r"""
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
static int listener;
static void *serve(void *arg) { for (;;) { int c = accept(listener, NULL, NULL); if (c >= 0) close(c); } return arg; }
int main(int argc, char **argv) {
    int n = atoi(argv[1]);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(addr);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    bind(listener, (struct sockaddr *)&addr, sizeof(addr));
    listen(listener, 4096);
    getsockname(listener, (struct sockaddr *)&addr, &len);
    pthread_t t;
    pthread_create(&t, NULL, serve, NULL);
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct linger l = { 1, 0 };  /* RST on close: no TIME_WAIT pile-up over the runs */
        setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) != 0) return 1;
        close(s);
    }
    usleep(100000);
    return 0;
}
"""


TCP_TOOLS = ("tcpconnect", "tcplife", "tcpretrans", "tcpstates")


PINGPONG_ROUNDS = 100000
PINGPONG_PROGRAM = r"""
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = atoi(argv[1]), a[2], b[2];
    char c = 0;
    if (pipe(a) || pipe(b)) return 1;
    if (fork() == 0) {
        for (int i = 0; i < n; i++) { if (read(a[0], &c, 1) != 1 || write(b[1], &c, 1) != 1) return 1; }
        return 0;
    }
    for (int i = 0; i < n; i++) { if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1) return 1; }
    return 0;
}
"""


def pingpong_bench(binary, runs):
    """A pipe ping-pong (two processes waking each other 2 x 100,000 times: every round trip is
    two wakeups and two context switches) with the tool (runqlat, offcputime) attached versus
    not; the tool's first line (its banner) says it is attached."""
    with tempfile.TemporaryDirectory(prefix="bench-runqlat-") as d:
        prog = os.path.join(d, "pingpong")
        with open(prog + ".c", "w") as f:
            f.write(PINGPONG_PROGRAM)
        subprocess.run(["clang", "-O2", "-o", prog, prog + ".c"], check=True)
        ratios = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run([prog, str(PINGPONG_ROUNDS)], check=True)
            base = time.perf_counter() - t0
            tool = subprocess.Popen([binary], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            tool.stdout.readline()  # the banner: attached
            t0 = time.perf_counter()
            subprocess.run([prog, str(PINGPONG_ROUNDS)], check=True)
            ratios.append((time.perf_counter() - t0) / base)
            tool.send_signal(signal.SIGINT)
            tool.communicate(timeout=10)
        return statistics.median(ratios), min(ratios), max(ratios)


def tcp_bench(bin_dir, runs):
    """Alternating untraced/traced connect storms for each TCP tool."""
    results, lost_total = {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-tcp-") as d:
        storm = os.path.join(d, "connects")
        with open(storm + ".c", "w") as f:
            f.write(CONNECT_PROGRAM)
        subprocess.run(["clang", "-O2", "-pthread", "-o", storm, storm + ".c"], check=True)
        for tool in TCP_TOOLS:
            binary = os.path.join(bin_dir, tool)
            ratios, rows = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                subprocess.run([storm, str(CONNECT_STORM)], check=True)
                base = time.perf_counter() - t0
                # rows are read as they come: a pipe left full would stall the tool and lose events
                traced = Traced(binary, [], lambda line: bool(line.strip()))
                if tool in ("tcpconnect", "tcpretrans"):  # the banner came first: wait for the header too
                    while traced.matched < 1:
                        time.sleep(0.01)
                before = traced.matched
                t0 = time.perf_counter()
                subprocess.run([storm, str(CONNECT_STORM)], check=True)
                ratios.append((time.perf_counter() - t0) / base)
                time.sleep(0.2)
                _, _, lost = traced.finish()
                rows.append(traced.matched - before)
                lost_total[tool] = lost_total.get(tool, 0) + lost
            results[tool] = (statistics.median(ratios), min(rows), max(rows), lost_total.get(tool, 0))
    return results


UNWIND_C_PROGRAM = r"""
#include <stdlib.h>
#include <time.h>
static volatile unsigned sink;
__attribute__((noinline)) static int compare(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    for (int i = 0; i < 20; i++) sink += i;
    return (x > y) - (x < y);
}
__attribute__((noinline)) void sort_once(unsigned *v, size_t n) {
    for (size_t i = 0; i < n; i++) v[i] = (unsigned)rand();
    qsort(v, n, sizeof *v, compare);
    sink += v[0];
}
__attribute__((noinline)) void run(double seconds) {
    static unsigned v[100000];
    time_t end = time(NULL) + (time_t)seconds;
    while (time(NULL) < end) sort_once(v, 100000);
}
int main(int argc, char **argv) { run(atof(argv[1])); return 0; }
"""

UNWIND_PYTHON_PROGRAM = r"""
import sys, time
def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)
def work(seconds):
    end = time.time() + seconds
    while time.time() < end:
        fib(18)
        sorted(range(2000), key=lambda x: -x)
work(float(sys.argv[1]))
"""


def in_order(frames, names):
    at = 0
    for name in names:
        try:
            at = frames.index(name, at) + 1
        except ValueError:
            return False
    return True


def folded_counts(text):
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


def unwind_bench(binary):
    """Of each program's samples (5 s at 49 Hz), the share reaching _start with the callers in
    order, per --unwind mode: {(program, mode): (whole, total)}."""
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-unwind-") as d:
        sort = os.path.join(d, "sortprog")
        with open(sort + ".c", "w") as f:
            f.write(UNWIND_C_PROGRAM)
        subprocess.run(["gcc", "-O2", "-fomit-frame-pointer", "-o", sort, sort + ".c"], check=True)
        script = os.path.join(d, "burn.py")
        with open(script, "w") as f:
            f.write(UNWIND_PYTHON_PROGRAM)
        programs = {
            "python3": ([PYTHON3, script, "9"], ["_start", "__libc_start_main", "Py_BytesMain", "_PyEval_EvalFrameDefault"]),
            "C -O2 -fomit-frame-pointer": ([sort, "9"], ["_start", "__libc_start_main", "main", "run"]),
        }
        for name, (command, chain) in programs.items():
            for mode in ("auto", "fp"):
                work = subprocess.Popen(command)
                time.sleep(0.3)
                out = subprocess.run([binary, "-U", "-f", "--unwind", mode, "-p", str(work.pid), "5"],
                                     capture_output=True, text=True, timeout=60).stdout
                work.kill()
                work.wait()
                counts = list(folded_counts(out))
                whole = sum(c for frames, c in counts if frames[1:2] == ["_start"] and in_order(frames, chain))
                results[(name, mode)] = (whole, sum(c for _, c in counts))
    return results


PYTHON3 = "/usr/bin/python3"


def busy_profile(binary, hz, seconds=10):
    """profile at `hz` on every CPU for `seconds` with every CPU busy (Debian's python3): its own
    CPU time (user + system, start-up and report included) as a share of one core, the samples
    it printed, and those it reported lost."""
    with tempfile.TemporaryDirectory(prefix="bench-busy-") as d:
        script = os.path.join(d, "burn.py")
        with open(script, "w") as f:
            f.write(UNWIND_PYTHON_PROGRAM)
        burners = [subprocess.Popen([PYTHON3, script, str(seconds + 5)]) for _ in range(os.cpu_count() or 1)]
        time.sleep(0.3)
        out_path, err_path = os.path.join(d, "out"), os.path.join(d, "err")
        with open(out_path, "w") as out, open(err_path, "w") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen([binary, "-f", "-F", str(hz), str(seconds)], stdout=out, stderr=err)
            _, _, usage = os.wait4(p.pid, 0)
            elapsed = time.perf_counter() - t0
        for b in burners:
            b.kill()
            b.wait()
        with open(out_path) as f:
            samples = sum(c for _, c in folded_counts(f.read()))
        with open(err_path) as f:
            lost = sum(int(m) for m in re.findall(r"Possibly lost (\d+) samples", f.read()))
    return (usage.ru_utime + usage.ru_stime) / elapsed, samples, lost


def exporting(binary, args, port, otlp=None):
    """A tool started with --prometheus on 127.0.0.1:`port` (or --otlp `otlp`), once it says so."""
    option = ["--otlp", otlp] if otlp else ["--prometheus", f"127.0.0.1:{port}"]
    p = subprocess.Popen([binary] + option + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    line = p.stderr.readline()
    if ("pushing to the OTLP collector" if otlp else "serving metrics") not in line:
        p.kill()
        sys.exit(f"bench.py: {binary} {option[0]} did not start: {line}")
    return p


def otlp_sink():
    """An OTLP/HTTP endpoint that accepts every request (200) and counts the bytes: what the
    collector costs is not the tool's. Returns the URL and a function giving the bytes received."""
    import http.server
    import threading
    received = [0]

    class Sink(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received[0] += len(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", lambda: received[0]


def export_bench(bin_dir, runs):
    """--prometheus: the exec storm with execsnoop printing rows versus exporting counts (each
    against an untraced storm, alternating); then tcpconnect holding 10,000 series (connects to
    10,000 closed ports): the time a scrape of /metrics takes (median and slowest of 20) and
    the tool's resident memory."""
    import urllib.request
    execsnoop, tcpconnect = os.path.join(bin_dir, "execsnoop"), os.path.join(bin_dir, "tcpconnect")
    script = f"i=0; while [ $i -lt {EXEC_STORM} ]; do /bin/true; i=$((i+1)); done"
    text_ratios, export_ratios, otlp_ratios = [], [], []
    otlp_url, otlp_bytes = otlp_sink()
    for _ in range(runs):
        base = run_storm(script)[0]
        tool = Traced(execsnoop, [], lambda line: False)
        text_ratios.append(run_storm(script)[0] / base)
        tool.finish()
        base = run_storm(script)[0]
        p = exporting(execsnoop, [], 61000 + random.randrange(4000))
        export_ratios.append(run_storm(script)[0] / base)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
        base = run_storm(script)[0]
        p = exporting(execsnoop, [], 0, otlp=otlp_url)
        otlp_ratios.append(run_storm(script)[0] / base)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    port = 61000 + random.randrange(4000)
    p = exporting(tcpconnect, [], port)
    for dport in range(40000, 50000):
        with socket.socket() as s:
            try:
                s.connect(("127.0.0.1", dport))
            except OSError:
                pass
    url = f"http://127.0.0.1:{port}/metrics"
    series = 0
    for _ in range(50):
        body = urllib.request.urlopen(url, timeout=5).read().decode()
        series = sum(1 for line in body.splitlines() if line.startswith("tcpconnect_connects_total{"))
        if series >= 10000:
            break
        time.sleep(0.2)
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        urllib.request.urlopen(url, timeout=5).read()
        times.append(time.perf_counter() - t0)
    rss_mb = rss_kb(p.pid, "VmRSS") / 1024
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    return (statistics.median(text_ratios), statistics.median(export_ratios), statistics.median(otlp_ratios), otlp_bytes(),
            series, statistics.median(times), max(times), rss_mb)


def profile_bench(binary, runs):
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as d:
        cpu = os.path.join(d, "cpu")
        paths = os.path.join(d, "paths")
        compile_c(CPU_PROGRAM, cpu)
        compile_c(PATHS_PROGRAM, paths)
        work = ["taskset", "-c", "0", cpu, "20000"]
        # A fixed amount of CPU work: the fastest of several runs is the one least disturbed by
        # the rest of this VM (whose runs vary by +-20%), traced and untraced alike.
        slowdowns = {}
        for hz in (49, 999):
            untraced, traced = [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                subprocess.run(work, check=True)
                untraced.append(time.perf_counter() - t0)
                p = subprocess.Popen([binary, "-F", str(hz)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                p.stdout.readline()
                t0 = time.perf_counter()
                subprocess.run(work, check=True)
                traced.append(time.perf_counter() - t0)
                p.send_signal(signal.SIGINT)
                p.communicate(timeout=60)
            slowdowns[hz] = min(traced) / min(untraced)
        # symbolization: how long from the end of sampling to the last line (and the exit), with
        # both CPUs still busy; three runs, this VM's neighbours make single ones vary 2x
        reports = []
        for _ in range(3):
            workers = [subprocess.Popen([paths, "8"]) for _ in range(os.cpu_count() or 1)]
            time.sleep(0.5)
            p = subprocess.Popen([binary, "-F", "4999", "-f", "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            p.stderr.readline()  # the banner: sampling has started
            peak = PeakRSS(p.pid)
            t_start = time.perf_counter()
            out = p.stdout.read()
            p.stderr.read()
            report_s = time.perf_counter() - t_start - 6
            p.wait()
            for w in workers:
                w.wait()
            stacks = sum(1 for line in out.splitlines() if line.startswith("paths;"))
            reports.append((report_s, stacks, peak.result()))
    return slowdowns, reports


def profile_churn_bench(binary, processes=300):
    """profile's peak RSS at 4999 Hz while a shell starts `processes` short processes (each spins
    a few ms, so each is sampled and unwound): what a process that comes and goes costs."""
    p = subprocess.Popen([binary, "-F", "4999", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    p.stderr.readline()  # the banner: sampling has started
    peak = PeakRSS(p.pid)
    t0 = time.perf_counter()
    subprocess.run(["sh", "-c", f"for i in $(seq {processes}); do sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done'; done"],
                   check=True)
    elapsed = time.perf_counter() - t0
    p.send_signal(signal.SIGINT)
    p.stderr.read()
    p.wait()
    return elapsed, peak.result()


def compare_libbpf_tools(lbt_dir, tool, storm, script, count, runs, tool_args=()):
    """The same storm under libbpf-tools' binary of `tool`, when DIR has it: its slowdown and
    its programs' time per event, the figures ours are compared with (its rows are not checked:
    its columns differ)."""
    binary = os.path.join(lbt_dir, tool) if lbt_dir else None
    if not binary or not os.access(binary, os.X_OK):
        return
    # stdbuf: its stdio buffers the header when stdout is a pipe, and the storm waits for it
    r = storm_bench("stdbuf", ["-oL", binary, *tool_args], script, count, lambda _pid: (lambda _line: False), runs)
    print(f"libbpf-tools {tool}: {storm}: {r['untraced_s']:.2f} s untraced, {r['traced_s']:.2f} s traced, "
          f"slowdown x{r['slowdown']:.3f}; lost {r['lost']}; RSS steady {r['steady_rss_mb']:.1f} MB; "
          f"BPF {r['bpf_ns_per_run'] / 1000:.2f} us per program run, {r['bpf_ns_per_event'] / 1000:.2f} us per event")


def print_storm(tool, storm, r, target=None):
    """One storm_bench result as a line: times, slowdown (and its target), rows seen and lost,
    memory, the BPF programs' own time per run."""
    print(f"{tool}: {storm}: {r['untraced_s']:.2f} s untraced, {r['traced_s']:.2f} s traced, "
          f"slowdown x{r['slowdown']:.3f}" + (f" (target <= x{target:.2f})" if target else "")
          + f"; seen {r['seen']}/{r['expected']}, lost {r['lost']}; "
          f"RSS steady {r['steady_rss_mb']:.1f} MB, peak {r['peak_rss_mb']:.1f} MB; "
          f"BPF {r['bpf_ns_per_run'] / 1000:.2f} us per program run, {r['bpf_ns_per_event'] / 1000:.2f} us per event")


def stripped_size(binary):
    """The size of `binary` without debug info, as install.sh installs it (objcopy --strip-all)."""
    with tempfile.NamedTemporaryFile(prefix="bench-strip-") as out:
        subprocess.run(["objcopy", "--strip-all", binary, out.name], check=True)
        return os.path.getsize(out.name)


def sizes(bin_dir, names):
    mb = 1024 * 1024
    separate = [os.path.join(bin_dir, n) for n in names if os.path.exists(os.path.join(bin_dir, n))]
    built = sum(os.path.getsize(b) for b in separate)
    stripped = sum(stripped_size(b) for b in separate)
    print(f"sizes: {len(separate)} separate binaries {built / mb:.1f} MB as built, {stripped / mb:.1f} MB stripped")
    multi = os.path.join(bin_dir, "swift-bpf-tools")
    if os.path.exists(multi):
        print(f"sizes: multi-call swift-bpf-tools (all {len(names)} tools) {os.path.getsize(multi) / mb:.1f} MB as built, "
              f"{stripped_size(multi) / mb:.1f} MB stripped (target: all tools <= 20 MB installed)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release"))
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--startup-runs", type=int, default=15)
    ap.add_argument("--only", help="comma-separated tools to measure (default: all)")
    ap.add_argument("--libbpf-tools", metavar="DIR",
                    help="also run libbpf-tools' binaries found in DIR through the same storms, for their slowdown and "
                         "BPF time per event (Debian's: apt-get download libbpf-tools && dpkg-deb -x libbpf-tools_*.deb X; "
                         "DIR is X/usr/sbin)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench.py: must be run as root")
    execsnoop = os.path.join(args.bin, "execsnoop")
    opensnoop = os.path.join(args.bin, "opensnoop")
    biolatency = os.path.join(args.bin, "biolatency")
    profile = os.path.join(args.bin, "profile")
    # every tool in the registry (tools.json is generated from it) gets a start-up line
    with open(os.path.join(os.path.dirname(__file__), "..", "tools.json")) as f:
        manifest = json.load(f)["tools"]
    names = [t["name"] for t in manifest]
    # what a bare run needs (dbslower's and dbstat's engine)
    default_args = {t["name"]: t.get("default_arguments", []) for t in manifest}

    print(f"machine: {os.uname().release}, {os.cpu_count()} CPUs")
    sizes(args.bin, names)
    wanted = set(args.only.split(",")) if args.only else set(names) | {"export"}
    for tool in (os.path.join(args.bin, name) for name in names if name in wanted):
        bare = default_args[os.path.basename(tool)]
        med, lo, hi = startup_ms(tool, args.startup_runs, args=bare)
        print(f"{os.path.basename(tool)}: start-up to header (banner): median {med:.1f} ms (min {lo:.1f}, max {hi:.1f}; target <= 30 ms)")
        cold = dict(os.environ, BPF_TOOLS_BTF_CACHE="0")
        med, lo, hi = startup_ms(tool, args.startup_runs, env=cold, args=bare)
        print(f"{os.path.basename(tool)}: start-up without the minimal-BTF cache (first run after boot): "
              f"median {med:.1f} ms (min {lo:.1f}, max {hi:.1f})")

    with open(os.path.join(os.path.dirname(__file__), "..", "tools.json")) as f:
        streaming = [t["name"] for t in json.load(f)["tools"] if t["kind"] == "streaming"]
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        triggers = single_event_triggers(tmp)
        for name in (n for n in streaming if n in wanted):
            cpu, wakeups, latencies, (rss, maps) = idle_and_latency(os.path.join(args.bin, name), args.runs, triggers.get(name), args=default_args[name])
            text = (f"{name}: idle: {cpu:.2f} ms of CPU per second, {wakeups:.1f} wake-ups per second (target <= 0.2 ms, <= 5); "
                    f"RSS {rss / 1024:.1f} MB (target <= 5), kernel maps {maps / 1024:.0f} KiB")
            if latencies:
                text += f"; a lone event's row {statistics.median(latencies):.1f} ms after its command started (max {max(latencies):.1f}; target <= 20 ms)"
            elif name in triggers:
                text += "; no row for the lone event"
            print(text)

    # the summary tools: what one holds while it gathers (3 s, this machine's own activity)
    summary = [t["name"] for t in manifest if t["kind"] != "streaming"]
    for name in (n for n in summary if n in wanted):
        p = subprocess.Popen([os.path.join(args.bin, name), *default_args[name]], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(3)
        rss, maps = rss_kb(p.pid, "VmRSS"), kernel_map_bytes(p.pid)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
        print(f"{name}: after 3 s: RSS {rss / 1024:.1f} MB (target <= 5), kernel maps {maps / 1024:.0f} KiB")

    if "execsnoop" in wanted:
        exec_script = f"i=0; while [ $i -lt {EXEC_STORM} ]; do /bin/true; i=$((i+1)); done"
        r = storm_bench(execsnoop, [], exec_script, EXEC_STORM,
                        lambda ppid: (lambda line, pat=re.compile(rf"^true +\d+ +{ppid} +0 /bin/true$"): bool(pat.match(line))),
                        args.runs)
        print_storm("execsnoop", f"exec storm of {EXEC_STORM}", r, target=1.10)
        compare_libbpf_tools(args.libbpf_tools, "execsnoop", f"exec storm of {EXEC_STORM}", exec_script, EXEC_STORM, args.runs)

    if "opensnoop" in wanted:
        with tempfile.NamedTemporaryFile(prefix="bench-open-") as f:
            open_script = f"i=0; while [ $i -lt {OPEN_STORM} ]; do : < {f.name}; i=$((i+1)); done"
            r = storm_bench(opensnoop, [], open_script, OPEN_STORM,
                            lambda pid: (lambda line, pat=re.compile(rf"^{pid} +sh +\d+ +0 {re.escape(f.name)}$"): bool(pat.match(line))),
                            args.runs)
            print_storm("opensnoop", f"open storm of {OPEN_STORM}", r, target=1.10)
            compare_libbpf_tools(args.libbpf_tools, "opensnoop", f"open storm of {OPEN_STORM}", open_script, OPEN_STORM, args.runs)

    if "killsnoop" in wanted:
        kill_script = f"i=0; while [ $i -lt {KILL_STORM} ]; do kill -0 $$; i=$((i+1)); done"
        r = storm_bench(os.path.join(args.bin, "killsnoop"), [], kill_script, KILL_STORM,
                        lambda pid: (lambda line, pat=re.compile(rf"^\d\d:\d\d:\d\d  {pid} +sh +0 +{pid} +0$"): bool(pat.match(line))),
                        args.runs)
        print_storm("killsnoop", f"kill storm of {KILL_STORM}", r)
        compare_libbpf_tools(args.libbpf_tools, "killsnoop", f"kill storm of {KILL_STORM}", kill_script, KILL_STORM, args.runs)

    if "exitsnoop" in wanted:
        exit_script = f"i=0; while [ $i -lt {EXEC_STORM} ]; do /bin/true; i=$((i+1)); done"
        r = storm_bench(os.path.join(args.bin, "exitsnoop"), [], exit_script, EXEC_STORM,
                        lambda ppid: (lambda line, pat=re.compile(rf"^true +\d+ +{ppid} +\d+ +[\d.]+ +0$"): bool(pat.match(line))),
                        args.runs)
        print_storm("exitsnoop", f"exit storm of {EXEC_STORM}", r)
        compare_libbpf_tools(args.libbpf_tools, "exitsnoop", f"exit storm of {EXEC_STORM}", exit_script, EXEC_STORM, args.runs)

    if "mountsnoop" in wanted:
        with tempfile.TemporaryDirectory(prefix="bench-mount-") as d:
            loop = (f"import ctypes; libc = ctypes.CDLL(None)\n"
                    f"for i in range({MOUNT_STORM}):\n"
                    f"    assert libc.mount(b'bench', b'{d}', b'tmpfs', 0, None) == 0 and libc.umount2(b'{d}', 0) == 0\n")
            mount_script = f"exec python3 -c \"{loop}\""
            r = storm_bench(os.path.join(args.bin, "mountsnoop"), [], mount_script, 2 * MOUNT_STORM,
                            lambda pid: (lambda line, pat=re.compile(rf"^python3 +{pid} +{pid} +\d+ +u?mount\(\""): bool(pat.match(line))),
                            args.runs)
            print_storm("mountsnoop", f"mount storm of {MOUNT_STORM} mounts and unmounts", r)
            compare_libbpf_tools(args.libbpf_tools, "mountsnoop", f"mount storm of {MOUNT_STORM} mounts and unmounts",
                                 mount_script, 2 * MOUNT_STORM, args.runs)

    if "syscount" in wanted:
        dd_script = f"dd if=/dev/zero of=/dev/null bs=1 count={SYSCALL_STORM} 2>/dev/null"
        for options in ([], ["-L"]):
            r = storm_bench(os.path.join(args.bin, "syscount"), options, dd_script, 1,
                            lambda pid: (lambda line, pat=re.compile(r"^read +(\d+)( |$)"):
                                         bool((m := pat.match(line)) and int(m[1]) >= SYSCALL_STORM)),
                            args.runs)
            print_storm("syscount" + (" " + " ".join(options) if options else ""),
                        f"syscall storm of {2 * SYSCALL_STORM} (dd's reads counted: seen)", r)

    if "oomkill" in wanted:
        with memory_cgroup(64) as procs:
            kill = f"sh -c 'echo $$ > {procs}; exec dd if=/dev/zero of=/dev/null bs=256M count=1' 2>/dev/null"
            oom_script = f"i=0; while [ $i -lt {OOM_STORM} ]; do {kill}; i=$((i+1)); done"
            r = storm_bench(os.path.join(args.bin, "oomkill"), [], oom_script, OOM_STORM,
                            lambda pid: (lambda line, pat=re.compile(r'^\d\d:\d\d:\d\d Triggered by PID (\d+) \("dd"\), OOM kill of PID \1 '): bool(pat.match(line))),
                            args.runs)
            print_storm("oomkill", f"{OOM_STORM} OOM kills in a 64 MiB cgroup", r)

    if "biolatency" in wanted:
        r = biolatency_bench(biolatency, args.runs)
        print(f"biolatency: O_DIRECT read storm of {IO_STORM} on a loop device: {r['untraced_s']:.2f} s untraced, "
              f"{r['traced_s']:.2f} s traced, slowdown x{r['slowdown']:.3f} (target <= x1.05); "
              f"counted {r['counted']}-{r['max_counted']}/{IO_STORM} (said missing: {r['said_missing']} I/Os in {r['runs_missing']} "
              f"of {r['storms']} storms; counted + said missing != {IO_STORM} in {r['unexplained']}); "
              f"BPF {r['bpf_ns_per_run'] / 1000:.2f} us per program run, "
              f"{r['bpf_ns_per_event'] / 1000:.2f} us per I/O")
        lbt = os.path.join(args.libbpf_tools, "biolatency") if args.libbpf_tools else None
        if lbt and os.access(lbt, os.X_OK):
            r = biolatency_bench("stdbuf", args.runs, options=("-oL", lbt))
            print(f"libbpf-tools biolatency: O_DIRECT read storm of {IO_STORM} on a loop device: slowdown x{r['slowdown']:.3f}; "
                  f"BPF {r['bpf_ns_per_run'] / 1000:.2f} us per program run, {r['bpf_ns_per_event'] / 1000:.2f} us per I/O")

    if "biosnoop" in wanted:
        with tempfile.TemporaryDirectory(prefix="bench-biosnoop-") as d:
            image = os.path.join(d, "disk.img")
            subprocess.run(["truncate", "-s", "256M", image], check=True)
            loop = subprocess.run(["losetup", "-f", "--show", image], check=True, capture_output=True, text=True).stdout.strip()
            try:
                name = os.path.basename(loop)
                script = f"dd if={loop} of=/dev/null bs=4k count={BIO_SNOOP_STORM} iflag=direct status=none"
                r = storm_bench(os.path.join(args.bin, "biosnoop"), ["-d", name], script, BIO_SNOOP_STORM,
                                lambda pid: (lambda line, pat=re.compile(rf"^[\d.]+ +dd +\d+ +{name} +R "): bool(pat.match(line))),
                                args.runs)
            finally:
                subprocess.run(["losetup", "-d", loop])
        print(f"biosnoop: O_DIRECT read storm of {BIO_SNOOP_STORM} on a loop device: {r['untraced_s']:.2f} s untraced, "
              f"{r['traced_s']:.2f} s traced, slowdown x{r['slowdown']:.3f} (target <= x1.10); seen {r['seen']}/{r['expected']}, "
              f"lost {r['lost']}; RSS steady {r['steady_rss_mb']:.1f} MB, peak {r['peak_rss_mb']:.1f} MB; "
              f"BPF {r['bpf_ns_per_run'] / 1000:.2f} us per program run, {r['bpf_ns_per_event'] / 1000:.2f} us per event")

    if "runqlat" in wanted:
        med, lo, hi = pingpong_bench(os.path.join(args.bin, "runqlat"), args.runs)
        print(f"runqlat: pipe ping-pong of {PINGPONG_ROUNDS} round trips (4 wakeups and switches each): "
              f"slowdown x{med:.3f} (x{lo:.3f}-x{hi:.3f}; target <= x1.10)")

    if "offcputime" in wanted:
        med, lo, hi = pingpong_bench(os.path.join(args.bin, "offcputime"), args.runs)
        print(f"offcputime: pipe ping-pong of {PINGPONG_ROUNDS} round trips (4 context switches each, every one a "
              f"stack walk and an update): slowdown x{med:.3f} (min x{lo:.3f}, max x{hi:.3f})")

    if "export" in wanted:
        text, export, otlp, otlp_bytes, series, median_s, slowest_s, rss_mb = export_bench(args.bin, args.runs)
        print(f"export: exec storm of {EXEC_STORM}: execsnoop printing rows x{text:.3f}, exporting counts (--prometheus) "
              f"x{export:.3f}, pushing log records (--otlp) x{otlp:.3f} of the untraced storm "
              f"(target: at most 2% more than printing; {otlp_bytes / 1e6:.1f} MB of OTLP received)")
        print(f"export: tcpconnect --prometheus with {series} series: a scrape takes {median_s * 1000:.1f} ms "
              f"(slowest of 20: {slowest_s * 1000:.1f} ms; target <= 50 ms), RSS {rss_mb:.1f} MB (target <= 30 MB)")

    if "profile" in wanted:
        slowdowns, reports = profile_bench(profile, args.runs)
        print(f"profile: CPU-bound program slowdown x{slowdowns[49]:.3f} at 49 Hz (target <= x1.01), "
              f"x{slowdowns[999]:.3f} at 999 Hz (target <= x1.03)")
        per_stack = sorted(r * 1e6 / max(n, 1) for r, n, _ in reports)
        print(f"profile: " + ", ".join(f"{n} distinct stacks symbolized and printed in {r:.2f} s" for r, n, _ in reports)
              + f" (median {per_stack[len(per_stack) // 2]:.1f} us per stack, {per_stack[0]:.1f}-{per_stack[-1]:.1f}; "
              f"target < 1 s for 10,000, and <= libbpf-tools' 4.3), peak RSS "
              + "-".join(f"{kb / 1024:.1f}" for kb in sorted(kb for _, _, kb in reports)) + " MB (target <= 15)")
        elapsed, churn_kb = profile_churn_bench(profile)
        print(f"profile: processes that come and go (300 short ones in {elapsed:.1f} s at 4999 Hz): peak RSS {churn_kb / 1024:.1f} MB")
        for (program, mode), (whole, total) in unwind_bench(profile).items():
            print(f"profile: {program}, --unwind {mode}: {whole} of {total} samples reach _start with the callers in order "
                  f"({100 * whole / max(total, 1):.1f}%" + ("; target >= 95%)" if mode == "auto" else ")"))
        share, samples, lost = busy_profile(profile, 49, seconds=30)
        print(f"profile: its own CPU at 49 Hz on every CPU, all busy: {share * 100:.2f}% of one core over 30 s "
              f"(start-up and report included; target <= 2%), {samples} samples")
        _, samples, lost = busy_profile(profile, 999)
        print(f"profile: 999 Hz on every CPU, all busy, 10 s: {samples} samples printed, {lost} reported lost (target 0)")

    if "dbslower" in wanted or "dbstat" in wanted:
        for server, tools in database_bench(args.bin, args.runs, wanted).items():
            load = "pgbench -S, 2 clients on 127.0.0.1" if server == "postgres" else "mariadb-slap SELECT 1, 2 clients on a socket"
            for tool, (base, traced, ratio) in tools.items():
                print(f"{tool}: {server} ({load}): {base:,.0f} queries/s untraced, {traced:,.0f} traced, "
                      f"x{ratio:.3f} of the untraced rate ({(1 - ratio) * 100:.1f}% fewer; target <= 5%)")

    tcp_wanted = [t for t in TCP_TOOLS if t in wanted]
    if tcp_wanted:
        # tcpstates: client CLOSE->SYN_SENT->ESTABLISHED->CLOSE (RST), server SYN_RECV->ESTABLISHED->
        # CLOSE_WAIT->CLOSE and the like: about six per connection
        expected = {"tcpconnect": CONNECT_STORM, "tcplife": 2 * CONNECT_STORM, "tcpretrans": 0, "tcpstates": "about " + str(6 * CONNECT_STORM)}
        for tool, (slowdown, lo, hi, lost) in tcp_bench(args.bin, args.runs).items():
            if tool in tcp_wanted:
                print(f"{tool}: loopback connect storm of {CONNECT_STORM}: slowdown x{slowdown:.3f} (target <= x1.10); "
                      f"rows for the storm {lo}-{hi} (expected {expected[tool]}), lost {lost}")


if __name__ == "__main__":
    main()
