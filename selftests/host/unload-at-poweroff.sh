#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check: a guest that powers off with the simulated host attached
# and a device open first shuts its devices down, each still able to reach
# the host (the echo driver's .shutdown flushes, as a disk would), then
# tells the host it is going (UNLOAD); the host lets go of that guest's
# channel, and the guest shuts down cleanly. Only the host can see this:
# the guest is gone by then.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT
script=$keep/guest.sh
cat >"$script" <<'GUEST'
. /hvkit/lib/tap.sh
modprobe hvkit_sim && g=$(hvk_echo_add) && echo "10 100" >/sys/bus/vmbus/devices/$g/echo_test
GUEST
"$top/selftests/run.sh" --krel "$1" --keep "$keep" --script "$script" >/dev/null
# The host, told so with a channel still open, drops what it held for the
# guest (its channel, the channel's ring GPADL) before it answers.
log=$keep/console.log
flush=$(grep -an 'hvkit_sim: echo [0-9]*: the guest flushed at shutdown' "$log" | head -n1 | cut -d: -f1)
unload=$(grep -an 'hvkit_vmbus: sent UNLOAD to hvkit_sim after devices shut down' "$log" | head -n1 | cut -d: -f1)
if [ -n "$flush" ] && [ -n "$unload" ] && [ "$flush" -lt "$unload" ] &&
	grep -aq 'the host took the flush at shutdown' "$log" &&
	grep -aq 'hvkit_sim: UNLOAD with 1 channel(s) open and 1 GPADL(s): dropped them' "$log"; then
	echo "ok: the driver's shutdown reached the host, then UNLOAD, and the host dropped the open channel"
else
	echo "no flush then UNLOAD in the guest's last kernel log (flush at line '$flush', UNLOAD at '$unload'):"
	tail -n 20 "$keep/console.log"
	exit 1
fi
