#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Debug-kernel harness self-check only: a lock-order inversion must fail
# the run (lockdep), though this test itself passes.
. /hvkit/lib/tap.sh
tap_plan 1
tap_check "a module that takes two locks in both orders loads" modprobe hvkit_harness_test lockinv=1
rmmod hvkit_harness_test
tap_done
