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

    # CFI: the chain through glibc's qsort (no frame pointers) whole, from _start
    out = guest.rows("profile_cfi")
    _, err, rc = guest.section("profile_cfi")
    guest.expect(rc == 0, f"--unwind dwarf: exit status {rc}; stderr: {err.strip()}")
    counts = [(l.rsplit(" ", 1)[0].split(";"), int(l.rsplit(" ", 1)[1])) for l in out if re.search(r" \d+$", l)]
    total = sum(c for _, c in counts)
    whole = sum(c for frames, c in counts
                if frames[1:2] == ["_start"] and "main" in frames and "sort_run" in frames
                and (frames.index("sort_run") == frames.index("main") + 1))
    # the callback's samples (how many depends on the guest: qsort's own merging takes about
    # half) each under qsort, in order
    in_compare = sum(c for frames, c in counts if "sort_compare" in frames)
    through_qsort = sum(c for frames, c in counts
                        if "sort_compare" in frames and any(f.startswith(("qsort", "msort")) for f in frames[:frames.index("sort_compare")]))
    guest.expect(total >= 20, f"--unwind dwarf: only {total} samples")
    guest.expect(whole * 100 >= total * 95, f"--unwind dwarf: _start ... main;sort_run in {whole} of {total} samples: {out}")
    guest.expect(in_compare * 5 >= total, f"--unwind dwarf: sort_compare in only {in_compare} of {total} samples: {out}")
    guest.expect(through_qsort == in_compare, f"--unwind dwarf: sort_compare under qsort in {through_qsort} of its {in_compare} samples: {out}")
    guest.expect("unwinding with the CFI of" in err, f"--unwind dwarf: -v does not say CFI was used: {err}")
