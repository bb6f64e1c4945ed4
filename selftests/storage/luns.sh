#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# LUNs and a host in trouble: a LUN added and another removed while I/O
# runs on a third (the host tells the guest, which rescans); a medium
# error at one block fails the reads of that block only; a host that
# stops answering leads to a timeout, a bus reset and recovery, with the
# disk still online.
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 6

g=$(scsi_add --size 32M)
d0=$(scsi_disk "$g")
hvctl sim scsi add-lun 1 --size 8M --instance "$g" &&
	wait_for 30 hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:1/block/sd*" &&
	tap_ok "a LUN the host adds appears as a disk" ||
	tap_fail "a LUN the host adds appears as a disk" "$(ls /sys/bus/vmbus/devices/$g/host*/target*/ 2>&1; dmesg | tail)"
d1=$(lun_disk "$g" 1)

# I/O on LUN 0 while LUN 2 comes and LUN 1 goes.
dd if=/dev/urandom of=/tmp/pattern bs=64K count=64 2>/dev/null
want=$(sha256sum </tmp/pattern | cut -d' ' -f1)
(for i in 1 2 3 4 5; do
	dd if=/tmp/pattern of=/dev/$d0 bs=64K oflag=direct 2>/dev/null || exit 1
	[ "$(dd if=/dev/$d0 bs=64K count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$want" ] || exit 2
done) &
io=$!
hvctl sim scsi add-lun 2 --size 8M --sector-size 4096 --instance "$g"
hvctl sim scsi remove-lun 1 --instance "$g"
wait_for 30 sh -c "ls /sys/bus/vmbus/devices/$g/host*/target*/*:0:0:2/block/sd* >/dev/null && ! test -e /sys/block/$d1"
seen=$?
wait $io; rc=$?
d2=$(lun_disk "$g" 2)
[ $seen = 0 ] && [ $rc = 0 ] && [ "$(cat /sys/block/$d2/queue/logical_block_size)" = 4096 ] &&
	tap_ok "LUN 2 appears and LUN 1 goes while I/O on LUN 0 runs on, every byte intact" ||
	tap_fail "LUN 2 appears and LUN 1 goes while I/O on LUN 0 runs on, every byte intact" \
		"changes seen: $seen, I/O: $rc; $(ls /sys/block); $(lsscsi 2>&1)"

# A medium error at block 100 of LUN 0.
hvctl sim scsi medium-error 0 100 --instance "$g"
dd if=/dev/$d0 of=/dev/null bs=512 skip=100 count=1 iflag=direct 2>/dev/null; bad=$?
dd if=/dev/$d0 of=/dev/null bs=512 skip=99 count=1 iflag=direct 2>/dev/null; before=$?
dd if=/dev/$d0 of=/dev/null bs=512 skip=101 count=1 iflag=direct 2>/dev/null; after=$?
hvctl sim scsi medium-error 0 none --instance "$g"
dd if=/dev/$d0 of=/dev/null bs=512 skip=100 count=1 iflag=direct 2>/dev/null; cleared=$?
[ $bad != 0 ] && [ $before = 0 ] && [ $after = 0 ] && [ $cleared = 0 ] &&
	dmesg | grep -q "Medium Error" &&
	tap_ok "a medium error at one block fails the read of that block, and only that one" ||
	tap_fail "a medium error at one block fails the read of that block, and only that one" \
		"block 100: $bad, 99: $before, 101: $after, cleared: $cleared"

# A host that stops answering: a timeout, a bus reset, recovery.
echo 3 >/sys/block/$d0/device/timeout
hvctl sim scsi stall 600000 --instance "$g"
got=$(dd if=/dev/$d0 bs=64K count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
dropped=$(host_of "$g" dropped)
[ "$got" = "$want" ] && [ "${dropped:-0}" -ge 1 ] && dmesg | grep -q "the host reset its bus" &&
	tap_ok "a host that stops answering: the read times out, the bus is reset, the read is retried and returns the bytes" ||
	tap_fail "a host that stops answering: the read times out, the bus is reset, the read is retried and returns the bytes" \
		"sum $got vs $want, dropped $dropped; $(dmesg | tail -15)"
[ "$(cat /sys/block/$d0/device/state)" = running ] &&
	[ "$(dd if=/dev/$d0 bs=64K count=64 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$want" ] &&
	tap_ok "after the reset the disk is online and serves reads" ||
	tap_fail "after the reset the disk is online and serves reads" "state $(cat /sys/block/$d0/device/state)"

hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/bus/vmbus/devices/$g" &&
	tap_ok "the controller goes with all its LUNs" ||
	tap_fail "the controller goes with all its LUNs" "$(ls /sys/block)"
tap_done
