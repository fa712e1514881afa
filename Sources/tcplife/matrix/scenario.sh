# kernel matrix: a v4 and a v6 loopback connection, 1 MiB one way and 2 MiB the other
start tcplife 1 tcplife -v
workloads tcp > /tmp/tcp.ports
finish tcplife
echo "@@@ PORTS tcplife $(cat /tmp/tcp.ports | tr '\n' ' ')"
