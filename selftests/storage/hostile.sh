#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A hostile or vanishing host: each bad completion the simulated host can
# send (a data length past the request's, an SRB status no host sends, a
# sense length past the packet, a completion for a request never made) is
# counted and logged by hvkit_storvsc, fails only the request it names
# (which the SCSI midlayer retries), and is no Oops; a rescind while I/O
# runs fails that I/O and takes the disk away; 20 unload and load cycles
# of the driver bring the same disk back with its bytes.
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 7

g=$(scsi_add --size 32M)
d=$(scsi_disk "$g")
dd if=/dev/urandom of=/tmp/pattern bs=64K count=16 2>/dev/null
want=$(sha256sum </tmp/pattern | cut -d' ' -f1)
dd if=/tmp/pattern of=/dev/$d bs=64K oflag=direct 2>/dev/null
read_back() { dd if=/dev/$d bs=64K count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1; }

# fault counter log-line: one bad completion, then the same bytes come back.
for f in "scsi_bad_length bad_length more data than the request had room for" \
	 "scsi_bad_srb_status bad_srb_status an SRB status no host sends" \
	 "scsi_bad_sense_len bad_sense a sense length past the packet's sense field" \
	 "scsi_unknown_id unknown_id which is not in flight, dropped"; do
	set -- $f
	fault=$1 key=$2
	shift 2
	line="$*"
	n0=$(stat_of "$g" $key)
	l0=$(dmesg | grep -c "$line")
	hvctl sim fault $fault 1
	got=$(read_back)
	n1=$(stat_of "$g" $key)
	l1=$(dmesg | grep -c "$line")
	hits=$(hvctl sim faults | awk -v f=$fault '$1 == f { print $3 }')
	[ "$got" = "$want" ] && [ "$n1" = $((n0 + 1)) ] && [ "$l1" -gt "$l0" ] && [ "${hits:-0}" -ge 1 ] &&
		tap_ok "$fault: counted as $key and logged, the request retried and the bytes intact" ||
		tap_fail "$fault: counted as $key and logged, the request retried and the bytes intact" \
			"$key $n0 -> $n1, log lines $l0 -> $l1, fault hits ${hits:-?}, sum $got vs $want"
done

# Rescind under I/O: the writer fails, the disk and the device go.
# The writer goes over the disk again and again, until a write fails.
(while dd if=/dev/zero of=/dev/$d bs=64K count=512 oflag=direct 2>/dev/null; do :; done) &
w=$!
hvk_sleep 1
w0=$(host_of "$g" writes)
hvctl sim remove "$g"
wait_for 60 sh -c "! kill -0 $w"
gone=$?
wait $w
wait_for 30 hvk_gone "/sys/block/$d" "/sys/bus/vmbus/devices/$g"
[ $gone = 0 ] && [ "${w0:-0}" -gt 0 ] && ! test -e /sys/block/$d && ! test -e /sys/bus/vmbus/devices/$g &&
	tap_ok "a rescind under I/O fails the writer and takes the disk and the device away" ||
	tap_fail "a rescind under I/O fails the writer and takes the disk and the device away" \
		"writer ended: $gone, host writes before: $w0; $(ls /sys/block; dmesg | tail -20)"

# 20 unload and load cycles.
g=$(scsi_add --size 16M)
d=$(scsi_disk "$g")
dd if=/tmp/pattern of=/dev/$d bs=64K oflag=direct 2>/dev/null
ok=0 why= n=$(hvk_scale 20)
for i in $(seq $n); do
	rmmod hvkit_storvsc || { why="rmmod failed in cycle $i"; break; }
	test -e /sys/block/$d && { why="the disk outlived rmmod in cycle $i"; break; }
	modprobe hvkit_storvsc || { why="modprobe failed in cycle $i"; break; }
	wait_for 30 hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:0/block/sd*" ||
		{ why="no disk after cycle $i"; break; }
	d=$(scsi_disk "$g")
	[ "$(read_back)" = "$want" ] || { why="other bytes after cycle $i"; break; }
	ok=$i
done
[ $ok = $n ] && tap_ok "$n unload and load cycles bring the same disk back with its bytes" ||
	tap_fail "$n unload and load cycles bring the same disk back with its bytes" "$why"

hvctl sim remove "$g"
wait_for 20 hvk_gone "/sys/bus/vmbus/devices/$g"
rmmod hvkit_storvsc && tap_ok "hvkit_storvsc unloads after its devices went" ||
	tap_fail "hvkit_storvsc unloads after its devices went" "$(lsmod | grep hvkit)"
tap_done
