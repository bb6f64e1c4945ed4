#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Several channels: hvkit_storvsc asks a multi-channel controller for a
# sub-channel per CPU but the first, opens them, and gives the SCSI host a
# hardware queue for each channel, so I/O from each CPU goes on a channel
# of its own; a filesystem on it is intact; with more sub-channels than
# CPUs asked for (sub_channels=3) they all open; a rescind under I/O on
# several channels takes it all away.
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
[ "$(nproc)" -ge 2 ] || tap_skip_all "needs 2 CPUs"
tap_plan 6

g=$(scsi_add --size 64M --channels 4)
d=$(scsi_disk "$g")
dev=/sys/bus/vmbus/devices/$g
n=$(nproc)
[ "$(stat_of "$g" sub_channels_offered)" = 3 ] && [ "$(stat_of "$g" sub_channels_open)" = $((n - 1)) ] &&
	[ "$(stat_of "$g" queues)" = $n ] && [ "$(ls -d /sys/block/$d/mq/* | wc -l)" = $n ] &&
	[ "$(grep -l open $dev/channels/*/state | wc -l)" = $n ] &&
	tap_ok "a sub-channel per CPU but the first is asked for and opened, a hardware queue for each channel" ||
	tap_fail "a sub-channel per CPU but the first is asked for and opened, a hardware queue for each channel" \
		"$(cat $dev/stor_stats); mq: $(ls /sys/block/$d/mq); $(grep . $dev/channels/*/state)"

# I/O from each CPU: every channel carries completions.
before=$(cat $dev/channels/*/interrupts | tr '\n' ' ')
i=0
while [ $i -lt $n ]; do
	taskset -c $i dd if=/dev/$d of=/dev/null bs=64K count=256 skip=$((i * 256)) iflag=direct 2>/dev/null
	i=$((i + 1))
done
after=$(cat $dev/channels/*/interrupts | tr '\n' ' ')
busy=0
set -- $before
for a in $after; do
	[ "$a" -gt "$1" ] && busy=$((busy + 1))
	shift
done
[ $busy = $n ] && tap_ok "I/O from each CPU completes on a channel of its own: all $n carry completions" ||
	tap_fail "I/O from each CPU completes on a channel of its own: all $n carry completions" \
		"interrupts before: $before after: $after"

mnt=/mnt/multi
mkdir -p $mnt
mkfs.ext4 -q -F /dev/$d >/dev/null 2>&1 && mount -t ext4 /dev/$d $mnt &&
	for i in 1 2 3 4; do
		taskset -c $((i % n)) dd if=/dev/urandom of=$mnt/f$i bs=64K count=64 2>/dev/null &
	done
wait
(cd $mnt && sha256sum f1 f2 f3 f4) >/tmp/multi.sums 2>&1
umount $mnt
echo 3 >/proc/sys/vm/drop_caches
fsck.ext4 -fn /dev/$d >/tmp/multi.fsck 2>&1; fsck=$?
mount -t ext4 /dev/$d $mnt && (cd $mnt && sha256sum -c /tmp/multi.sums >/dev/null 2>&1); sums=$?
umount $mnt
[ $fsck = 0 ] && [ $sums = 0 ] &&
	tap_ok "ext4 written from every CPU at once checks clean and reads back whole" ||
	tap_fail "ext4 written from every CPU at once checks clean and reads back whole" \
		"fsck $fsck sums $sums; $(tail -5 /tmp/multi.fsck)"

# More sub-channels than CPUs, when asked for.
rmmod hvkit_storvsc
modprobe hvkit_storvsc sub_channels=3
wait_for 30 test -e $dev/stor_stats
wait_for 30 hvk_exists "$dev/host*/target*/*:0:0:0/block/sd*"
d=$(scsi_disk "$g")
[ "$(stat_of "$g" sub_channels_open)" = 3 ] && [ "$(stat_of "$g" queues)" = 4 ] &&
	mount -t ext4 /dev/$d $mnt && (cd $mnt && sha256sum -c /tmp/multi.sums >/dev/null 2>&1) &&
	umount $mnt &&
	tap_ok "sub_channels=3 opens all three, and the filesystem is as it was" ||
	tap_fail "sub_channels=3 opens all three, and the filesystem is as it was" "$(cat $dev/stor_stats)"

# A rescind while every CPU writes.
i=0
while [ $i -lt $n ]; do
	(while taskset -c $i dd if=/dev/zero of=/dev/$d bs=64K count=256 seek=$((i * 256)) oflag=direct 2>/dev/null; do :; done) &
	i=$((i + 1))
done
hvk_sleep 1
hvctl sim remove "$g"
wait_for 60 hvk_gone "$dev" "/sys/block/$d"
gone=$?
wait
[ $gone = 0 ] && tap_ok "a rescind while every CPU writes takes the disk and every channel away" ||
	tap_fail "a rescind while every CPU writes takes the disk and every channel away" "$(ls /sys/block; dmesg | tail)"
rmmod hvkit_storvsc && tap_ok "hvkit_storvsc unloads after" || tap_fail "hvkit_storvsc unloads after" "$(lsmod | grep hvkit)"
tap_done
