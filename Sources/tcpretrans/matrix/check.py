"""kernel matrix: tcpretrans' row for the SYN retransmitted to a full accept queue."""
import re

# the option the scenario runs with that changes the probe plan
PLAN_OPTION = "-l"


def check(guest):
    out = guest.rows("tcpretrans")
    words = guest.ports("tcpretrans")
    if guest.expect(len(words) == 3, f"no ports from the workload: {words}"):
        lport, dport = words[1], words[2]
        guest.expect(any(re.fullmatch(rf"\d\d:\d\d:\d\d \d+\s+4\s+127\.0\.0\.1:{lport}\s+R> 127\.0\.0\.1:{dport}\s+SYN_SENT", l)
                         for l in out), f"no SYN_SENT retransmit of {lport} -> {dport}: {out}")
