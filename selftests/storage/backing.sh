#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# LUNs whose bytes live in a file or a block device of the guest, not in
# the host's RAM: the disk has the backing's size; what is written through
# the synthetic disk is read back from the backing itself; a discard
# punches a hole in a file (its blocks go) and zeroes a block device; a
# flush of the disk writes the backing out; a filesystem survives the
# controller's removal and comes back with a new controller on the same
# backing; a block device is claimed while in use; bad backings get a
# clear error.
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 10

dir=/mnt/backing
mkdir -p $dir && mount -t tmpfs -o size=200M tmpfs $dir || tap_skip_all "no tmpfs"
truncate -s 48M $dir/lun0
dd if=/dev/urandom of=/tmp/pattern bs=64K count=16 2>/dev/null
want=$(sha256sum </tmp/pattern | cut -d' ' -f1)

# A file on tmpfs.
g=$(scsi_add --backing $dir/lun0)
d=$(scsi_disk "$g")
[ -n "$d" ] && [ "$(cat /sys/block/$d/size)" = 98304 ] &&
	[ "$(host_of "$g" backing)" = $dir/lun0 ] && [ "$(host_of "$g" size)" = $((48 << 20)) ] &&
	tap_ok "a LUN backed by a 48 MiB file is a 48 MiB disk, and the host names its backing" ||
	tap_fail "a LUN backed by a 48 MiB file is a 48 MiB disk, and the host names its backing" \
		"disk=$d size=$(cat /sys/block/$d/size 2>&1); $(hvctl sim scsi --instance $g 2>&1)"

dd if=/tmp/pattern of=/dev/$d bs=64K seek=64 oflag=direct 2>/dev/null
got=$(dd if=$dir/lun0 bs=64K skip=64 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
back=$(dd if=/dev/$d bs=64K skip=64 count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] && [ "$back" = "$want" ] &&
	tap_ok "a megabyte written through the disk is in the file at its offset, and reads back through the disk" ||
	tap_fail "a megabyte written through the disk is in the file at its offset, and reads back through the disk" \
		"file: $got disk: $back want: $want"

# A discard: the file's blocks go, the range reads zeros.
b0=$(stat -c %b $dir/lun0)
u0=$(host_of "$g" unmaps)
blkdiscard -o $((4 << 20)) -l $((1 << 20)) /dev/$d 2>/tmp/discard.out
b1=$(stat -c %b $dir/lun0)
z=$(dd if=$dir/lun0 bs=64K skip=64 count=16 2>/dev/null | tr -d '\000' | wc -c)
[ "$b1" -lt "$b0" ] && [ "$(host_of "$g" unmaps)" -gt "$u0" ] && [ "$z" = 0 ] &&
	tap_ok "a discard punches a hole in the backing file: its blocks drop and the range reads zeros" ||
	tap_fail "a discard punches a hole in the backing file: its blocks drop and the range reads zeros" \
		"st_blocks $b0 -> $b1, unmaps $u0 -> $(host_of "$g" unmaps), $z non-zero bytes; $(cat /tmp/discard.out)"

# ext4 outlives its controller: remove it, add another on the same file.
mnt=/mnt/scsi
mkdir -p $mnt
ok=1
mkfs.ext4 -q -F /dev/$d >/tmp/mkfs.out 2>&1 && mount -t ext4 /dev/$d $mnt || ok=0
if [ $ok = 1 ]; then
	for i in 1 2 3 4; do
		dd if=/dev/urandom of=$mnt/file$i bs=4096 count=$((i * 100)) 2>/dev/null
	done
	(cd $mnt && sha256sum file*) >/tmp/sums.before
	umount $mnt || ok=0
fi
hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/block/$d"
g=$(scsi_add --backing $dir/lun0)
d=$(scsi_disk "$g")
fsck.ext4 -fn /dev/$d >/tmp/fsck.out 2>&1 || ok=0
mount -t ext4 /dev/$d $mnt && (cd $mnt && sha256sum file*) >/tmp/sums.after
umount $mnt
[ $ok = 1 ] && cmp -s /tmp/sums.before /tmp/sums.after &&
	tap_ok "ext4 on a file-backed disk checks clean and keeps every file after its controller is replaced" ||
	tap_fail "ext4 on a file-backed disk checks clean and keeps every file after its controller is replaced" \
		"$(cat /tmp/mkfs.out /tmp/fsck.out; diff /tmp/sums.before /tmp/sums.after 2>&1 | head)"

# Another LUN, on its own file, with 4096-byte sectors.
truncate -s 8M $dir/lun1
hvctl sim scsi add-lun 1 --backing $dir/lun1 --sector-size 4096 --instance "$g" &&
	wait_for 30 hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:1/block/sd*"
d1=$(lun_disk "$g" 1)
dd if=/tmp/pattern of=/dev/$d1 bs=64K seek=3 oflag=direct 2>/dev/null
got=$(dd if=$dir/lun1 bs=64K skip=3 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)
[ -n "$d1" ] && [ "$(cat /sys/block/$d1/size)" = 16384 ] &&
	[ "$(cat /sys/block/$d1/queue/logical_block_size)" = 4096 ] && [ "$got" = "$want" ] &&
	tap_ok "a file-backed LUN added later, with 4096-byte sectors, writes into its own file" ||
	tap_fail "a file-backed LUN added later, with 4096-byte sectors, writes into its own file" \
		"disk=$d1 size=$(cat /sys/block/$d1/size 2>&1) file: $got"
hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/block/$d"

# Bad backings: each refused with a sentence that says why, nothing added.
n0=$(hvctl sim list | grep -c scsi)
e1=$(hvctl sim add scsi --backing $dir/none 2>&1)
e2=$(hvctl sim add scsi --backing $dir/lun0 --size 8M 2>&1)
e3=$(hvctl sim add scsi --backing $dir 2>&1)
truncate -s 100 $dir/tiny
e4=$(hvctl sim add scsi --backing $dir/tiny 2>&1)
case "$e1|$e2|$e3|$e4" in
*"does not exist"*"not both"*"neither a regular file nor a block device"*"smaller than a sector"*)
	[ "$(hvctl sim list | grep -c scsi)" -le "$n0" ] && bad=0 || bad=1 ;;
*) bad=1 ;;
esac
[ $bad = 0 ] && tap_ok "a missing file, a size with a backing, a directory and a file smaller than a sector are each refused with a reason" ||
	tap_fail "a missing file, a size with a backing, a directory and a file smaller than a sector are each refused with a reason" \
		"$e1 / $e2 / $e3 / $e4"

# The virtio-blk disk vblk0 as the backing.
v=$(vblk_disk vblk0)
if [ -z "$v" ]; then
	for t in "a LUN on a block device has its size" "written through the disk, read from the block device" \
		"a flush of the disk writes the block device out" "a discard zeroes the block device's range"; do
		tap_skip "$t" "no virtio-blk disk vblk0"
	done
	umount $dir
	tap_done
fi
g=$(scsi_add --backing /dev/$v)
d=$(scsi_disk "$g")
e=$(hvctl sim add scsi --backing /dev/$v 2>&1); again=$?
[ -n "$d" ] && [ "$(cat /sys/block/$d/size)" = "$(cat /sys/block/$v/size)" ] && [ $again != 0 ] &&
	case "$e" in *"in use"*) true ;; *) false ;; esac &&
	tap_ok "a LUN on a block device has its size, and the device is claimed: a second controller on it is refused" ||
	tap_fail "a LUN on a block device has its size, and the device is claimed: a second controller on it is refused" \
		"disk=$d $(cat /sys/block/$d/size 2>&1) vs $(cat /sys/block/$v/size); second: $again $e"

dd if=/tmp/pattern of=/dev/$d bs=64K seek=100 oflag=direct 2>/dev/null
got=$(dd if=/dev/$v bs=64K skip=100 count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] &&
	tap_ok "what is written through the disk is read from the block device at its offset" ||
	tap_fail "what is written through the disk is read from the block device at its offset" "$got vs $want"

# The write above may sit in the block device's page cache: a flush of
# the disk (fsync: SYNCHRONIZE CACHE) writes it to the device.
dd if=/tmp/pattern of=/dev/$d bs=64K seek=300 oflag=direct 2>/dev/null
w0=$(awk '{print $5}' /sys/block/$v/stat)
dd if=/dev/null of=/dev/$d conv=fsync 2>/dev/null
w1=$(awk '{print $5}' /sys/block/$v/stat)
[ "$w1" -gt "$w0" ] &&
	tap_ok "a flush of the disk writes what it holds to the block device" ||
	tap_fail "a flush of the disk writes what it holds to the block device" \
		"$v writes $w0 -> $w1; $(cat /sys/block/$v/queue/write_cache)"

dd if=/tmp/pattern of=/dev/$d bs=64K seek=200 oflag=direct 2>/dev/null
blkdiscard -o $((200 * 65536)) -l $((1 << 20)) /dev/$d 2>/tmp/discard.out; rc=$?
z=$(dd if=/dev/$v bs=64K skip=200 count=16 iflag=direct 2>/dev/null | tr -d '\000' | wc -c)
[ $rc = 0 ] && [ "$z" = 0 ] &&
	tap_ok "a discard through the disk zeroes the block device's range" ||
	tap_fail "a discard through the disk zeroes the block device's range" \
		"blkdiscard $rc $(cat /tmp/discard.out), $z non-zero bytes; zeroes max $(cat /sys/block/$v/queue/write_zeroes_max_bytes)"
hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/block/$d"
umount $dir
tap_done
