#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Harness self-check only: a WARN_ON in a module must fail the run, even
# though this test itself passes.
. /hvkit/lib/tap.sh
tap_plan 1
tap_check "a module with a WARN_ON loads" modprobe hvkit_harness_test warn=1
rmmod hvkit_harness_test
tap_done
