#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-check only: a test that fails must fail the run.
. /hvkit/lib/tap.sh
tap_plan 2
tap_ok "the harness shows passing results"
tap_fail "the harness reports this deliberate failure" "expected: the run fails"
tap_done
