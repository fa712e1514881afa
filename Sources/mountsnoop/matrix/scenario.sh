# kernel matrix: busybox's mount and umount of a tmpfs (mount(2), umount2(2)), a failed mount,
# then the new mount API's calls (the workload)
start mountsnoop 1 mountsnoop -v
mkdir -p /tmp/mnt-matrix
mount -t tmpfs matrixsrc /tmp/mnt-matrix
umount /tmp/mnt-matrix
mount -t tmpfs none /tmp/no-such-dir 2>/dev/null
workloads newmount /tmp/mnt-matrix
finish mountsnoop
