#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-check only: a guest that stops must be stopped by the host's
# stall watch (run.sh), run once more in a new boot, then fail, and the
# tests after it must still run. The first boot freezes its vCPUs (QMP
# stop), as a guest whose clock stopped: its heartbeat goes silent
# (HVKIT_BEAT_LIMIT). The second sleeps, a live guest that writes nothing:
# tap.log goes silent (HVKIT_STALL_LIMIT).
. /hvkit/lib/tap.sh
. /hvkit/lib/qmp.sh
tap_plan 1
if [ "$HVKIT_BOOT" = 1 ]; then
	hvk_qmp '{"execute":"stop"}'
fi
hvk_sleep 3600
tap_ok "the host's stall watch did not stop this test"
tap_done
