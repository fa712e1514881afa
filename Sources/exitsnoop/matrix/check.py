"""kernel matrix: exitsnoop's rows for `sh -c 'exit 3'` and a sleep killed by SIGKILL."""
import re


def check(guest):
    out = guest.rows("exitsnoop")
    guest.expect(out[:1] == ["PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE "], f"header: {out[:1]}")
    guest.expect(any(re.fullmatch(r"sh +\d+ +\d+ +\d+ +\d+\.\d\d +code 3", l) for l in out), f"no row for exit 3: {out}")
    guest.expect(any(re.fullmatch(r"sleep +\d+ +\d+ +\d+ +\d+\.\d\d +signal 9 \(KILL\)", l) for l in out),
                 f"no row for the killed sleep: {out}")
