#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Outbound flow control: a driver whose ring is full asks the host, through
# pending_send_sz, to signal once its packet fits, and resumes on that
# signal. The host here is slow (serve_delay_us): it answers each packet,
# then pauses before it takes the next and gives the space back, so the
# guest's outbound ring fills and a reply arrives before the room for the
# next request does (what made vmbus/echo's half-ring case time out now and
# then, issue 8).
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 9
delay=/sys/module/hvkit_sim/parameters/serve_delay_us

# Field $2 of the host's JSON line for device $1.
host_field() {
	hvctl sim list --json | tr '{' '\n' | grep "\"$1\"" |
		sed -n "s/.*\"$2\":\\([^,}]*\\).*/\\1/p"
}
field() { sed -n "s/.* $1=\\([0-9]*\\).*/\\1/p" $d/echo_test; }

g=$(hvk_echo_add --channels 1)
d=/sys/bus/vmbus/devices/$g
ch=$(ls -d $d/channels/* | head -n 1)
[ -n "$g" ] && [ -e $delay ] && tap_ok "an echo device is open, the host has a serve delay" ||
	tap_fail "an echo device is open, the host has a serve delay" "device '$g', $(ls $delay 2>&1)"

# A packet of half the ring: only one fits, so every send waits for the
# room its predecessor took, which comes after that one's reply.
echo 20000 >$delay
s0=$(host_field $g space_signals)
f0=$(cat $ch/out_full_total)
if echo "40 128992" >$d/echo_test; then
	tap_ok "half-ring packets to a slow host all come back"
else
	tap_fail "half-ring packets to a slow host all come back" "$(cat $d/echo_test)"
fi
waited=$(field waited)
s1=$(host_field $g space_signals)
[ "${waited:-0}" -gt 0 ] && [ "$(cat $ch/out_full_total)" -gt "$f0" ] &&
	tap_ok "the sender found the ring full and waited" ||
	tap_fail "the sender found the ring full and waited" "$(cat $d/echo_test), out_full_total $f0 -> $(cat $ch/out_full_total)"
# Each wait ends on the host's signal that the packet fits: as many of
# those as waits, at least, and none but those.
[ -n "$s1" ] && [ $((s1 - s0)) -ge "${waited:-1}" ] &&
	tap_ok "each wait ended on the host's signal that the packet fits ($((s1 - s0)) signals, $waited waits)" ||
	tap_fail "each wait ended on the host's signal that the packet fits" "space signals $s0 -> $s1, waits '$waited'"
[ "$(cat $ch/out_pending_send_sz)" = 0 ] &&
	tap_ok "the sender withdraws its request once it sent" ||
	tap_fail "the sender withdraws its request once it sent" "out_pending_send_sz $(cat $ch/out_pending_send_sz)"

# Small packets: the ring holds dozens; the sender fills it, then waits.
echo 2000 >$delay
s0=$(host_field $g space_signals)
if echo "300 4000" >$d/echo_test; then
	tap_ok "a sender that fills the ring with small packets resumes on the host's signal"
else
	tap_fail "a sender that fills the ring with small packets resumes on the host's signal" "$(cat $d/echo_test)"
fi
waited=$(field waited)
s1=$(host_field $g space_signals)
[ "${waited:-0}" -gt 0 ] && [ $((s1 - s0)) -ge "$waited" ] &&
	tap_ok "... after filling it ($waited waits, $((s1 - s0)) signals)" ||
	tap_fail "... after filling it" "$(cat $d/echo_test), space signals $s0 -> $s1"

# A host that is not slow: nothing waits long, everything comes back.
echo 0 >$delay
if echo "200 128992" >$d/echo_test; then
	tap_ok "at full speed again, half-ring echoes come back"
else
	tap_fail "at full speed again, half-ring echoes come back" "$(cat $d/echo_test)"
fi

hvctl sim remove "$g" && wait_for 10 hvk_gone "$d" &&
	tap_ok "the device goes away cleanly" || tap_fail "the device goes away cleanly" "$(ls $d 2>&1)"
tap_done
