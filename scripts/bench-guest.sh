#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the bench guest (make bench): echo round trips and throughput
# over one channel of the simulated host, each against the same boot's
# in-kernel memcpy of the same sizes. Under TCG absolute numbers mean
# little; the ratios are what to compare between changes.
#
# Arguments (selftests/run.sh --script scripts/bench-guest.sh [ARGS]):
# "kvp [N [ROUNDS]]" runs only the KVP part, N requests of each kind
# (default 1000) in ROUNDS rounds (default 5).
. /hvkit/lib/tap.sh
modprobe hvkit_sim || exit 1
if [ "${1:-}" != kvp ]; then
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
fi

# KVP: requests answered per second and round-trip p50/p99, hvkit's
# hypervkvpd against Debian's hv_kvp_daemon, same boot, same kernel and
# simulated host, alternating; each daemon's resident memory after the run.
# The pools are not empty, as on a real guest: pool 1 holds 200 records as
# cloud-init's Azure reporting leaves them (key CLOUD_INIT|N|TYPE|NAME|UUID,
# a JSON value of 230 to 980 bytes; 512 000 bytes of file), pool 0 twelve
# of the host's; every run starts from the same files.
if command -v hv_kvp_daemon >/dev/null && command -v hypervkvpd >/dev/null; then
	k=$(hvctl sim add kvp) && kd=/sys/bus/vmbus/devices/$k || exit 1
	wait_for 20 sh -c "grep -q 'version=' $kd/ic_stats && test -c /dev/vmbus/hv_kvp" || exit 1
	mkdir -p /var/lib/hyperv /tmp/kvp-pools
	[ -e /bin/bash ] || ln -s busybox /bin/bash
	rm -f /var/lib/hyperv/.kvp_pool_*
	awk 'BEGIN {
		for (i = 0; i < 200; i++) {
			u = sprintf("%08x-%04x-4%03x-a%03x-%012x", 305419896 + i * 40503, i * 7, i, i * 13, 1450744508 + i * 977)
			t = i % 2 ? "finish" : "start"
			msg = "running modules for config"; while (length(msg) < 100 + i * 37 % 750) msg = msg " stage " i
			printf "CLOUD_INIT|0|%s|init-network/config-module-%d|%s\t{\"name\": \"init-network/config-module-%d\", \"type\": \"%s\", \"ts\": \"2026-12-01T10:%02d:%02d.%06dZ\", \"msg\": \"%s\", \"result\": \"SUCCESS\"}\n", t, i, u, i, t, i / 60, i % 60, i * 4099 % 1000000, msg
		}
	}' >/tmp/kvp-pools/records
	while IFS='	' read -r key value; do
		hvctl kvp set --pool 1 "$key" "$value" || exit 1
	done </tmp/kvp-pools/records
	for kv in VirtualMachineName=bench-vm VirtualMachineId=4a1c5e2f-7b3d-4e8a-9c6f-1d2e3f4a5b6c \
		PhysicalHostName=HV-HOST-01 PhysicalHostNameFullyQualified=hv-host-01.corp.example.com \
		HostName=HV-HOST-01 HostingSystemEditionId=8 HostingSystemNestedLevel=0 \
		HostingSystemOsMajor=10 HostingSystemOsMinor=0 HostingSystemProductName=Windows_Server \
		HostingSystemSpMajor=0 HostingSystemSpMinor=0; do
		hvctl kvp set --pool 0 "${kv%%=*}" "${kv#*=}" || exit 1
	done
	cp /var/lib/hyperv/.kvp_pool_0 /var/lib/hyperv/.kvp_pool_1 /tmp/kvp-pools/ || exit 1
	getkey=$(sed -n 101p /tmp/kvp-pools/records | cut -f1)
	n=1000 rounds=5
	[ "${1:-}" != kvp ] || { n=${2:-$n}; rounds=${3:-$rounds}; }
	kvp_run() { # DAEMON ROUND: a line per request kind, then its memory
		rm -f /var/lib/hyperv/.kvp_pool_*
		cp /tmp/kvp-pools/.kvp_pool_0 /tmp/kvp-pools/.kvp_pool_1 /var/lib/hyperv/ || exit 1
		"$1" -n >/tmp/bench-$1.log 2>&1 &
		p=$!
		wait_for 20 sh -c "hvctl sim kvp enumerate --instance $k --pool 2 --index 0 >/dev/null" || exit 1
		for op in "get --pool 1 $getkey" "enumerate --pool 1 --index 150" \
			"enumerate --pool 2 --index 5" "set --pool 0 BenchKey Other"; do
			m=$n
			case $op in set*) m=$((n / 4)) ;; esac
			case $op in *"pool 2"*) what=auto ;; *) what=${op%% *} ;; esac
			r=$(hvctl sim kvp $op --instance $k --repeat $m) || exit 1
			echo "$1 $2 $what $r"
		done
		echo "$1 $2 rss_kb $(awk '$1 == "VmRSS:" { print $2 }' /proc/$p/status)"
		echo "$1 $2 anon_kb $(awk '$1 == "RssAnon:" { print $2 }' /proc/$p/status)"
		kill $p; wait $p 2>/dev/null
	}
	# Alternating, Debian's first in each round.
	round=1
	: >/tmp/kvp-bench
	while [ $round -le $rounds ]; do
		{ kvp_run hv_kvp_daemon $round; kvp_run hypervkvpd $round; } >>/tmp/kvp-bench
		round=$((round + 1))
	done
	echo
	echo "KVP requests, $n each (set: $((n / 4))), one at a time, $rounds rounds alternating;"
	echo "get: pool 1 (200 records), key 101; enumerate: pool 1 index 150; auto: pool 2 index 5;"
	echo "set: pool 0 (12 records). Per round, hypervkvpd's requests per second over Debian's:"
	awk -v rounds=$rounds '
	     function median(a, n,   i, j, t) { # sorts a[1..n]
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	     $3 == "rss_kb" { rss[$1] = $4; next }
	     $3 == "anon_kb" { anon[$1] = $4; next }
	     { ps[$1, $2, $3] = $7; p50[$1, $2, $3] = $9; p99[$1, $2, $3] = $11 }
	     END {
		h = "hypervkvpd"; d = "hv_kvp_daemon"; split("get enumerate auto set", order)
		printf "%-10s", "request"; for (r = 1; r <= rounds; r++) printf " %8s", "round " r
		printf " %8s\n", "median"
		for (i = 1; i <= 4; i++) { o = order[i]; printf "%-10s", o
			for (r = 1; r <= rounds; r++) { q[r] = ps[h, r, o] / ps[d, r, o]; printf " %8.2f", q[r] }
			printf " %8.2f\n", median(q, rounds) }
		printf "\nmedians over the rounds, per daemon:\n"
		printf "%-10s %10s %10s %8s %10s %10s %10s %10s\n", "request", "hvkit/s", "debian/s", "ratio",
			"hvkit p50", "deb p50", "hvkit p99", "deb p99"
		for (i = 1; i <= 4; i++) { o = order[i]
			for (r = 1; r <= rounds; r++) { a[r] = ps[h, r, o]; b[r] = ps[d, r, o]; c[r] = p50[h, r, o]
				e[r] = p50[d, r, o]; f[r] = p99[h, r, o]; g[r] = p99[d, r, o] }
			mh = median(a, rounds); md = median(b, rounds)
			printf "%-10s %10.1f %10.1f %8.2f %9.0fus %9.0fus %9.0fus %9.0fus\n", o, mh, md, mh / md,
				median(c, rounds), median(e, rounds), median(f, rounds), median(g, rounds) }
		printf "resident memory (last round): hypervkvpd %d kB, hv_kvp_daemon %d kB (ratio %.3f)\n",
			rss[h], rss[d], rss[h] / rss[d]
		printf "of it its own (RssAnon, not shared library text): hypervkvpd %d kB, hv_kvp_daemon %d kB (ratio %.3f)\n",
			anon[h], anon[d], anon[h] / anon[d]
	     }' /tmp/kvp-bench
	echo "every run:"
	sed 's/^/  /' /tmp/kvp-bench
	hvctl sim remove $k >/dev/null
fi
