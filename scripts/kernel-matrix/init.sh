#!/bin/sh
# /init of the kernel-matrix guests: run every tool against a workload, print each run between
# "@@@ BEGIN <name>" and "@@@ END <name> rc=<status>" on the serial console, power off.
/bin/busybox --install -s /bin
export PATH=/bin TZ=UTC0
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /run && mount -t tmpfs run /run
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
# tracefs is left unmounted: the tools mount it themselves
ip link set lo up
echo "@@@ KERNEL $(uname -r)"

# start NAME LINES TOOL ARGS...: the tool in the background, once LINES lines are on its stdout
start() {
	name=$1 lines=$2
	shift 2
	# the files exist before the tool starts: the background job creates its own only when
	# it gets to run, and an absent file must not end the wait early
	: > /tmp/$name.out
	: > /tmp/$name.err
	"$@" >> /tmp/$name.out 2>> /tmp/$name.err &
	echo $! > /tmp/$name.pid
	i=0
	while [ "$(wc -l < /tmp/$name.out)" -lt "$lines" ] && [ $i -lt 600 ]; do
		kill -0 "$(cat /tmp/$name.pid)" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
}

# wait_exit NAME: wait for the tool to end, print what it wrote and its exit status
wait_exit() {
	name=$1
	wait "$(cat /tmp/$name.pid)"
	rc=$?
	echo "@@@ BEGIN $name"
	cat /tmp/$name.out
	echo "@@@ STDERR $name"
	cat /tmp/$name.err
	echo "@@@ END $name rc=$rc"
}

# finish NAME: Ctrl-C, then as wait_exit (tools that end by themselves only get wait_exit)
finish() {
	sleep 1
	kill -INT "$(cat /tmp/$1.pid)" 2>/dev/null
	wait_exit "$1"
}

cp /bin/workloads /tmp/matrix_exec_probe
start execsnoop 1 execsnoop -v
/tmp/matrix_exec_probe true
finish execsnoop

start opensnoop 1 opensnoop -v
cat /etc/matrix-open-probe > /dev/null
finish opensnoop

start biolatency 1 biolatency -v -e -d nvme0n1
workloads diskio /dev/nvme0n1 200
finish biolatency

start biosnoop 1 biosnoop -v -d nvme0n1
workloads diskio /dev/nvme0n1 50
finish biosnoop

workloads hot 9 &
hot=$!
echo "@@@ HOTPID $hot"
start runqlat 0 runqlat -v -P 2 1
wait_exit runqlat
start profile 0 profile -v -f -p $hot 3
wait_exit profile
kill $hot 2>/dev/null

start tcpconnect 2 tcpconnect -v -L
workloads tcp > /tmp/tcp.ports
finish tcpconnect
echo "@@@ PORTS tcpconnect $(cat /tmp/tcp.ports | tr '\n' ' ')"

start tcplife 1 tcplife -v
workloads tcp > /tmp/tcp.ports
finish tcplife
echo "@@@ PORTS tcplife $(cat /tmp/tcp.ports | tr '\n' ' ')"

start tcpstates 1 tcpstates -v
workloads tcp > /tmp/tcp.ports
finish tcpstates
echo "@@@ PORTS tcpstates $(cat /tmp/tcp.ports | tr '\n' ' ')"

start tcpretrans 2 tcpretrans -v -l
workloads synflood > /tmp/syn.ports
finish tcpretrans
echo "@@@ PORTS tcpretrans $(cat /tmp/syn.ports)"

echo "@@@ DONE"
poweroff -f
