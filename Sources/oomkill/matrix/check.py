"""kernel matrix: oomkill's line for a process killed in a 64 MiB cgroup v2 group, on the
preferred probe (the total pages: 16384) and on the oom:mark_victim fallback ("?" pages)."""
import re

LOADAVG = r"loadavg: \d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+"


def check(guest):
    for name, pages, victim in (("oomkill", "16384", '"workloads"'), ("oomkill-tracepoint", r"\?", r'"(workloads|\?)"')):
        out = guest.rows(name)
        guest.expect(out[:1] == ["Tracing OOM kills... Ctrl-C to stop."], f"{name} banner: {out[:1]}")
        rows = [i for i, l in enumerate(out) if re.fullmatch(
            rf'\d\d:\d\d:\d\d Triggered by PID (\d+) \("workloads"\), OOM kill of PID \1 \({victim}\), {pages} pages, {LOADAVG}', l)]
        guest.expect(len(rows) == 1, f"{name}: not one row for the OOM kill of the workload: {out}")
        if rows:
            guest.expect(out[rows[0] + 1:rows[0] + 2] in (["  Stack trace:"], ["  Failed to capture stack trace"]),
                         f"{name}: no stack block after the row: {out}")
    _, err, _ = guest.section("oomkill-tracepoint")
    guest.expect(re.search(r"OOM kills: using raw_tp mark_victim \(raw_mark_victim\)", err), f"fallback probe: {err}")
