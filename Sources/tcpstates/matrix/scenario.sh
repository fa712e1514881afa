# kernel matrix: a v4 and a v6 loopback connection
start tcpstates 1 tcpstates -v
workloads tcp > /tmp/tcp.ports
finish tcpstates
echo "@@@ PORTS tcpstates $(cat /tmp/tcp.ports | tr '\n' ' ')"
