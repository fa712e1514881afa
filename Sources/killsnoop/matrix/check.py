"""kernel matrix: killsnoop's rows for the workload's SIGTERM (0) and its signal 0 to no process (-3)."""
import re


def check(guest):
    out = guest.rows("killsnoop")
    guest.expect(re.fullmatch(r"TIME      PID +COMM             SIG  TPID +RESULT", out[0] if out else ""), f"header: {out[:1]}")
    m = re.search(r"@@@ PIDS killsnoop (\d+) (\d+) (\d+)", guest.log)
    if guest.expect(m, "no pids from the workload"):
        sender, child, missing = m[1], m[2], m[3]
        for sig, target, ret in (("15", child, "0"), ("0", missing, "-3")):
            guest.expect(any(re.fullmatch(rf"\d\d:\d\d:\d\d  {sender} +workloads +{sig} +{target} +{ret}", l) for l in out),
                         f"no row for signal {sig} to {target} with result {ret}: {out}")
