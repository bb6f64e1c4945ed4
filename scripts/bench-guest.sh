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

# KVP: requests answered per second and round-trip p50/p99, hvkit's
# hypervkvpd against Debian's hv_kvp_daemon, same boot, same kernel and
# simulated host; each daemon's resident memory after the run.
if command -v hv_kvp_daemon >/dev/null && command -v hypervkvpd >/dev/null; then
	k=$(hvctl sim add kvp) && kd=/sys/bus/vmbus/devices/$k || exit 1
	wait_for 20 sh -c "grep -q 'version=' $kd/ic_stats && test -c /dev/vmbus/hv_kvp" || exit 1
	mkdir -p /var/lib/hyperv
	[ -e /bin/bash ] || ln -s busybox /bin/bash
	n=2000
	kvp_run() { # DAEMON: a line per request kind, then its memory
		rm -f /var/lib/hyperv/.kvp_pool_*
		"$1" -n >/tmp/bench-$1.log 2>&1 &
		p=$!
		wait_for 20 sh -c "hvctl sim kvp enumerate --instance $k --pool 2 --index 0 >/dev/null" || exit 1
		hvctl sim kvp set --instance $k --pool 0 BenchKey BenchValue >/dev/null || exit 1
		for op in "get --pool 0 BenchKey" "enumerate --pool 2 --index 5" "set --pool 0 BenchKey Other"; do
			m=$n
			[ "${op%% *}" = set ] && m=$((n / 4))
			r=$(hvctl sim kvp $op --instance $k --repeat $m) || exit 1
			echo "$1 ${op%% *} $r"
		done
		echo "$1 rss_kb $(awk '$1 == "VmRSS:" { print $2 }' /proc/$p/status)"
		echo "$1 anon_kb $(awk '$1 == "RssAnon:" { print $2 }' /proc/$p/status)"
		kill $p; wait $p 2>/dev/null
	}
	# Twice each, alternating; the second run of each counts (warm caches).
	{ kvp_run hv_kvp_daemon; kvp_run hypervkvpd; kvp_run hv_kvp_daemon; kvp_run hypervkvpd; } >/tmp/kvp-bench
	echo
	echo "KVP requests, $n each (set: $((n / 4))), one at a time (hypervkvpd / Debian's hv_kvp_daemon):"
	awk '$2 == "rss_kb" { rss[$1] = $3; next }
	     $2 == "anon_kb" { anon[$1] = $3; next }
	     { ps[$1, $2] = $6; p50[$1, $2] = $8; p99[$1, $2] = $10 }
	     END {
		printf "%-10s %12s %12s %8s %10s %10s %10s %10s\n", "request", "hvkit/s", "debian/s", "ratio",
			"hvkit p50", "deb p50", "hvkit p99", "deb p99"
		split("get enumerate set", order)
		for (i = 1; i <= 3; i++) { o = order[i]; h = "hypervkvpd"; d = "hv_kvp_daemon"
			printf "%-10s %12.1f %12.1f %8.3f %9.0fus %9.0fus %9.0fus %9.0fus\n", o, ps[h, o], ps[d, o],
				ps[h, o] / ps[d, o], p50[h, o], p50[d, o], p99[h, o], p99[d, o] }
		printf "resident memory: hypervkvpd %d kB, hv_kvp_daemon %d kB (ratio %.3f)\n",
			rss["hypervkvpd"], rss["hv_kvp_daemon"], rss["hypervkvpd"] / rss["hv_kvp_daemon"]
		printf "of it its own (RssAnon, not shared library text): hypervkvpd %d kB, hv_kvp_daemon %d kB (ratio %.3f)\n",
			anon["hypervkvpd"], anon["hv_kvp_daemon"], anon["hypervkvpd"] / anon["hv_kvp_daemon"]
	     }' /tmp/kvp-bench
	echo "every run (the second of each daemon counts above):"
	sed 's/^/  /' /tmp/kvp-bench
	hvctl sim remove $k >/dev/null
fi
