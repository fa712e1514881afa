# kernel matrix: a stand-in PostgreSQL (the workload's USDT probes, with semaphores as
# PostgreSQL's): 3 queries of 0.2 s among 6 instant ones, -m 100 keeps the slow ones
start dbslower 2 dbslower postgres -v -x /bin/workloads -m 100
workloads queries &
echo "@@@ PIDS dbslower $!"
wait $!
finish dbslower
