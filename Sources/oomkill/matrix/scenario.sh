# kernel matrix: a process allocating without end in a 64 MiB cgroup v2 memory group (the
# guest's cgroups are v2 only), killed by the OOM killer; twice: on the preferred probe, then
# on the oom:mark_victim tracepoint the tool falls back to where fentry and kprobes are missing
mkdir -p /sys/fs/cgroup
mount -t cgroup2 none /sys/fs/cgroup
echo +memory > /sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/oom
echo 64M > /sys/fs/cgroup/oom/memory.max
start oomkill 1 oomkill -v
sh -c 'echo $$ > /sys/fs/cgroup/oom/cgroup.procs && exec workloads hog'
finish oomkill
start oomkill-tracepoint 1 env BPF_TOOLS_AVOID_PROBES=fentry,kprobe oomkill -v
sh -c 'echo $$ > /sys/fs/cgroup/oom/cgroup.procs && exec workloads hog'
finish oomkill-tracepoint
