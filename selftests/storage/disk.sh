#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The synthetic SCSI controller as a user meets it: the driver loads by
# its modalias, negotiates protocol 6.2, and a disk of the host's size
# appears; ext4 made on it survives a remount with every byte and a clean
# fsck; 4096-byte sectors work; a read-only LUN refuses writes; a discard
# reaches the host's backing store.
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 9

g=$(scsi_add --size 64M)
d=$(scsi_disk "$g")
lsmod | grep -q '^hvkit_storvsc' && [ "$(stat_of "$g" version)" = 6.2 ] &&
	[ "$(host_of "$g" version)" = 6.2 ] &&
	tap_ok "a SCSI controller loads hvkit_storvsc by its modalias and both sides agree on protocol 6.2" ||
	tap_fail "a SCSI controller loads hvkit_storvsc by its modalias and both sides agree on protocol 6.2" \
		"guid=$g disk=$d $(cat /sys/bus/vmbus/devices/$g/stor_stats 2>&1) $(hvctl sim scsi 2>&1)"

[ -n "$d" ] && [ "$(cat /sys/block/$d/size)" = 131072 ] &&
	[ "$(cat /sys/block/$d/queue/logical_block_size)" = 512 ] &&
	lsscsi 2>/dev/null | grep -q 'Msft.*Virtual Disk' &&
	tap_ok "a 64 MiB disk of 512-byte sectors appears, and lsscsi shows it" ||
	tap_fail "a 64 MiB disk of 512-byte sectors appears, and lsscsi shows it" \
		"disk=$d size=$(cat /sys/block/$d/size 2>&1) $(lsscsi 2>&1)"

# A tree of files, their checksums, a remount, the same checksums.
mnt=/mnt/scsi
mkdir -p $mnt
ok=1
mkfs.ext4 -q -F /dev/$d >/tmp/mkfs.out 2>&1 && mount -t ext4 /dev/$d $mnt || ok=0
if [ $ok = 1 ]; then
	for i in 1 2 3 4 5 6 7 8; do
		mkdir -p $mnt/dir$i
		dd if=/dev/urandom of=$mnt/dir$i/file bs=4096 count=$((i * 64)) 2>/dev/null
		echo "small $i" >$mnt/dir$i/note
	done
	(cd $mnt && find . -type f | sort | xargs sha256sum) >/tmp/sums.before
	umount $mnt || ok=0
fi
[ $ok = 1 ] && tap_ok "mkfs.ext4, mount, a tree of files written, umount" ||
	tap_fail "mkfs.ext4, mount, a tree of files written, umount" "$(cat /tmp/mkfs.out; dmesg | tail -20)"

out=$(fsck.ext4 -fn /dev/$d 2>&1)
[ $? = 0 ] && tap_ok "fsck finds the filesystem clean" ||
	tap_fail "fsck finds the filesystem clean" "$out"

echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 /dev/$d $mnt && (cd $mnt && find . -type f | sort | xargs sha256sum) >/tmp/sums.after
umount $mnt
[ -s /tmp/sums.before ] && cmp -s /tmp/sums.before /tmp/sums.after &&
	[ "$(host_of "$g" writes)" -gt 0 ] &&
	tap_ok "after a remount every file reads back with its checksum" ||
	tap_fail "after a remount every file reads back with its checksum" \
		"$(diff /tmp/sums.before /tmp/sums.after 2>&1 | head; hvctl sim scsi --instance $g)"

# A discard: the host's UNMAP count grows, and the blocks read zeros.
before=$(host_of "$g" unmaps)
dd if=/dev/urandom of=/dev/$d bs=1M count=1 seek=8 oflag=direct 2>/dev/null
blkdiscard -o $((8 << 20)) -l $((1 << 20)) /dev/$d 2>/tmp/discard.out
z=$(dd if=/dev/$d bs=1M count=1 skip=8 iflag=direct 2>/dev/null | tr -d '\000' | wc -c)
[ "$(host_of "$g" unmaps)" -gt "$before" ] && [ "$z" = 0 ] &&
	tap_ok "a discard reaches the host's backing store, which then reads zeros" ||
	tap_fail "a discard reaches the host's backing store, which then reads zeros" \
		"unmaps $before -> $(host_of "$g" unmaps), $z non-zero bytes; $(cat /tmp/discard.out)"
hvctl sim remove "$g"

# 4096-byte sectors.
g4=$(scsi_add --size 32M --sector-size 4096)
d4=$(scsi_disk "$g4")
dd if=/dev/urandom of=/tmp/pattern bs=64K count=16 2>/dev/null
dd if=/tmp/pattern of=/dev/$d4 bs=64K seek=3 oflag=direct 2>/dev/null
got=$(dd if=/dev/$d4 bs=64K skip=3 count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$d4" ] && [ "$(cat /sys/block/$d4/queue/logical_block_size)" = 4096 ] &&
	[ "$(cat /sys/block/$d4/size)" = 65536 ] &&
	[ "$got" = "$(sha256sum </tmp/pattern | cut -d' ' -f1)" ] &&
	tap_ok "a disk of 4096-byte sectors has the host's size and returns what was written" ||
	tap_fail "a disk of 4096-byte sectors has the host's size and returns what was written" \
		"disk=$d4 lbs=$(cat /sys/block/$d4/queue/logical_block_size 2>&1) size=$(cat /sys/block/$d4/size 2>&1)"
mkfs.ext4 -q -F /dev/$d4 >/dev/null 2>&1 && fsck.ext4 -fn /dev/$d4 >/dev/null 2>&1 &&
	tap_ok "ext4 on 4096-byte sectors checks clean" ||
	tap_fail "ext4 on 4096-byte sectors checks clean" "$(fsck.ext4 -fn /dev/$d4 2>&1 | tail -5)"
hvctl sim remove "$g4"

# A read-only LUN: the disk is read-only, and a write gets through to nothing.
gr=$(scsi_add --size 16M --read-only)
dr=$(scsi_disk "$gr")
w0=$(host_of "$gr" writes)
blockdev --setrw /dev/$dr 2>/dev/null
dd if=/dev/zero of=/dev/$dr bs=4096 count=1 oflag=direct 2>/dev/null; rc=$?
[ -n "$dr" ] && [ "$(cat /sys/block/$dr/ro)" = 1 ] && [ $rc != 0 ] &&
	[ "$(host_of "$gr" writes)" = "$w0" ] &&
	tap_ok "a read-only LUN is a read-only disk, and a write fails with the host's bytes untouched" ||
	tap_fail "a read-only LUN is a read-only disk, and a write fails with the host's bytes untouched" \
		"disk=$dr ro=$(cat /sys/block/$dr/ro 2>&1) dd=$rc writes $w0 -> $(host_of "$gr" writes)"
hvctl sim remove "$gr"
tap_done
