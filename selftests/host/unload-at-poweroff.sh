#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check: a guest that powers off with the simulated host attached
# and a device open tells the host it is going (UNLOAD), the host lets go
# of that guest's channel, and the guest shuts down cleanly. Only the host
# can see this: the guest is gone by then.
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
if grep -aq 'hvkit_vmbus: sent UNLOAD to hvkit_sim before power off' "$keep/console.log" &&
	grep -aq 'hvkit_sim: UNLOAD with 1 channel(s) open and 1 GPADL(s): dropped them' "$keep/console.log"; then
	echo "ok: UNLOAD sent at power off, and the host dropped the open channel"
else
	echo "no UNLOAD in the guest's last kernel log:"
	tail -n 20 "$keep/console.log"
	exit 1
fi
