# kernel matrix: a v4 and a v6 loopback connection
start tcpconnect 2 tcpconnect -v -L
workloads tcp > /tmp/tcp.ports
finish tcpconnect
echo "@@@ PORTS tcpconnect $(cat /tmp/tcp.ports | tr '\n' ' ')"
