"""kernel matrix: runqlat -P 2 1 prints a histogram section per process."""
import re


def check(guest):
    out = guest.rows("runqlat")
    guest.expect(out[:1] == ["Tracing run queue latency... Hit Ctrl-C to end."], f"banner: {out[:1]}")
    sections = [l for l in out if " = " in l]
    guest.expect(sections and all(re.fullmatch(r"pid = \d+", l) for l in sections), f"no pid sections: {out}")
    guest.expect(guest.histogram_total(out) > 0, f"empty histograms: {out}")
