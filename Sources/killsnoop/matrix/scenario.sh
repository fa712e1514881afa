# kernel matrix: a SIGTERM to a process that exists and a signal 0 to one that does not
start killsnoop 1 killsnoop -v
workloads kill > /tmp/kill.pids
finish killsnoop
echo "@@@ PIDS killsnoop $(cat /tmp/kill.pids | tr '\n' ' ')"
