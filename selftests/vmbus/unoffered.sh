#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The host refuses requests on a relid it never offered to this guest, as
# Hyper-V does, even where it has a channel by that number: here the
# sub-channel of a device that nobody asked for. hvkit_post_test posts
# the raw requests (the core itself never sends such a one).
. /hvkit/lib/tap.sh
# A fresh host, and a driver that asks for no sub-channels.
rmmod hvkit_echo hvkit_sim 2>/dev/null
modprobe hvkit_echo subchannels=0 && modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 4

g=$(hvk_echo_add --channels 2) || tap_skip_all "no echo device"
d=/sys/bus/vmbus/devices/$g
p=$(cat $d/id)
# The host numbered the device's two channels one after the other; only
# the primary was offered (no sub-channel was asked for).
sub=$((p + 1))
if [ -e $d/channels/$sub ] || ! hvctl sim list | grep -q "$g"; then
	tap_skip_all "relid $sub is not an un-offered sub-channel here"
fi

post() {
	M="hvk-unoffered-$1-$$"
	echo "$M" >/dev/kmsg
	insmod_ok=0
	modprobe hvkit_post_test relid=$sub msg=$1 && insmod_ok=1
	rmmod hvkit_post_test 2>/dev/null
	[ $insmod_ok = 1 ]
}
logged() { wait_for 5 sh -c "dmesg | awk -v m='$M' 'index(\$0, m) { on = 1; next } on' | grep -q '$1'"; }

for pair in "gpadl:GPADL 0x7e570001 for relid $sub refused: relid never offered" \
	"open:OPENCHANNEL $sub refused: relid never offered" \
	"modify:MODIFYCHANNEL $sub to VP 0 refused: relid never offered"; do
	m=${pair%%:*} want=${pair#*:}
	post $m && logged "$want" &&
		tap_ok "$m on a relid never offered is refused" ||
		tap_fail "$m on a relid never offered is refused" \
			"$(dmesg | awk -v m="$M" 'index($0, m) { on = 1; next } on' | tail -n 5)"
done

echo "5 100" >$d/echo_test && tap_ok "the device that was offered still works" ||
	tap_fail "the device that was offered still works" "$(cat $d/echo_test)"
hvctl sim remove $g
wait_for 10 hvk_gone "$d"
rmmod hvkit_echo hvkit_sim
tap_done
