# kernel matrix: the probe program's exec, with its arguments (busybox runs applets without exec)
cp /bin/workloads /tmp/matrix_exec_probe
start execsnoop 1 execsnoop -v
/tmp/matrix_exec_probe true
finish execsnoop
