"""kernel matrix: execsnoop's row for the probe program's exec."""
import re


def check(guest):
    out = guest.rows("execsnoop")
    guest.expect(out[:1] == ["COMM             PID     PPID    RET ARGS"], f"header: {out[:1]}")
    guest.expect(any(re.fullmatch(r"matrix_exec_pro\s+\d+\s+\d+\s+0 /tmp/matrix_exec_probe true", l) for l in out),
                 f"no row for /tmp/matrix_exec_probe: {out}")
