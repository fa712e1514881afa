# kernel matrix: off-CPU time of three busybox sleeps of 0.5 s, user threads only
start offcputime 1 offcputime -v -u 4
sleep 0.5
sleep 0.5
sleep 0.5
wait_exit offcputime
