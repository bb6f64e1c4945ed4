#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest test runner (busybox sh). Runs each test under a timeout and
# prints TAP 13: one top-level line per test, its own TAP indented by four
# spaces as subtests. A test passes when it exits 0, printed a plan, and
# printed as many results as planned with no "not ok". Exit 4 with no
# results is a skip (kselftest's KSFT_SKIP).
n=$#
echo "TAP version 13"
echo "1..$n"
i=0
# busy: the CPU time all CPUs spent busy since boot, in USER_HZ ticks. Under
# TCG it is about the host CPU time the guest costs: the time of a test
# and the CPUs it kept busy tell where make check's time goes.
busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# forks: processes started since boot. A fork and exec costs about 6 ms
# under TCG, and ten times that on the debug kernel (kmemleak, KASAN,
# lockdep): a test's count tells how much of its time its shell spends.
forks() { awk '$1 == "processes" { print $2; exit }' /proc/stat; }
for t in "$@"; do
	i=$((i + 1))
	name=${t#/hvkit/tests/}
	name=${name%.sh}
	echo "# selftest: $name"
	echo "hvkit-selftest: begin $name" >/dev/kmsg
	start=$(cut -d' ' -f1 /proc/uptime)
	busy0=$(busy)
	forks0=$(forks)
	timeout -s KILL "$HVKIT_TIMEOUT" "$t" >/tmp/test.out 2>&1 </dev/null
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	busy1=$(busy)
	forks1=$(forks)
	echo "hvkit-selftest: end $name rc=$rc" >/dev/kmsg
	# Each test starts with no hvkit module loaded: unload what this one
	# left (dependents first, so a few passes), and say so.
	left=$(awk '/^hvkit_/ { print $1 }' /proc/modules)
	if [ -n "$left" ]; then
		for pass in 1 2 3 4 5 6; do
			for m in $(awk '/^hvkit_/ { print $1 }' /proc/modules); do
				rmmod "$m" 2>/dev/null
			done
			grep -q '^hvkit_' /proc/modules || break
			sleep 0.2
		done
		stuck=$(awk '/^hvkit_/ { print $1 }' /proc/modules | tr '\n' ' ')
		echo "# runner: $name left $(echo $left) loaded${stuck:+; cannot unload $stuck}"
	fi
	sed 's/^/    /' /tmp/test.out
	verdict=$(awk -v rc="$rc" '
		/^1\.\.[0-9]+/ { plan = substr($1, 4) + 0; seen_plan = 1 }
		/^ok / { ok++ }
		/^not ok / { bad++ }
		END {
			res = ok + bad
			if (rc == 137) { print "timeout"; exit }
			if (rc == 4 && bad == 0) { print "skip"; exit }
			if (rc != 0) { print "exit " rc; exit }
			if (!seen_plan) { print "no plan"; exit }
			if (bad) { print bad " failed"; exit }
			if (res != plan) { print "ran " res " of " plan; exit }
			print "ok"
		}' /tmp/test.out)
	# And the memory left after it: a guest that runs short over the
	# suite shows it here, before the OOM killer does.
	secs=$(awk -v a="$start" -v b="$end" -v c="$((busy1 - busy0))" -v f="$((forks1 - forks0))" \
		-v m="$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)" \
		'BEGIN { printf "%.1fs, %.1f CPUs busy, %d forks, %d MiB available", b - a, (b > a) ? c / 100 / (b - a) : 0, f, m }')
	case "$verdict" in
	ok) echo "ok $i $name # ${secs}" ;;
	skip) echo "ok $i $name # SKIP $(sed -n 's/^# SKIP //p' /tmp/test.out | head -n1)" ;;
	timeout) echo "not ok $i $name # TIMEOUT after ${HVKIT_TIMEOUT}s" ;;
	*) echo "not ok $i $name # $verdict" ;;
	esac
done
