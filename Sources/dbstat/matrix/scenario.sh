# kernel matrix: a stand-in PostgreSQL (the workload's USDT probes, with semaphores as
# PostgreSQL's): 3 queries of 0.2 s and 6 instant ones, one histogram at the end
start dbstat 1 dbstat postgres -v -x /bin/workloads
workloads queries
finish dbstat
