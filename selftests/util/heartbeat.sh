#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Heartbeat: the host's device brings hvkit_utils in by its modalias, the
# IC negotiates the newest versions both sides speak, the sequence number
# advances with every answer, and the service goes away cleanly.
. /hvkit/lib/tap.sh
modprobe hvkit_sim hb_interval_ms=100 || tap_skip_all "hvkit_sim does not load"
tap_plan 6

hb() { hvctl sim heartbeat --instance "$g" --json; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

g=$(hvctl sim add heartbeat) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 test -e $d/ic_stats &&
	tap_ok "a heartbeat device binds hvkit_utils by its modalias" ||
	tap_fail "a heartbeat device binds hvkit_utils by its modalias" "$(ls $d 2>&1; lsmod)"

wait_for 20 sh -c "grep -q 'version=3.0' $d/ic_stats" &&
	grep -q 'framework=3.0' $d/ic_stats &&
	tap_ok "the guest chose framework 3.0 and heartbeat 3.0, the newest of Hyper-V's lists" ||
	tap_fail "the guest chose framework 3.0 and heartbeat 3.0, the newest of Hyper-V's lists" "$(cat $d/ic_stats)"

i=0
while [ "$(hb | field answered)" -lt 2 ] 2>/dev/null && [ $i -lt 100 ]; do hvk_sleep 0.2; i=$((i + 1)); done
a=$(hb); s1=$(echo "$a" | field sequence); n1=$(echo "$a" | field answered)
hvk_sleep 1
b=$(hb); s2=$(echo "$b" | field sequence); n2=$(echo "$b" | field answered)
[ -n "$s1" ] && [ "$s2" -gt "$s1" ] && [ "$n2" -gt "$n1" ] &&
	tap_ok "the heartbeat sequence advances: every answer is the number sent plus one" ||
	tap_fail "the heartbeat sequence advances: every answer is the number sent plus one" "$a / $b"

# Pinned to Windows Server 2008's versions, the guest falls back to them.
g2=$(hvctl sim add heartbeat --fw-versions 1.0 --versions 1.0) &&
	wait_for 20 sh -c "grep -q 'framework=1.0 version=1.0' /sys/bus/vmbus/devices/$g2/ic_stats" &&
	tap_ok "a host that offers only 1.0 gets framework 1.0 and heartbeat 1.0" ||
	tap_fail "a host that offers only 1.0 gets framework 1.0 and heartbeat 1.0" \
		"$(cat /sys/bus/vmbus/devices/$g2/ic_stats 2>&1)"
hvctl sim remove $g2

# A host that offers no version the guest speaks gets an answer naming none.
g3=$(hvctl sim add heartbeat --versions 9.9) &&
	wait_for 10 sh -c "dmesg | grep -q 'heartbeat: the host offers no version this guest speaks'" &&
	hvctl sim list --json | grep -q "\"instance\":\"$g3\"" &&
	! hvctl sim heartbeat --instance $g3 2>/dev/null | grep -q 'answered [1-9]' &&
	tap_ok "a host offering only unknown versions is answered with none, and sends no heartbeat" ||
	tap_fail "a host offering only unknown versions is answered with none, and sends no heartbeat" \
		"$(dmesg | tail -n 5)"
hvctl sim remove $g3

hvctl sim remove $g && wait_for 10 hvk_gone "$d" && rmmod hvkit_utils &&
	tap_ok "removing the device and unloading hvkit_utils leave nothing behind" ||
	tap_fail "removing the device and unloading hvkit_utils leave nothing behind" "$(lsmod)"
rmmod hvkit_sim 2>/dev/null
tap_done
