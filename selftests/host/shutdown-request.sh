#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check: the host's shutdown request powers the guest off, and a
# restart request restarts it, each the orderly way. The guest answers
# S_OK, logs the host's reason, and the kernel runs userspace's
# /sbin/poweroff or /sbin/reboot (here a script that says so and does it),
# which ends the QEMU run (-no-reboot: a restart ends it too) long before
# the guest script would end by itself. Only the host sees this: the guest
# is gone by then.
#   shutdown-request.sh KREL
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
krel=$1
keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT
script=$keep/guest.sh
cat >"$script" <<'GUEST'
. /hvkit/lib/tap.sh
# What the kernel's orderly_poweroff()/orderly_reboot() run: init's job,
# done here by scripts that leave a mark in the kernel log first.
for cmd in poweroff reboot; do
	printf '#!/bin/sh\necho "hvkit-test: /sbin/%s run by the kernel" >/dev/kmsg\nsync\nexec /bin/busybox %s -f\n' \
		$cmd $cmd >/sbin/$cmd
	chmod +x /sbin/$cmd
done
modprobe hvkit_sim && g=$(hvctl sim add shutdown) &&
	wait_for 20 sh -c "grep -q 'version=3.2' /sys/bus/vmbus/devices/$g/ic_stats" || exit 1
hvctl sim shutdown "$1" --reason "hvkit host test: $1"
sleep 60
echo "still running 60 s after the request"
GUEST

failed=0
check() {	# ACTION WHAT KERNEL_LINE ...
	local action=$1 what=$2 start secs err log out
	shift 2
	start=$(date +%s)
	err=$("$top/selftests/run.sh" --krel "$krel" --keep "$keep/$action" --timeout 120 \
		--script "$script" "$action" 2>&1 >"$keep/$action.out") || true
	secs=$(( $(date +%s) - start ))
	log=$keep/$action/console.log
	out=$(cat "$keep/$action.out")
	local missing=
	for line in "$@"; do
		grep -aqF "$line" "$log" 2>/dev/null || missing="$missing
    '$line'"
	done
	# The guest never reports back: it went before its script ended, and
	# nothing else went wrong.
	if [ -z "$missing" ] && [ "$out" = "S_OK (0x00000000)" ] &&
		! grep -aq '^HVKIT-DONE' "$keep/$action/tap.log" &&
		[ "$(grep -v 'guest stopped without reporting' <<<"$err" | grep -c .)" = 0 ] &&
		[ "$secs" -lt 150 ]; then
		echo "ok: $what (${secs}s)"
	else
		echo "not ok: $what (${secs}s)"
		echo "  guest said: $out"
		[ -z "$err" ] || echo "  run.sh said: $err"
		[ -z "$missing" ] || echo "  missing from the kernel log:$missing"
		tail -n 20 "$log" 2>/dev/null | sed 's/^/  | /'
		failed=1
	fi
}

check poweroff "a power-off request is answered S_OK, its reason logged, and the guest powers off the orderly way" \
	'shutdown: the host asks to power off (reason 0x80000000, timeout 0 s): "hvkit host test: poweroff"' \
	'shutdown: powering off (orderly_poweroff)' \
	'hvkit-test: /sbin/poweroff run by the kernel' \
	'reboot: Power down'
check restart "a restart request is answered S_OK, its reason logged, and the guest restarts the orderly way" \
	'shutdown: the host asks to restart (reason 0x80000000, timeout 0 s): "hvkit host test: restart"' \
	'shutdown: restarting (orderly_reboot)' \
	'hvkit-test: /sbin/reboot run by the kernel' \
	'reboot: Restarting system'
exit $failed
