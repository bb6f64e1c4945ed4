#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the guest selftests on the debug kernel (KASAN, KFENCE,
# UBSAN, lockdep, DEBUG_OBJECTS, DEBUG_LIST, kmemleak, hung tasks, KUnit),
# which fails on any report; then proof that a planted use-after-free and
# a planted lock inversion are caught. Ends with "N passed, N failed".
#   T=pattern   only the guest selftests whose name matches
#   --lane early|late  one of make check's two parts of this run (below),
#               with its own log directory, build/check-debug-<lane>/
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"
lane=
case "${1:-}" in
--lane) [ $# -ge 2 ] || die "--lane takes early or late"; lane=$2 ;;
'') ;;
*) die "usage: check-debug.sh [--lane early|late]" ;;
esac
case "$lane" in ''|early|late) ;; *) die "--lane takes early or late, not '$lane'" ;; esac
. "$top/scripts/check-lib.sh" "check-debug${lane:+-$lane}"
# Its guests are q35 machines: on the default pc (i440fx) machine, the
# debug kernel's ACPI interpreter runs the DSDT's _PRT loop past ACPICA's
# 30 s loop timeout at every PCI device enable (30 s at boot, 30 s per
# function the simulated host passes through); q35's _PRT is a table.
export HVKIT_MACHINE=${HVKIT_MACHINE:-q35}

scripts/deps.sh >"$logs/deps.log" 2>&1 || { cat "$logs/deps.log"; die "dependencies failed"; }
t0=$(date +%s)
out=$(scripts/debug-kernel.sh 2>"$logs/debug-kernel.log") ||
	{ cat "$logs/debug-kernel.log"; echo "0 passed, 1 failed"; exit 1; }
read -r krel kdir <<<"$(tail -n1 <<<"$out")"
echo "== debug kernel $krel ($(( $(date +%s) - t0 ))s to build or find)"
# The two lanes build into the same trees: one at a time (the second
# finds the first's objects and builds nothing).
mkdir -p "$top/build"
exec 8>"$top/build/.check-debug-build.lock"
flock 8
step "modules build for $krel (W=1, -Werror)" modules.log \
	scripts/build-modules.sh "$kdir" W=1 KCFLAGS=-Werror
# make check (a lane) built userspace before it started the lanes, and
# may be installing from it now.
[ -n "$lane" ] || step "userspace builds" userspace.log scripts/build-user.sh
flock -u 8

section "guest selftests on $krel"
t0=$(date +%s)
# daemons/* run util/*'s flows again with hvkit's daemons: userspace that
# the debug kernel adds nothing to (util/* covers the kernel side here).
# A guest suite under TCG keeps about 1.2 of the 2 cores busy, so two
# guests at once end sooner than one. Alone (make check-debug), the areas
# run in two guests at once, split in halves of about equal time: net and
# util; the rest, then the planted-bug, signed-module and graft boots.
# Within make check the run is two lanes (--lane): "early" starts beside
# make check's own guests on the stock kernel and takes the larger part
# (net, util, vmbus, core, pci); "late" follows them with the rest
# (storage) and the three boots. Measured on 2 cores (6 December 2026):
# early 1579 s without pci, from 562 s into make check; late 742 s with
# pci's 121 s, from 1633 s: pci moved to even them.
run_half() {
	selftests/run.sh --krel "$krel" --mem 2048 --timeout 900 ${T:+--tests "$T"} "$@" 2>&1
}
early_dirs=(--dir net --dir util --dir vmbus --dir core --dir pci)
late_dirs=(--except daemons --except net --except util --except vmbus --except core --except pci)
net_pid=
if [ -n "${T:-}" ]; then
	run_half --except daemons --results "$logs/guest.counts" >"$logs/guest.log"
elif [ "$lane" = early ]; then
	run_half "${early_dirs[@]}" --results "$logs/guest.counts" >"$logs/guest.log"
elif [ "$lane" = late ]; then
	run_half "${late_dirs[@]}" --results "$logs/guest.counts" >"$logs/guest.log"
else
	run_half --dir net --dir util --results "$logs/guest-net.counts" >"$logs/guest-net.log" &
	net_pid=$!
	run_half --except daemons --except net --except util --results "$logs/guest.counts" \
		>"$logs/guest.log"
fi
# half NAME: the result of one half's run.
half() {
	grep -vaE '^  (ok|not ok) ' "$logs/$1.log" || true
	if [ -s "$logs/$1.counts" ]; then
		add_counts "$logs/$1.counts" "$logs/$1.log"
	else
		echo "not ok - the guest selftests ($1) did not run (log: build/check-debug/$1.log)"
		tail -n 20 "$logs/$1.log"
		note_failure "the guest selftests ($1) did not run"
	fi
}
half guest
echo "   ($(( $(date +%s) - t0 ))s)"

if [ -z "${T:-}" ] && [ "$lane" != early ]; then
	caught() {
		if selftests/run.sh --krel "$krel" --mem 2048 --dir harness_debug \
			--keep "$logs/planted" >"$logs/planted.out" 2>&1; then
			echo "the run with planted bugs passed"
			return 1
		fi
		grep -aq 'BUG: KASAN: .*use-after-free in harness_uaf' "$logs/planted/console.log" &&
			grep -aq 'possible circular locking dependency' "$logs/planted/console.log"
	}
	step "a planted use-after-free (KASAN) and lock inversion (lockdep) fail the run" planted.log caught ||
		tail -n 30 "$logs/planted.out"

	step "modules signed by make install (SIGN_KEY=) load on this kernel with module.sig_enforce=1; unsigned and tampered ones are refused" \
		signed.log selftests/host/signed-modules.sh "$krel" "$kdir"

	# hvkit built into the kernel (scripts/graft.sh): this kernel with
	# CONFIG_HVKIT=y, its simulated host and echo device as its modules.
	graft_run() {
		local out gk gm m
		out=$(scripts/graft-kernel.sh) || return 1
		read -r gk _ <<<"$(tail -n1 <<<"$out")"
		# The guest image takes the grafted kernel's own hvkit modules
		# (the simulated host, the echo device), not make modules' copies.
		gm=$top/build/kmod/$gk
		rm -rf "$gm"
		for m in sim echo; do
			mkdir -p "$gm/drivers/$m"
			cp "$(kernel_root "$gk")/lib/modules/$gk/kernel/drivers/hvkit/drivers/$m/hvkit_$m.ko" \
				"$gm/drivers/$m/" || return 1
		done
		selftests/run.sh --krel "$gk" --mem 2048 --dir builtin --keep "$logs/graft" || return 1
		# A skip would mean hvkit was not built in after all.
		! grep -q '# SKIP' "$logs/graft/tap.log"
	}
	step "hvkit grafted into the kernel (CONFIG_HVKIT=y) boots, and its built-in drivers pass builtin/" \
		graft.log graft_run
fi
# The steps above ran beside the net and util half.
if [ -n "$net_pid" ]; then
	wait "$net_pid"
	half guest-net
	echo "   ($(( $(date +%s) - t0 ))s)"
fi

finish
