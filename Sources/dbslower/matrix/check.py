"""kernel matrix: dbslower's rows for the workload's three 0.2 s queries, and none of its instant ones."""
import re


def check(guest):
    out = guest.rows("dbslower")
    guest.expect(out[:2] == ["Tracing database queries for application /bin/workloads slower than 100 ms...",
                             "TIME(s)        PID           MS QUERY"], f"banner and header: {out[:2]}")
    m = re.search(r"@@@ PIDS dbslower (\d+)", guest.log)
    if guest.expect(m, "no pid from the workload"):
        slow = [l for l in out[2:] if re.fullmatch(rf"\d+\.\d{{6}} +{m[1]} +(\d+\.\d{{3}}) SELECT pg_sleep\(0\.2\)", l)]
        guest.expect(len(slow) == 3 and all(200 <= float(l.split()[2]) < 2000 for l in slow), f"not three 0.2 s queries: {out}")
        guest.expect(len(out) == 5, f"rows besides the slow queries: {out}")
