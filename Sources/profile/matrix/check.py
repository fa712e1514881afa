"""kernel matrix: most of profile's samples in main -> hot_outer -> hot_middle -> hot_leaf."""
import re

# no hardware performance counters under emulation: software cpu-clock serves
MAY_PASS_OVER = {"sampling": "no hardware performance counters"}


def check(guest):
    out = guest.rows("profile")
    counts = [(l.rsplit(" ", 1)[0], int(l.rsplit(" ", 1)[1])) for l in out if re.search(r" \d+$", l)]
    total = sum(c for _, c in counts)
    chain = sum(c for stack, c in counts if "main;hot_outer;hot_middle;hot_leaf" in stack)
    guest.expect(total >= 20, f"only {total} samples")
    guest.expect(chain * 2 > total, f"the hot chain in {chain} of {total} samples: {out}")
    guest.expect(all(stack.startswith("workloads;") for stack, _ in counts), f"samples of other processes with -p: {out}")
