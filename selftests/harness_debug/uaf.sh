#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Debug-kernel harness self-check only: a use-after-free in a module must
# fail the run (KASAN), though this test itself passes.
. /hvkit/lib/tap.sh
tap_plan 1
tap_check "a module that reads freed memory loads" modprobe hvkit_harness_test uaf=1
rmmod hvkit_harness_test
tap_done
