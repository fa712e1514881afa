"""kernel matrix: syscount -L's report after a dd of 2,000 one-byte blocks: read and write
each counted at least 2,000 times, with their total time."""
import re

PLAN_OPTION = "-L"


def check(guest):
    out = guest.rows("syscount")
    guest.expect(out[:1] == ["Tracing syscalls, printing top 10... Ctrl+C to quit."], f"banner: {out[:1]}")
    guest.expect("SYSCALL                   COUNT        TIME (us)" in out, f"no header: {out}")
    guest.expect(out[-1:] == ["Detaching..."], f"no Detaching...: {out[-3:]}")
    for call in ("read", "write"):
        m = [re.fullmatch(rf"{call} +(\d+) +\d+\.\d{{3}}", l) for l in out]
        counts = [int(x[1]) for x in m if x]
        guest.expect(counts and counts[0] >= 2000, f"{call} not counted 2,000 times: {out}")
