#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the bench guest (make bench): echo round trips and throughput
# over one channel of the simulated host, each against the same boot's
# in-kernel memcpy of the same sizes. Under TCG absolute numbers mean
# little; the ratios are what to compare between changes.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || exit 1
g=$(hvk_echo_add --channels 1) || exit 1
d=/sys/bus/vmbus/devices/$g
ns() { sed -n 's/.* ns=\([0-9]*\).*/\1/p' $d/echo_test; }

printf '%-10s %10s %14s %14s %8s\n' size packets "echo MB/s" "memcpy MB/s" ratio
for size in 64 1024 4096 16384 65536; do
	count=$((16777216 / size))
	[ $count -gt 20000 ] && count=20000
	echo "$count $size" >$d/echo_test || { cat $d/echo_test; exit 1; }
	t_echo=$(ns)
	echo "$count $size" >$d/memcpy_bench
	t_copy=$(ns)
	awk -v s=$size -v c=$count -v te=$t_echo -v tc=$t_copy 'BEGIN {
		e = s * c / (te / 1e9) / 1e6; m = s * c / (tc / 1e9) / 1e6
		printf "%-10d %10d %14.1f %14.1f %8.4f\n", s, c, e, m, e / m }'
done
# Round trips one at a time: the cost of the signalling path itself.
echo "2000 8" >$d/echo_test
awk -v t=$(ns) 'BEGIN { printf "\nround trips (8 bytes, pipelined): %.0f per second\n", 2000 / (t / 1e9) }'
