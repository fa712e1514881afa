"""kernel matrix: tcpstates' SYN_SENT -> ESTABLISHED row for each client socket."""
import re


def check(guest):
    out = guest.rows("tcpstates")
    words = guest.ports("tcpstates")
    guest.expect(out[:1] == ["SKADDR           C-PID C-COMM     LADDR           LPORT RADDR           RPORT OLDSTATE    -> NEWSTATE    MS"],
                 f"header: {out[:1]}")
    for i in range(0, len(words), 4):
        lport, dport = words[i + 2], words[i + 3]
        guest.expect(any(re.fullmatch(rf"[0-9a-f]+\s+\d+\s+workloads\s+\S+\s+{lport}\s+\S+\s+{dport}\s+SYN_SENT\s+-> ESTABLISHED\s+[\d.]+", l)
                         for l in out), f"no SYN_SENT -> ESTABLISHED row for {lport} -> {dport}: {out}")
    guest.expect(len(words) == 8, f"the workload made {len(words) // 4} connections, not 2")
