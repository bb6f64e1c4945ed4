#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The synthetic disk under fio: random writes of mixed sizes at queue
# depth 32, then every block read back and checked (verify), on 512- and
# 4096-byte sectors, with one channel (the host serving several of its
# requests at once) and with one per CPU; a LUN added
# and another removed while fio verifies a third; a rescind while fio
# runs fails its I/O with no Oops; the latency knob holds each completion
# back; 20 unload and load cycles of the driver leave no memory behind.
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v fio >/dev/null || tap_skip_all "no fio in the guest"
tap_plan 8

eng=libaio
fio --enghelp=libaio >/dev/null 2>&1 || eng=psync
ncpu=$(nproc)
mb=$(hvk_scale 48)	# MiB each fio job writes and verifies

# fio_verify DISK SECTOR [JOBS]: write then verify; prints nothing, fails on any error.
fio_verify() {
	fio --name=verify --filename=/dev/$1 --direct=1 --ioengine=$eng --iodepth=32 \
		--rw=randwrite --bsrange=$2-256k --blockalign=$2 --size=${mb}M --numjobs=${3:-1} \
		--offset_increment=${mb}M --cpus_allowed_policy=split --group_reporting \
		--verify=crc32c --verify_fatal=1 --do_verify=1 >/tmp/fio.out 2>&1 &&
		grep -q "err= 0" /tmp/fio.out && ! grep -q "verify: bad" /tmp/fio.out
}

# completing_channels GUID BEFORE: how many channels' interrupts grew since BEFORE.
chan_irqs() { cat /sys/bus/vmbus/devices/$1/channels/*/interrupts | tr '\n' ' '; }
completing_channels() {
	local before=$2 n=0 b
	set -- $(chan_irqs $1)
	for b in $before; do
		[ "$1" -gt "$b" ] && n=$((n + 1))
		shift
	done
	echo $n
}

# The debug kernel runs one channel on 512-byte sectors and a channel per
# CPU on 4096-byte ones: the same paths, a run each (four times the cost).
for sector in 512 4096; do
	if hvk_debug && [ $sector = 4096 ]; then
		tap_skip "fio writes at queue depth 32 and verifies every block: $sector-byte sectors, one channel" \
			"the debug kernel runs one channel on 512-byte sectors only"
	else
		g=$(scsi_add --size 128M --sector-size $sector --channels 1)
		d=$(scsi_disk "$g")
		# The host serves a channel's requests in parallel: it took
		# one before it had answered another (inflight_peak).
		fio_verify $d $sector && peak=$(host_of "$g" inflight_peak) && [ "$peak" -gt 1 ] &&
			tap_ok "fio writes at queue depth 32 and verifies every block: $sector-byte sectors, one channel ($peak requests in flight at the host at once)" ||
			tap_fail "fio writes at queue depth 32 and verifies every block: $sector-byte sectors, one channel, several in flight at the host" \
				"inflight_peak ${peak:-?}; $(tail -20 /tmp/fio.out)"
		hvctl sim remove "$g"
		wait_for 30 hvk_gone "/sys/block/$d"
	fi

	if hvk_debug && [ $sector = 512 ]; then
		tap_skip "fio from every CPU verifies every block: $sector-byte sectors, a channel per CPU, each carrying I/O" \
			"the debug kernel runs a channel per CPU on 4096-byte sectors only"
		continue
	fi
	g=$(scsi_add --size $((ncpu * mb + 16))M --sector-size $sector --channels 4)
	d=$(scsi_disk "$g")
	before=$(chan_irqs $g)
	fio_verify $d $sector $ncpu &&
		[ "$(host_of "$g" channels)" = 4 ] && [ "$(stat_of "$g" queues)" = "$ncpu" ] &&
		[ "$(completing_channels $g "$before")" = "$ncpu" ] &&
		tap_ok "fio from every CPU verifies every block: $sector-byte sectors, a channel per CPU, each carrying I/O" ||
		tap_fail "fio from every CPU verifies every block: $sector-byte sectors, a channel per CPU, each carrying I/O" \
			"$(tail -20 /tmp/fio.out); $(cat /sys/bus/vmbus/devices/$g/stor_stats); irqs $before -> $(chan_irqs $g)"
	hvctl sim remove "$g"
	wait_for 30 hvk_gone "/sys/block/$d"
done

# LUN 2 comes and LUN 1 goes while fio verifies LUN 0.
g=$(scsi_add --size 128M --channels 4)
d0=$(scsi_disk "$g")
hvctl sim scsi add-lun 1 --size 8M --instance "$g"
wait_for 30 hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:1/block/sd*"
d1=$(lun_disk "$g" 1)
fio_verify $d0 512 & io=$!
hvk_sleep 1
hvctl sim scsi add-lun 2 --size 8M --instance "$g"
hvctl sim scsi remove-lun 1 --instance "$g"
# LUN 1's SCSI device goes, not its disk's name: LUN 2's disk may take
# the name LUN 1's left (sd gives out the lowest free index).
luns_changed() {
	hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:2/block/sd*" &&
		! hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:1"
}
wait_for 60 luns_changed
seen=$?
wait $io; rc=$?
[ -n "$d1" ] && [ $seen = 0 ] && [ $rc = 0 ] &&
	tap_ok "LUN 2 appears and LUN 1 goes while fio verifies LUN 0, every block intact" ||
	tap_fail "LUN 2 appears and LUN 1 goes while fio verifies LUN 0, every block intact" \
		"lun1=$d1 changes seen: $seen, fio: $rc; $(tail -20 /tmp/fio.out); $(lsscsi 2>&1)"

# A rescind while fio runs: its I/O fails, the disk goes, no Oops.
dmesg -c >/dev/null
fio --name=rescind --filename=/dev/$d0 --direct=1 --ioengine=$eng --iodepth=32 --rw=randrw \
	--bs=4k --size=100M --time_based --runtime=60 --numjobs=$ncpu >/tmp/fio-rescind.out 2>&1 &
io=$!
hvk_sleep 2
hvctl sim remove "$g"
wait_for 60 sh -c "! kill -0 $io"
gone=$?
wait $io
wait_for 30 hvk_gone "/sys/bus/vmbus/devices/$g"
k=$(hvk_klog_bad "Oops|BUG:|WARNING:|Call Trace|general protection" | head -5)
[ $gone = 0 ] && [ ! -e /sys/block/$d0 ] && [ -z "$k" ] &&
	tap_ok "a rescind while fio runs on every CPU ends its I/O and takes the disk away, with no Oops" ||
	tap_fail "a rescind while fio runs on every CPU ends its I/O and takes the disk away, with no Oops" \
		"fio ended: $gone; disk $d0 $(ls /sys/block); $k"

# The latency knob: a completion cannot come sooner than it allows.
g=$(scsi_add --size 16M --latency-us 50000)
d=$(scsi_disk "$g")
t0=$(cut -d' ' -f1 /proc/uptime | tr -d .)
dd if=/dev/$d of=/dev/null bs=4096 count=1 skip=7 iflag=direct 2>/dev/null; rc=$?
t1=$(cut -d' ' -f1 /proc/uptime | tr -d .)
[ "$(host_of "$g" latency_us)" = 50000 ] && [ $rc = 0 ] && [ $((t1 - t0)) -ge 5 ] &&
	tap_ok "with --latency-us 50000 the host shows it and a read takes at least 50 ms" ||
	tap_fail "with --latency-us 50000 the host shows it and a read takes at least 50 ms" \
		"$(hvctl sim scsi --instance $g); dd $rc in $((t1 - t0)) cs"
hvctl sim remove "$g"
wait_for 30 hvk_gone "/sys/block/$d"

# 20 unload and load cycles: unreclaimable slab ends where it started.
g=$(scsi_add --size 16M --channels 4)
# The disk's node appears before sd's asynchronous probe has finished,
# and until then that probe holds the driver's module (rmmod: EAGAIN):
# rmmod is tried again for a while, and must succeed.
cycle() {
	wait_for 10 rmmod hvkit_storvsc && modprobe hvkit_storvsc &&
		wait_for 30 hvk_exists "/sys/bus/vmbus/devices/$g/host*/target*/*:0:0:0/block/sd*" &&
		wait_for 30 test -e /sys/bus/vmbus/devices/$g/stor_stats
}
cycle && cycle
s0=$(hvk_slab_kb)
ok=0 n=20	# the issue's count, on every kernel
for i in $(seq $n); do cycle || break; ok=$i; done
s1=$(hvk_slab_kb)
# The debug kernel is judged by kmemleak; another by its unreclaimable slab.
leak=$(hvk_leaks)
! hvk_debug || s1=$s0
echo "# SUnreclaim $s0 -> $s1 kB over $n cycles"
[ $ok = $n ] && [ $((s1 - s0)) -lt 128 ] && [ -z "$leak" ] &&
	tap_ok "$n unload and load cycles: the disk comes back each time and no memory is left behind" ||
	tap_fail "$n unload and load cycles: the disk comes back each time and no memory is left behind" \
		"cycles: $ok; SUnreclaim $s0 -> $s1 kB; $leak"
hvctl sim remove "$g"
tap_done
