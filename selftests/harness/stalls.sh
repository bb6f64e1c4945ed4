#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-check only: a guest that goes silent (here a test that
# sleeps; in the wild a guest whose clock stopped) must be stopped by the
# host's stall watch (run.sh, HVKIT_STALL_LIMIT), run once more in a new
# boot, then fail, and the tests after it must still run.
. /hvkit/lib/tap.sh
tap_plan 1
hvk_sleep 3600
tap_ok "the host's stall watch did not stop this test"
tap_done
