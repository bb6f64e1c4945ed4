#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# MSI-X through vPCI: a virtio-blk disk (selftests/config: disk vmsix0)
# passed through by the simulated host; the guest's virtio-pci binds to the
# view and asks for one MSI-X vector per queue and one for config changes.
# Each is a vector of hvkit_pci's irq domain the host answered with the
# message of a real MSI-X vector of its own (hvkit_sim/vpci in debugfs),
# and the disk works: fio writes and verifies from both CPUs, each queue's
# interrupts arriving on its CPU (each sent by the host). Unbinding
# hvkit_pci takes the bus out of D0 and binding it brings it back, as the
# host sees; removal gives the disk back, bytes intact. (An affinity
# change of an MSI-X vector: pci/nvme, whose admin vector is not managed
# and can be made to fire.)
. /hvkit/lib/tap.sh
. /hvkit/lib/pci.sh
dbg=/sys/kernel/debug/hvkit_sim/vpci

# The block device whose serial is $1: vdX, or nothing.
disk_of() {
	local b s
	for b in /sys/block/vd*; do
		s=
		read -r s <"$b/serial" 2>/dev/null	# no newline: read fails, s is set
		[ "$s" = "$1" ] && { echo "${b##*/}"; return 0; }
	done
	return 1
}
# The PCI function above block device $1.
pci_of() {
	basename "$(readlink -f "/sys/block/$1/device/..")"
}

modprobe virtio_pci 2>/dev/null
modprobe virtio_blk 2>/dev/null
wait_for 10 sh -c "grep -qx vmsix0 /sys/block/vd*/serial"
d=$(disk_of vmsix0) || tap_skip_all "no virtio disk vmsix0 (selftests/config: disk vmsix0)"
real=$(pci_of "$d")
[ "$(nproc)" -ge 2 ] || tap_skip_all "one CPU"
command -v fio >/dev/null || tap_skip_all "no fio in the guest"
tap_plan 6
rmmod hvkit_pci hvkit_sim 2>/dev/null
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"

# A pattern at the start of the disk, through the real function, to find after.
dd if=/dev/urandom of=/tmp/pat bs=64k count=1 2>/dev/null
dd if=/tmp/pat of=/dev/$d bs=64k count=1 oflag=direct 2>/dev/null

g=$(hvctl sim add vpci --pci "$real")
dom=$(hvk_vpci_domain "$g")
wait_for 60 sh -c ". /hvkit/lib/pci.sh; hvk_vpci_view 0x1af4 $(cat /sys/bus/pci/devices/$real/device) >/dev/null"
wait_for 30 sh -c "ls -d /sys/bus/pci/devices/$dom:00:00.0/virtio*/block/vd* >/dev/null 2>&1"
view=$dom:00:00.0
vd=$(basename "$(ls -d /sys/bus/pci/devices/$view/virtio*/block/vd* 2>/dev/null | head -n1)")
vio=$(basename "$(ls -d /sys/bus/pci/devices/$view/virtio* 2>/dev/null | head -n1)")
if [ -n "$vd" ] && [ "$(cat /sys/block/$vd/serial 2>/dev/null)" = vmsix0 ] &&
	[ "$(basename "$(readlink /sys/bus/pci/devices/$view/driver)")" = virtio-pci ]; then
	tap_ok "virtio-pci binds to the view ($view) and the disk vmsix0 is there ($vd)"
else
	tap_fail "virtio-pci binds to the view and the disk vmsix0 is there" \
		"view $view disk '$vd'; $(dmesg | tail -12)"
fi

# The guest's vectors of this virtio device, in hvkit_pci's domain.
irqs() { awk -v n="$vio-" 'index($0, n) && /hvkit-vPCI-MSI/ { sub(":", "", $1); print $1 }' /proc/interrupts; }
nx=$(irqs | wc -l)
nh=$(sed -n 's/.* msix_vectors \([0-9]*\) .*/\1/p' $dbg 2>/dev/null)
nb=$(grep -c "msix [0-9]" $dbg 2>/dev/null)
if [ "$nx" -ge 3 ] && [ "${nh:-0}" -ge "$nx" ] && [ "$nb" = "$nx" ]; then
	tap_ok "$nx MSI-X vectors in hvkit_pci's irq domain, each bound by the host to one of its $nh real vectors"
else
	tap_fail "the MSI-X vectors are in hvkit_pci's irq domain, each bound to a real vector" \
		"guest $nx, host $nh, bound $nb; $(grep -i "vpci\|$vio" /proc/interrupts); $(cat $dbg)"
fi

# cpu_irqs CPU: this device's interrupts taken on CPU, summed.
cpu_irqs() {
	local s=0 i n
	for i in $(irqs); do
		n=$(awk -v irq="$i:" -v c=$(($1 + 2)) '$1 == irq { print $c }' /proc/interrupts)
		s=$((s + n))
	done
	echo $s
}
delivered() { awk '/ delivered / { s += $NF } END { print s + 0 }' $dbg; }
c0=$(cpu_irqs 0); c1=$(cpu_irqs 1); h=$(delivered)
mb=$(hvk_scale 4)	# MiB each CPU writes and verifies
fio --name=msix --filename=/dev/$vd --direct=1 --ioengine=psync --rw=randwrite --bs=4k \
	--size=${mb}M --numjobs=2 --offset=1M --offset_increment=${mb}M --cpus_allowed=0,1 \
	--cpus_allowed_policy=split --group_reporting --verify=crc32c --verify_fatal=1 \
	--do_verify=1 >/tmp/fio.out 2>&1
if [ $? = 0 ] && grep -q "err= 0" /tmp/fio.out && ! grep -q "verify: bad" /tmp/fio.out; then
	tap_ok "fio writes and verifies $((2 * mb)) MiB from both CPUs through the view"
else
	tap_fail "fio writes and verifies $((2 * mb)) MiB from both CPUs through the view" "$(tail -15 /tmp/fio.out; dmesg | tail -5)"
fi
d0=$(($(cpu_irqs 0) - c0)); d1=$(($(cpu_irqs 1) - c1)); dh=$(($(delivered) - h))
if [ "$d0" -gt 0 ] && [ "$d1" -gt 0 ] && [ "$dh" -ge $((d0 + d1)) ]; then
	tap_ok "the queues' interrupts arrive on both CPUs ($d0 and $d1), each sent by the host ($dh)"
else
	tap_fail "the queues' interrupts arrive on both CPUs, each sent by the host" \
		"CPU0 $d0, CPU1 $d1, host $dh; $(grep "$vio" /proc/interrupts); $(cat $dbg)"
fi

# hvkit_pci unbound: its bus leaves D0, the function's resources released
# (the host counts both); bound again: D0 again, MSI-X again, the disk works.
echo "$g" >/sys/bus/vmbus/drivers/hvkit_pci/unbind
wait_for 30 hvk_gone "/sys/bus/pci/devices/$view"
off=$(grep "^d0 " $dbg)
echo "$g" >/sys/bus/vmbus/drivers/hvkit_pci/bind
wait_for 60 sh -c "ls -d /sys/bus/pci/devices/$view/virtio*/block/vd* >/dev/null 2>&1"
vd=$(basename "$(ls -d /sys/bus/pci/devices/$view/virtio*/block/vd* 2>/dev/null | head -n1)")
on=$(grep "^d0 " $dbg)
if [ "$off" = "d0 0 d0_entries 1 d0_exits 1 released 1" ] &&
	[ "$on" = "d0 1 d0_entries 2 d0_exits 1 released 1" ] && [ -n "$vd" ] &&
	dd if=/dev/$vd bs=64k count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat; then
	tap_ok "unbound, the bus leaves D0 with its resources released; bound again, D0 and the disk reads back"
else
	tap_fail "unbound, the bus leaves D0 with its resources released; bound again, D0 and the disk reads back" \
		"unbound: '$off'; bound: '$on'; disk '$vd'; $(dmesg | tail -8)"
fi
hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/bus/pci/devices/$view"
# (virtio_blk's serial has no newline: cat would run the serials together.)
wait_for 30 sh -c "grep -qx vmsix0 /sys/block/vd*/serial"
d=$(disk_of vmsix0)
if [ -n "$d" ] && [ "$(pci_of "$d")" = "$real" ] && ! grep -q "$real" $dbg 2>/dev/null &&
	dd if=/dev/$d bs=64k count=1 iflag=direct 2>/dev/null | cmp -s - /tmp/pat; then
	tap_ok "removed: the function and its disk back on $real, the bytes written before intact"
else
	tap_fail "removed: the function and its disk back, the bytes written before intact" \
		"disk '$d' on $(pci_of "$d" 2>&1); $(cat $dbg 2>&1); $(dmesg | tail -6)"
fi
rmmod hvkit_pci hvkit_sim
tap_done
