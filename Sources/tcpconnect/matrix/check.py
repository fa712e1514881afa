"""kernel matrix: tcpconnect's row for each connect, with its local port."""
import re


def check(guest):
    out = guest.rows("tcpconnect")
    words = guest.ports("tcpconnect")
    for i in range(0, len(words), 4):
        family, lport, dport = words[i + 1], words[i + 2], words[i + 3]
        host = re.escape("127.0.0.1" if family == "4" else "::1")
        guest.expect(any(re.fullmatch(rf"\d+\s+workloads\s+{family}\s+{host}\s+{lport}\s+{host}\s+{dport}\s+", l) for l in out),
                     f"no row for IPv{family} {lport} -> {dport}: {out}")
    guest.expect(len(words) == 8, f"the workload made {len(words) // 4} connections, not 2")
