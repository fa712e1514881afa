#!/bin/sh
# /init of the kernel-matrix guests: run every tool's scenario against a workload, print each
# run between "@@@ BEGIN <name>" and "@@@ END <name> rc=<status>" on the serial console, power
# off. A scenario is a fragment of this script, using start, wait_exit and finish.
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

# Each tool's scenario (Sources/<tool>/matrix/scenario.sh), in tools.json's order.
for tool in $(cat /etc/matrix-tools); do
	. /matrix/$tool.sh
done

echo "@@@ DONE"
poweroff -f
