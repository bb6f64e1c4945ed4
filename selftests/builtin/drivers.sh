#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hvkit built into the kernel (scripts/graft.sh, scripts/graft-kernel.sh):
# the VMBus core and the drivers are part of the kernel, not modules, and
# each works as the module does: the simulated host (a module of the
# grafted kernel) connects, the integration services, the SCSI disk and
# the NIC bind and carry data, and the host can go and come back with the
# core staying. Skipped on a kernel where hvkit is modules (every other
# guest run).
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
. /hvkit/lib/net.sh
builtin=/lib/modules/$(uname -r)/modules.builtin
grep -q '/hvkit_vmbus\.ko$' "$builtin" 2>/dev/null || tap_skip_all "hvkit is not built into this kernel"
tap_plan 7

ok=1
for m in hvkit_vmbus hvkit_utils hvkit_storvsc hvkit_netvsc; do
	grep -q "/$m\.ko\$" "$builtin" && [ -d /sys/module/$m ] && ! grep -q "^$m " /proc/modules || ok=0
done
[ $ok = 1 ] && [ -d /sys/bus/vmbus ] &&
	tap_ok "the VMBus core, the integration services, storage and network are built in, and the vmbus bus is there at boot" ||
	tap_fail "the VMBus core, the integration services, storage and network are built in, and the vmbus bus is there at boot" \
		"$(grep hvkit "$builtin") / $(grep hvkit /proc/modules)"

modprobe hvkit_sim && wait_for 20 sh -c "dmesg | grep -q 'hvkit_vmbus: connected to hvkit_sim'" &&
	tap_ok "the simulated host, a module, connects to the built-in core" ||
	tap_fail "the simulated host, a module, connects to the built-in core" "$(dmesg | grep hvkit | tail -n 5)"

h=$(hvctl sim add heartbeat) &&
	wait_for 20 sh -c "grep -q 'version=' /sys/bus/vmbus/devices/$h/ic_stats" &&
	k=$(hvctl sim add kvp) && wait_for 20 test -c /dev/vmbus/hv_kvp &&
	tap_ok "built-in hvkit_utils binds heartbeat and KVP, and /dev/vmbus/hv_kvp appears" ||
	tap_fail "built-in hvkit_utils binds heartbeat and KVP, and /dev/vmbus/hv_kvp appears" \
		"$(cat /sys/bus/vmbus/devices/$h/ic_stats 2>&1) $(ls /dev/vmbus 2>&1)"

mnt=/mnt/builtin
mkdir -p $mnt
s=$(scsi_add --size 64M) && d=$(scsi_disk "$s") && [ -n "$d" ] &&
	mkfs.ext4 -q -F /dev/$d && mount -t ext4 /dev/$d $mnt &&
	dd if=/dev/urandom of=/tmp/builtin.data bs=4096 count=256 2>/dev/null &&
	cp /tmp/builtin.data $mnt/data && umount $mnt && mount -t ext4 /dev/$d $mnt &&
	cmp -s /tmp/builtin.data $mnt/data && umount $mnt &&
	tap_ok "built-in hvkit_storvsc: a disk appears, and a file written on ext4 reads back after a remount" ||
	tap_fail "built-in hvkit_storvsc: a disk appears, and a file written on ext4 reads back after a remount" \
		"guid=$s disk=$d $(dmesg | grep -i 'storvsc\|sd ' | tail -n 5)"
umount $mnt 2>/dev/null

if nic_add && nic_netns 10.77.0.1 10.77.0.2; then
	wait_for 20 ping -c 1 -W 1 10.77.0.2 >/dev/null &&
		tap_ok "built-in hvkit_netvsc: the NIC comes up and pings its host end" ||
		tap_fail "built-in hvkit_netvsc: the NIC comes up and pings its host end" "$(ip addr 2>&1 | tail -n 8)"
	nic_cleanup
else
	tap_fail "built-in hvkit_netvsc: the NIC comes up and pings its host end" "no NIC: $(dmesg | grep netvsc | tail -n 3)"
fi

for x in $h $k $s $g; do hvctl sim remove "$x" >/dev/null 2>&1; done
wait_for 20 sh -c '! ls /sys/bus/vmbus/devices/ | grep -q .' &&
	tap_ok "every device goes when the host rescinds it" ||
	tap_fail "every device goes when the host rescinds it" "$(ls /sys/bus/vmbus/devices/)"

# The host goes (UNLOAD) and comes back: the built-in core serves it again.
rmmod hvkit_sim && modprobe hvkit_sim && e=$(hvk_echo_add) &&
	echo "64 4096" >/sys/bus/vmbus/devices/$e/echo_test &&
	hvctl sim remove "$e" >/dev/null && rmmod hvkit_sim &&
	tap_ok "the simulated host unloads and loads again, and the built-in core carries echo traffic for it" ||
	tap_fail "the simulated host unloads and loads again, and the built-in core carries echo traffic for it" \
		"$(dmesg | grep hvkit | tail -n 6)"
tap_done
