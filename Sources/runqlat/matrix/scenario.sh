# kernel matrix: two seconds of run queue latencies beside a CPU-bound process, per process
workloads hot 4 &
runqlat_hot=$!
start runqlat 0 runqlat -v -P 2 1
wait_exit runqlat
kill $runqlat_hot 2>/dev/null
