#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# CPU hotplug under VMBus traffic, with upstream's rules (hv_synic_cleanup):
# a CPU that any channel targets, open or only offered, cannot go offline;
# once every channel has moved away (MODIFYCHANNEL) it can, traffic goes on
# with no interrupt lost, new channels are placed on the CPUs left, and the
# CPU comes back and takes channels again. The connect CPU never goes.
. /hvkit/lib/tap.sh
[ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ] || tap_skip_all "needs two CPUs"
on1=/sys/devices/system/cpu/cpu1/online
[ -w $on1 ] || tap_skip_all "CPU 1 has no online file (no CPU hotplug in this kernel)"
# A fresh host: no channel of an earlier test holds a CPU.
rmmod hvkit_echo hvkit_sim hvkit_vmbus 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 12
N=4

host_cpu() { hvctl sim list | awk -v g="$1" '$2 == g { print $6 }'; }
# cpus DEVDIR: the CPUs of the device's channels, one line.
cpus() { cat "$1"/channels/*/cpu | tr '\n' ' '; }
move_all() {
	for c in "$1"/channels/*; do echo "$2" >"$c/cpu" || return 1; done
}

g=$(hvk_echo_add --channels $N)
d=/sys/bus/vmbus/devices/$g
wait_for 10 sh -c "[ \$(grep -l open $d/channels/*/state | wc -l) = $N ]"
move_all $d 1 && [ "$(cpus $d)" = "1 1 1 1 " ] && [ "$(host_cpu $g)" = 1 ] &&
	tap_ok "all $N channels of a device move to CPU 1" ||
	tap_fail "all $N channels of a device move to CPU 1" "guest $(cpus $d), host $(host_cpu $g)"

# Offline attempts while echo traffic runs on CPU 1.
echo "3000 2000" >$d/echo_test &
pid=$!
refused=0 tries=0
while [ $tries -lt 5 ]; do
	echo 0 >$on1 2>/dev/null || refused=$((refused + 1))
	tries=$((tries + 1))
done
wait $pid
[ $refused = 5 ] && [ "$(cat $on1)" = 1 ] &&
	tap_ok "CPU 1 cannot go offline while open channels target it" ||
	tap_fail "CPU 1 cannot go offline while open channels target it" \
		"$refused of $tries refused, online=$(cat $on1)"
grep -q "^ok count=3000 " $d/echo_test &&
	tap_ok "traffic during the refused offline comes back whole" ||
	tap_fail "traffic during the refused offline comes back whole" "$(cat $d/echo_test)"

# Every channel moves to CPU 0.
move_all $d 0 && [ "$(cpus $d)" = "0 0 0 0 " ] && [ "$(host_cpu $g)" = 0 ] &&
	tap_ok "all channels move to CPU 0" ||
	tap_fail "all channels move to CPU 0" "guest $(cpus $d), host $(host_cpu $g)"

# A channel that is offered but not open still holds its CPU.
g2=$(hvk_echo_add)
d2=/sys/bus/vmbus/devices/$g2
c2=$(ls -d $d2/channels/*)
echo 1 >$c2/cpu
echo $g2 >/sys/bus/vmbus/drivers/hvkit_echo/unbind
st=$(cat $c2/state)
echo 0 >$on1 2>/dev/null
[ "$st" = offered ] && [ "$(cat $c2/cpu)" = 1 ] && [ "$(cat $on1)" = 1 ] &&
	tap_ok "CPU 1 cannot go offline while an offered, closed channel targets it" ||
	tap_fail "CPU 1 cannot go offline while an offered, closed channel targets it" \
		"state $st, cpu $(cat $c2/cpu), online=$(cat $on1)"
hvctl sim remove $g2
wait_for 10 hvk_gone "$d2"

# Now no channel targets CPU 1: it may go.
echo 0 >$on1 && [ "$(cat $on1)" = 0 ] &&
	tap_ok "CPU 1 goes offline once no channel targets it" ||
	tap_fail "CPU 1 goes offline once no channel targets it" "online=$(cat $on1)"
echo "1000 4000" >$d/echo_test && grep -q "^ok count=1000 " $d/echo_test &&
	tap_ok "traffic after the offline loses no interrupt: every echo comes back" ||
	tap_fail "traffic after the offline loses no interrupt: every echo comes back" "$(cat $d/echo_test)"

g3=$(hvk_echo_add --channels 2)
d3=/sys/bus/vmbus/devices/$g3
wait_for 10 sh -c "[ \$(grep -l open $d3/channels/*/state | wc -l) = 2 ]"
[ "$(cpus $d3)" = "0 0 " ] && echo "200 1000" >$d3/echo_test &&
	tap_ok "a device added while CPU 1 is offline gets CPU 0 and works" ||
	tap_fail "a device added while CPU 1 is offline gets CPU 0 and works" \
		"cpus $(cpus $d3), $(cat $d3/echo_test)"
echo 1 >$d/channels/$(ls $d/channels | head -n1)/cpu 2>/dev/null &&
	tap_fail "a channel cannot move to an offline CPU" "the move to CPU 1 was accepted" ||
	tap_ok "a channel cannot move to an offline CPU"

# CPU 1 comes back and takes channels again.
echo 1 >$on1
move_all $d 1 && [ "$(cpus $d)" = "1 1 1 1 " ] && [ "$(host_cpu $g)" = 1 ] &&
	echo "1000 4000" >$d/echo_test && grep -q "^ok count=1000 " $d/echo_test &&
	tap_ok "CPU 1 back online: the channels move back and traffic runs there" ||
	tap_fail "CPU 1 back online: the channels move back and traffic runs there" \
		"online=$(cat $on1), guest $(cpus $d), host $(host_cpu $g), $(cat $d/echo_test)"

# The connect CPU: where the host sends its messages; never offline.
if [ -w /sys/devices/system/cpu/cpu0/online ]; then
	echo 0 >/sys/devices/system/cpu/cpu0/online 2>/dev/null
	[ "$(cat /sys/devices/system/cpu/cpu0/online)" = 1 ] &&
		tap_ok "CPU 0, the connect CPU, cannot go offline while connected" ||
		tap_fail "CPU 0, the connect CPU, cannot go offline while connected" "it went"
	echo 1 >/sys/devices/system/cpu/cpu0/online 2>/dev/null
else
	tap_skip "CPU 0, the connect CPU, cannot go offline while connected" \
		"this kernel cannot offline CPU 0 at all"
fi
hvctl sim remove $g
hvctl sim remove $g3
wait_for 10 hvk_gone "$d" "$d3" && echo 0 >$on1 && echo 1 >$on1 &&
	tap_ok "with the devices gone, CPU 1 goes offline and comes back" ||
	tap_fail "with the devices gone, CPU 1 goes offline and comes back" \
		"online=$(cat $on1); $(hvctl sim list)"
tap_done
