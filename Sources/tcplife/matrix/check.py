"""kernel matrix: tcplife's rows for both ends of each connection, with their byte counts."""
import re


def check(guest):
    out = guest.rows("tcplife")
    words = guest.ports("tcplife")
    for i in range(0, len(words), 4):
        lport, dport = words[i + 2], words[i + 3]
        # The client end is owned by the task at SYN_SENT. The server end closes first (shutdown),
        # so as in BCC it gets no owner at LAST_ACK and shows the task on the CPU at CLOSE: the
        # workload, or ksoftirqd when the kernel deferred the FIN (seen under TCG on 6.1).
        for (local, remote, tx, rx, comm) in ((lport, dport, "1024", "2048", "workloads"), (dport, lport, "2048", "1024", r"\S+")):
            guest.expect(any(re.fullmatch(rf"\d+\s+{comm}\s+\S+\s+{local}\s+\S+\s+{remote}\s+{tx}\s+{rx}\s+[\d.]+", l) for l in out),
                         f"no row {local} -> {remote} with TX_KB {tx} RX_KB {rx}: {out}")
    guest.expect(len(words) == 8, f"the workload made {len(words) // 4} connections, not 2")
