#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in a guest: one echo case of vmbus/echo, over and over, to find a
# race that shows once in a hundred runs (issue 8: "200 echoes of 128992
# bytes" once timed out). From the host, under the QEMU lock:
#
#   flock /tmp/hvkit-qemu.lock selftests/run.sh --timeout 3000 \
#       --script scripts/echo-repeat-guest.sh RUNS [COUNT SIZE] [LOAD] [DELAY_US]
#
# RUNS   times to run the case (default 300)
# COUNT SIZE   the case (default: 200 echoes of 128992 bytes, half a ring)
# LOAD   busy loops to run in the guest meanwhile (default 0), each on a
#        CPU of its own, so the host's serve work and the guest's receive
#        work get preempted, as on a loaded machine
# DELAY_US   hvkit_sim's serve_delay_us (default 0): the host pauses this
#        long after each packet it answers, before it takes the next
# Prints "runs=.. ok=.. fail=.." and every failure's result line; exits 1 if
# any run failed.
. /hvkit/lib/tap.sh
runs=${1:-300} count=${2:-200} size=${3:-128992} load=${4:-0} delay=${5:-0}
modprobe hvkit_sim || exit 1
[ "$delay" = 0 ] || echo "$delay" >/sys/module/hvkit_sim/parameters/serve_delay_us || exit 1
g=$(hvk_echo_add) || { echo "no echo device"; exit 1; }
d=/sys/bus/vmbus/devices/$g
ch=$(ls -d $d/channels/* | head -n 1)
echo "device $g, channel $(basename $ch) on CPU $(cat $ch/cpu)"

pids=
i=0
while [ $i -lt "$load" ]; do
	(while :; do :; done) &
	pids="$pids $!"
	i=$((i + 1))
done

ok=0 fail=0 i=0
start=$(date +%s)
while [ $i -lt "$runs" ]; do
	i=$((i + 1))
	if echo "$count $size" >$d/echo_test 2>/dev/null; then
		ok=$((ok + 1))
		[ $((i % 50)) = 0 ] && echo "progress: $i runs, $fail failed, $(( $(date +%s) - start )) s"
	else
		fail=$((fail + 1))
		echo "run $i: $(cat $d/echo_test)"
		echo "  out_full_total=$(cat $ch/out_full_total) out_pending_send_sz=$(cat $ch/out_pending_send_sz) in_pending_send_sz=$(cat $ch/in_pending_send_sz) out_write_bytes_avail=$(cat $ch/out_write_bytes_avail)"
	fi
done
for p in $pids; do kill "$p"; done
wait 2>/dev/null
echo "runs=$runs ok=$ok fail=$fail case='$count $size' load=$load serve_delay_us=$delay secs=$(( $(date +%s) - start ))"
hvctl sim list
[ -e $ch/out_full_total ] && echo "guest: out_full_total=$(cat $ch/out_full_total) interrupts=$(cat $ch/interrupts) events=$(cat $ch/events)"
[ "$fail" = 0 ]
