"""kernel matrix: dbstat counts the workload's nine queries, three of them in the 128-255 ms slot."""
import re


def check(guest):
    out = guest.rows("dbstat")
    guest.expect(out[:1] == ["Tracing database queries for application /bin/workloads slower than 0 ms..."], f"banner: {out[:1]}")
    guest.expect(any(re.fullmatch(r"\[\d\d:\d\d:\d\d\]", l) for l in out), f"no time line: {out}")
    guest.expect(guest.histogram_total(out) == 9, f"not 9 queries: {out}")
    guest.expect(any(re.fullmatch(r" +128 -> 255 +: 3 +\|.*\|", l) for l in out), f"no 3 in 128 -> 255: {out}")
