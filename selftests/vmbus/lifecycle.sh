#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Devices come and go: many at once, drivers bound and unbound in loops,
# a device rescinded in the middle of traffic, and the modules loaded and
# unloaded with nothing left behind.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 9
N=16

# Many devices.
gs=
for i in $(seq $N); do gs="$gs $(hvk_echo_add)"; done
bound=0
for g in $gs; do [ -e /sys/bus/vmbus/devices/$g/driver ] && bound=$((bound + 1)); done
[ $bound -eq $N ] && tap_ok "$N echo devices are offered and bound" ||
	tap_fail "$N echo devices are offered and bound" "$bound bound"
ok=0
for g in $gs; do echo "50 256" >/sys/bus/vmbus/devices/$g/echo_test && ok=$((ok + 1)); done
[ $ok -eq $N ] && tap_ok "each of the $N devices echoes" || tap_fail "each of the $N devices echoes" "$ok did"
cpus=$(cat /sys/bus/vmbus/devices/*/channels/*/cpu | sort -u | wc -l)
[ "$cpus" -ge "$(grep -c ^processor /proc/cpuinfo)" ] && tap_ok "channel interrupts are spread over the CPUs" ||
	tap_fail "channel interrupts are spread over the CPUs" "only $cpus CPU(s) used"

# Open and close: unbind and bind the driver.
set -- $gs
g=$1
err=
n=$(hvk_scale 20)
for i in $(seq $n); do
	echo $g >/sys/bus/vmbus/drivers/hvkit_echo/unbind || { err="unbind $i"; break; }
	[ "$(cat /sys/bus/vmbus/devices/$g/state)" = 0 ] || { err="still open after unbind $i"; break; }
	echo $g >/sys/bus/vmbus/drivers/hvkit_echo/bind || { err="bind $i"; break; }
	echo "5 100" >/sys/bus/vmbus/devices/$g/echo_test || { err="echo after bind $i"; break; }
done
[ -z "$err" ] && tap_ok "the channel closes and reopens $n times, working each time" ||
	tap_fail "the channel closes and reopens $n times, working each time" "$err"

# Rescind during traffic.
g=$2
(echo "200000 4096" >/sys/bus/vmbus/devices/$g/echo_test; echo $? >/tmp/traffic.rc) &
hvk_sleep 0.3
t0=$(cut -d. -f1 /proc/uptime)
hvctl sim remove $g
wait
t1=$(cut -d. -f1 /proc/uptime)
# The driver would give up after 30 s on its own: the rescind must stop it.
if [ "$(cat /tmp/traffic.rc)" != 0 ] && [ $((t1 - t0)) -lt 15 ]; then
	tap_ok "traffic on a rescinded channel stops at once with an error"
else
	tap_fail "traffic on a rescinded channel stops at once with an error" \
		"exit $(cat /tmp/traffic.rc) after $((t1 - t0)) s"
fi
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g" &&
	tap_ok "the rescinded device leaves the bus" || tap_fail "the rescinded device leaves the bus"
wait_for 10 sh -c "! hvctl sim list | grep -q $g" &&
	tap_ok "the host got the relid back (RELID_RELEASED)" ||
	tap_fail "the host got the relid back (RELID_RELEASED)" "hvctl sim list still shows it"

# Load and unload with devices, 50 times (hvk_scale): no memory left behind.
rmmod hvkit_echo hvkit_sim hvkit_vmbus
slab() { awk '/^(Slab|VmallocUsed):/ { s += $2 } END { print s }' /proc/meminfo; }
# MemAvailable plus the pages on the per-CPU free lists (zoneinfo's
# pagesets), which MemAvailable does not count as free.
free_kb() {
	echo $(($(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo) +
		$(awk '$1 == "count:" { s += $2 } END { print s * 4 }' /proc/zoneinfo)))
}
# Where memory is, for a failure's report.
mem_detail() { grep -E '^(MemFree|MemAvailable|Cached|Slab|VmallocUsed|Percpu|PageTables|KernelStack):' /proc/meminfo | tr -s ' \n' ' '; }
cycle() {
	modprobe hvkit_sim && g=$(hvk_echo_add) && g2=$(hvk_echo_add --monitored) &&
		echo "10 1000" >/sys/bus/vmbus/devices/$g/echo_test &&
		echo "10 1000" >/sys/bus/vmbus/devices/$g2/echo_test &&
		rmmod hvkit_echo hvkit_sim hvkit_vmbus
}
cycle
echo 3 >/proc/sys/vm/drop_caches
s0=$(slab) m0=$(free_kb) d0=$(mem_detail)
err=
n=$(hvk_scale 50)
for i in $(seq $n); do cycle || { err="cycle $i failed"; break; }; done
echo 3 >/proc/sys/vm/drop_caches
hvk_sleep 1
s1=$(slab) m1=$(free_kb)
[ -z "$err" ] && tap_ok "$n load, offer, echo, unload cycles succeed" ||
	tap_fail "$n load, offer, echo, unload cycles succeed" "$err"
# slab+vmalloc is the precise signal (each cycle's rings alone are 2 MiB of
# vmalloc): 1 MiB of noise allowed. MemAvailable is coarse, even with the
# per-CPU free lists added back (free_kb): 16 MiB allowed. The debug
# kernel's kmemleak scan (make check-debug) finds the leaks these miss.
echo "# after $n cycles: slab+vmalloc ${s0} -> ${s1} kB, available ${m0} -> ${m1} kB"
if [ $((s1 - s0)) -lt 1024 ] && [ $((m0 - m1)) -lt 16384 ]; then
	tap_ok "the cycles leave no memory behind"
else
	tap_fail "the cycles leave no memory behind" \
		"slab+vmalloc ${s0}->${s1} kB, available ${m0}->${m1} kB; before: $d0; after: $(mem_detail)"
fi
tap_done
