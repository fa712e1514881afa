#!/usr/bin/env python3
"""Checks one guest's serial log from init.sh: the rows each tool printed for its workload,
and, from each tool's -v lines, that every probe chosen is the first of its chain in
tools.json (the preferred one), where the kernel offers it. Prints what failed; exit 1 if any.
"""
import json, os, re, sys

log = open(sys.argv[1], errors="replace").read().replace("\r", "")
manifest = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "tools.json")))
kernel = (re.search(r"@@@ KERNEL (\S+)", log) or [None, "0.0"])[1]
version = tuple(int(part) for part in re.findall(r"\d+", kernel)[:2])
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
    return condition


def section(name):
    m = re.search(rf"@@@ BEGIN {name}\n(.*?)@@@ STDERR {name}\n(.*?)@@@ END {name} rc=(\d+)", log, re.S)
    if not check(m, f"{name}: no output (did the guest get there?)"):
        return [], "", -1
    return m[1].splitlines(), m[2], int(m[3])


def ports(name):
    m = re.search(rf"@@@ PORTS {name} (.*)", log)
    return m[1].split() if m else []


def histogram_total(lines):
    return sum(int(l.split(":")[1].split("|")[0]) for l in lines if " -> " in l)


# the option each tool ran with in init.sh that changes its probe plan ("" = none)
plan_option = {"tcpretrans": "-l"}
# kernels older than these lack what a variant requires: its twin without it serves there
requirement_since = {"cmpxchg": (5, 12), "bpf_loop": (5, 17)}
# where the first choice may be missing for a reason the tool states (no PMU under emulation)
may_pass_over = {("profile", "sampling"): "no hardware performance counters",
                 # block_io_start is Linux 6.5+
                 ("biosnoop", "submitting process"): "block:block_io_start: no such tracepoint"}

for tool in manifest["tools"]:
    name = tool["name"]
    out, err, rc = section(name)
    check(rc == 0, f"{name}: exit status {rc}; stderr: {err.strip()}")
    for chain in tool["plans"][plan_option.get(name, "")]:
        candidates = chain["chain"]
        m = re.search(rf"^{name}: {re.escape(chain['role'])}: using .*? \((\w+)\)(.*)$", err, re.M)
        if not check(m, f"{name}: -v does not say which probe serves '{chain['role']}'"):
            continue
        reason = may_pass_over.get((name, chain["role"]))
        if m[1] != candidates[0]["program"] and reason and reason in m[2]:
            continue
        # a variant of the same probe, taken because this kernel lacks what the first requires
        first = candidates[0]
        twins = [c for c in candidates[1:] if (c["kind"], c["target"]) == (first["kind"], first["target"])]
        if any(m[1] == c["program"] and "requires" not in c for c in twins) and \
                any(version < requirement_since.get(r, (0, 0)) for r in first.get("requires", [])):
            continue
        check(m[1] == candidates[0]["program"],
              f"{name}: '{chain['role']}' uses {m[1]}, not the preferred {candidates[0]['program']}: {m[0]}")

# execsnoop: the probe program's exec, with its arguments
out, _, _ = section("execsnoop")
check(out[:1] == ["COMM             PID     PPID    RET ARGS"], f"execsnoop header: {out[:1]}")
check(any(re.fullmatch(r"matrix_exec_pro\s+\d+\s+\d+\s+0 /tmp/matrix_exec_probe true", l) for l in out),
      f"execsnoop: no row for /tmp/matrix_exec_probe: {out}")

# opensnoop: cat opening the probe file
out, _, _ = section("opensnoop")
check(out[:1] == ["PID    COMM               FD ERR PATH"], f"opensnoop header: {out[:1]}")
check(any(re.fullmatch(r"\d+\s+cat\s+\d+\s+0 /etc/matrix-open-probe", l) for l in out),
      f"opensnoop: no row for /etc/matrix-open-probe: {out}")

# biolatency: 200 O_DIRECT reads of the NVMe disk, one request each
out, _, _ = section("biolatency")
check(out[:1] == ["Tracing block device I/O... Hit Ctrl-C to end."], f"biolatency banner: {out[:1]}")
check(histogram_total(out) == 200, f"biolatency: histogram total {histogram_total(out)}, not 200: {out}")
check(any(l.endswith("count: 200") for l in out), f"biolatency: no -e line with count: 200")

# biosnoop: 50 O_DIRECT reads of the NVMe disk by the workload, sectors 0, 8, ... in order
out, _, _ = section("biosnoop")
check(out[:1] == ["TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  LAT(ms)"], f"biosnoop header: {out[:1]}")
sectors = [int(m[1]) for m in (re.fullmatch(r"[\d.]+\s+workloads\s+\d+\s+nvme0n1\s+R\s+(\d+)\s+4096\s+[\d.]+", l) for l in out) if m]
check(sectors == [8 * i for i in range(50)], f"biosnoop: sectors {sectors}, not 0, 8, ... 392: {out}")

# runqlat -P 2 1: two seconds of run queue latencies, a section per process
out, _, _ = section("runqlat")
check(out[:1] == ["Tracing run queue latency... Hit Ctrl-C to end."], f"runqlat banner: {out[:1]}")
sections = [l for l in out if " = " in l]
check(sections and all(re.fullmatch(r"pid = \d+", l) for l in sections), f"runqlat: no pid sections: {out}")
check(histogram_total(out) > 0, f"runqlat: empty histograms: {out}")

# profile: most samples of the hot program in main -> hot_outer -> hot_middle -> hot_leaf
out, err, _ = section("profile")
counts = [(l.rsplit(" ", 1)[0], int(l.rsplit(" ", 1)[1])) for l in out if re.search(r" \d+$", l)]
total = sum(c for _, c in counts)
chain = sum(c for stack, c in counts if "main;hot_outer;hot_middle;hot_leaf" in stack)
check(total >= 20, f"profile: only {total} samples")
check(chain * 2 > total, f"profile: the hot chain in {chain} of {total} samples: {out}")
check(all(stack.startswith("workloads;") for stack, _ in counts), f"profile: samples of other processes with -p: {out}")

# tcpconnect: each connect, with its local port
out, _, _ = section("tcpconnect")
words = ports("tcpconnect")
for i in range(0, len(words), 4):
    family, lport, dport = words[i + 1], words[i + 2], words[i + 3]
    host = "127.0.0.1" if family == "4" else "::1"
    check(any(re.fullmatch(rf"\d+\s+workloads\s+{family}\s+{re.escape(host)}\s+{lport}\s+{re.escape(host)}\s+{dport}\s+", l)
              for l in out), f"tcpconnect: no row for IPv{family} {lport} -> {dport}: {out}")
check(len(words) == 8, f"tcpconnect: the workload made {len(words) // 4} connections, not 2")

# tcplife: both ends of each connection, 1 MiB one way and 2 MiB the other
out, _, _ = section("tcplife")
words = ports("tcplife")
for i in range(0, len(words), 4):
    lport, dport = words[i + 2], words[i + 3]
    # The client end is owned by the task at SYN_SENT. The server end closes first (shutdown),
    # so as in BCC it gets no owner at LAST_ACK and shows the task on the CPU at CLOSE: the
    # workload, or ksoftirqd when the kernel deferred the FIN (seen under TCG on 6.1).
    for (local, remote, tx, rx, comm) in ((lport, dport, "1024", "2048", "workloads"), (dport, lport, "2048", "1024", r"\S+")):
        check(any(re.fullmatch(rf"\d+\s+{comm}\s+\S+\s+{local}\s+\S+\s+{remote}\s+{tx}\s+{rx}\s+[\d.]+", l) for l in out),
              f"tcplife: no row {local} -> {remote} with TX_KB {tx} RX_KB {rx}: {out}")

# tcpstates: each client socket's SYN_SENT -> ESTABLISHED, with its ports
out, _, _ = section("tcpstates")
words = ports("tcpstates")
check(out[:1] == ["SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS"],
      f"tcpstates header: {out[:1]}")
for i in range(0, len(words), 4):
    lport, dport = words[i + 2], words[i + 3]
    check(any(re.fullmatch(rf"[0-9a-f]+\s+\d+\s+workloads\s+\S+\s+{lport}\s+\S+\s+{dport}\s+SYN_SENT\s+-> ESTABLISHED\s+[\d.]+", l)
              for l in out), f"tcpstates: no SYN_SENT -> ESTABLISHED row for {lport} -> {dport}: {out}")
check(len(words) == 8, f"tcpstates: the workload made {len(words) // 4} connections, not 2")

# tcpretrans: the SYN dropped by the full accept queue, retransmitted
out, _, _ = section("tcpretrans")
words = ports("tcpretrans")
if check(len(words) == 3, f"tcpretrans: no ports from the workload: {words}"):
    lport, dport = words[1], words[2]
    check(any(re.fullmatch(rf"\d\d:\d\d:\d\d \d+\s+4\s+127\.0\.0\.1:{lport}\s+R> 127\.0\.0\.1:{dport}\s+SYN_SENT", l) for l in out),
          f"tcpretrans: no SYN_SENT retransmit of {lport} -> {dport}: {out}")

check("@@@ DONE" in log, "the guest did not finish its script")
if failures:
    print(f"kernel-matrix: {kernel}: {len(failures)} failure(s)")
    for f in failures:
        print(f"  - {f}")
    sys.exit(1)
print(f"kernel-matrix: {kernel}: all {len(manifest['tools'])} tools passed")
