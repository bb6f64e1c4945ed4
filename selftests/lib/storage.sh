# SPDX-License-Identifier: GPL-2.0
# Helpers of the storage/ guest tests, sourced after tap.sh.
# scsi_add [hvctl sim add options]: a SCSI controller on the simulated
# host, bound to hvkit_storvsc; prints its GUID once its disk is there and
# its probe has returned (the driver's attributes appear after it, and
# the disk may appear before).
scsi_add() {
	local g
	g=$(hvctl sim add scsi "$@") || return 1
	wait_for 30 hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:0/block/sd*" ||
		return 1
	wait_for 30 test -e "/sys/bus/vmbus/devices/$g/stor_stats" || return 1
	echo "$g"
}

# scsi_disk GUID: the block device (sdX) of the controller's LUN 0.
scsi_disk() {
	ls /sys/bus/vmbus/devices/"$1"/host*/target*/*:0:0:0/block 2>/dev/null | head -1
}

# stat_of GUID KEY: a counter of the guest driver's stor_stats.
stat_of() {
	tr ' ' '\n' </sys/bus/vmbus/devices/"$1"/stor_stats | sed -n "s/^$2=//p"
}

# host_of GUID KEY: a counter of the host's view (hvctl sim scsi).
host_of() {
	hvctl sim scsi --instance "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# lun_disk GUID LUN: the block device of that LUN, if any.
lun_disk() {
	ls /sys/bus/vmbus/devices/"$1"/host*/target*/*:0:0:"$2"/block 2>/dev/null | head -1
}

# vblk_disk SERIAL: the virtio-blk disk (vdX) with that serial (selftests/config's
# "disk" lines), once virtio_blk is loaded; nothing if there is none.
vblk_disk() {
	local s
	modprobe virtio_blk 2>/dev/null
	wait_for 10 sh -c "grep -lx '$1' /sys/block/vd*/serial >/dev/null" || return 0
	for s in /sys/block/vd*/serial; do
		[ "$(cat "$s")" = "$1" ] && basename "$(dirname "$s")" && return 0
	done
}
