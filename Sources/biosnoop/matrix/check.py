"""kernel matrix: biosnoop's 50 rows of the workload's reads, in sector order."""
import re

# block_io_start (the submitting process) is Linux 6.5+: older kernels serve it from bio submission
MAY_PASS_OVER = {"submitting process": "no such raw tracepoint"}


def check(guest):
    out = guest.rows("biosnoop")
    guest.expect(out[:1] == ["TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  LAT(ms)"], f"header: {out[:1]}")
    rows = (re.fullmatch(r"[\d.]+\s+workloads\s+\d+\s+nvme0n1\s+R\s+(\d+)\s+4096\s+[\d.]+", l) for l in out)
    sectors = [int(m[1]) for m in rows if m]
    guest.expect(sectors == [8 * i for i in range(50)], f"sectors {sectors}, not 0, 8, ... 392: {out}")
    # checked against the kernel's /proc/diskstats: every I/O has its row, none is said missing
    err = guest.section("biosnoop")[1]
    guest.expect("have no row" not in err, f"said missing: {err}")
