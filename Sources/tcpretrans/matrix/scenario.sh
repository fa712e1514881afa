# kernel matrix: a SYN dropped by a full accept queue and retransmitted (-l: with the loss probe)
start tcpretrans 2 tcpretrans -v -l
workloads synflood > /tmp/syn.ports
finish tcpretrans
echo "@@@ PORTS tcpretrans $(cat /tmp/syn.ports)"
