"""kernel matrix: offcputime's stacks of three 0.5 s sleeps: blocked in do_nanosleep, kernel
frames from __schedule, about 500,000 us each."""
import re


def check(guest):
    out = guest.rows("offcputime")
    guest.expect(out[:1] == ["Tracing off-CPU time (us) of user threads by user + kernel stack for 4 secs."], f"banner: {out[:1]}")
    stacks = "\n".join(out[1:]).split("\n\n")
    sleeps = [s for s in stacks if re.search(r"^    -                sleep \(\d+\)$", s, re.M) and "    do_nanosleep" in s]
    for s in sleeps:
        guest.expect(s.lstrip("\n").startswith("    __schedule\n"), f"stack does not start at __schedule: {s}")
    # the scenario's three 0.5 s sleeps; init.sh's own 0.1 s sleeps (waiting for the banner on
    # a slow guest) are sleeps too, and shorter
    half = [s for s in sleeps if 450_000 <= int(s.strip().split("\n")[-1]) < 2_000_000]
    guest.expect(len(half) >= 3, f"not three stacks of 0.5 s sleeps in do_nanosleep: {out}")
