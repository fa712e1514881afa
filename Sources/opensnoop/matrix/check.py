"""kernel matrix: opensnoop's row for cat opening the probe file."""
import re


def check(guest):
    out = guest.rows("opensnoop")
    guest.expect(out[:1] == ["PID    COMM               FD ERR PATH"], f"header: {out[:1]}")
    guest.expect(any(re.fullmatch(r"\d+\s+cat\s+\d+\s+0 /etc/matrix-open-probe", l) for l in out),
                 f"no row for /etc/matrix-open-probe: {out}")
