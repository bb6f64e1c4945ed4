#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs in the bench guest (make bench): fio on the synthetic SCSI disk
# (hvkit_storvsc, its LUN in the simulated host's RAM) against three
# references in the same boot: brd (the RAM block device, the ceiling),
# scsi_debug (a RAM SCSI disk) and virtio-blk on QEMU's RAM-backed vblk0
# (what a user would pick instead), and hvkit_scsi_floor_test's two SCSI
# disks that do no work: scsi-floor completes every command inside
# queuecommand, the floor of the SCSI midlayer, sd and blk-mq on this
# kernel and machine; irq-floor completes them from an interrupt on the
# same CPU, the least an interrupt-driven device can cost. What is left
# above irq-floor is the driver's, the ring's and the host's. 4 KiB
# random reads and writes at
# queue depth 32 (IOPS) and 1 MiB sequential reads and writes (MB/s),
# then the synthetic disk's ratio to each. Under TCG absolute numbers mean
# little; the ratios are what to compare between changes.
# bench-storage-guest.sh [SECONDS [ROUNDS]]: each run's length (default 5 s)
# and how many rounds (default 3).
. /hvkit/lib/tap.sh
. /hvkit/lib/storage.sh
secs=${1:-5}
rounds=${2:-3}
size=256
command -v fio >/dev/null || { echo "no fio in the guest"; exit 1; }
eng=libaio
fio --enghelp=libaio >/dev/null 2>&1 || eng=psync

modprobe hvkit_sim || exit 1
g=$(scsi_add --size ${size}M --channels "$(nproc)") || { echo "no synthetic disk"; exit 1; }
hv=$(scsi_disk "$g")
modprobe brd rd_nr=1 rd_size=$((size * 1024)) || exit 1
# model_disk MODEL: the sdX whose model is MODEL, once it is there.
model_disk() {
	wait_for 20 sh -c "grep -l '^$1 *\$' /sys/block/sd*/device/model >/dev/null" &&
		basename "$(dirname "$(dirname "$(grep -l "^$1 *\$" /sys/block/sd*/device/model | head -1)")")"
}
sdbg=""
# delay=0: it answers at once, its fastest (its default waits a jiffy).
if modprobe scsi_debug dev_size_mb=$size delay=0 2>/dev/null; then
	sdbg=$(model_disk scsi_debug)
fi
vblk=$(vblk_disk vblk0)
floor="" irqfloor=""
if modprobe hvkit_scsi_floor_test size_mb=$size 2>/dev/null; then
	floor=$(model_disk scsi_floor)
	irqfloor=$(model_disk irq_floor)
fi

# run DEV TEST: prints the number (IOPS, or MB/s for seq*).
run() {
	local rw bs qd f
	case $2 in
	randread) rw=randread bs=4k qd=32 ;;
	randwrite) rw=randwrite bs=4k qd=32 ;;
	seqread) rw=read bs=1M qd=8 ;;
	seqwrite) rw=write bs=1M qd=8 ;;
	esac
	fio --name=b --filename=/dev/$1 --direct=1 --ioengine=$eng --iodepth=$qd --rw=$rw --bs=$bs \
		--size=${size}M --time_based --runtime=$secs --ramp_time=1 --norandommap \
		--output-format=terse --terse-version=3 >/tmp/bench.out 2>/tmp/bench.err || { echo 0; return; }
	case $2 in
	seq*) awk -F';' '{ printf "%.1f\n", ($7 + $48) / 1024 }' /tmp/bench.out ;;
	*) awk -F';' '{ printf "%.0f\n", $8 + $49 }' /tmp/bench.out ;;
	esac
}

tests="randread randwrite seqread seqwrite"
devs="hvkit_storvsc:$hv brd:ram0 scsi_debug:$sdbg virtio-blk:$vblk scsi-floor:$floor irq-floor:$irqfloor"
echo "fio, ${secs} s each, $eng; 4 KiB random at QD32 in IOPS, 1 MiB sequential at QD8 in MB/s;"
echo "each the best of $rounds rounds, the devices taking turns within a round"
# Rounds, the devices in turn: a machine that gets busier midway costs
# every device alike. Each device's best of the rounds is its figure; a
# ratio is the median of the rounds' own ratios, each between two runs
# made back to back, which cancels most of this machine's drift (brd
# alone moves by 2x between rounds of one boot).
rm -f /tmp/bench.raw
r=0
while [ $r -lt $rounds ]; do
	for t in $tests; do
		for dev in $devs; do
			[ -n "${dev#*:}" ] && echo "${dev%%:*} $t $(run ${dev#*:} $t) $r" >>/tmp/bench.raw
		done
	done
	r=$((r + 1))
done
printf '%-22s %10s %10s %10s %10s\n' device $tests
for dev in $devs; do
	name=${dev%%:*} d=${dev#*:}
	[ -n "$d" ] || { printf '%-22s %10s\n' "$name" "(none)"; continue; }
	line=""
	for t in $tests; do
		line="$line $(awk -v n=$name -v t=$t '$1 == n && $2 == t && $3 > b { b = $3 } END { print b + 0 }' /tmp/bench.raw)"
	done
	echo "$name $line" >>/tmp/bench.table
	printf '%-22s %10s %10s %10s %10s\n' "$name (/dev/$d)" $line
done
echo
echo "hvkit_storvsc against each, the median of the rounds' ratios (above 1: faster):"
awk -v tests="$tests" -v rounds=$rounds '
	FNR == NR { v[$1, $2, $4] = $3; next }
	$1 == "hvkit_storvsc" { next }
	{
		nt = split(tests, t, " ")
		printf "%-22s", "/ " $1
		for (i = 1; i <= nt; i++) {
			n = 0
			for (r = 0; r < rounds; r++) {
				a = v["hvkit_storvsc", t[i], r]; b = v[$1, t[i], r]
				if (a > 0 && b > 0) q[++n] = a / b
			}
			for (j = 2; j <= n; j++)	# insertion sort
				for (k = j; k > 1 && q[k - 1] > q[k]; k--) { x = q[k]; q[k] = q[k - 1]; q[k - 1] = x }
			m = n == 0 ? 0 : n % 2 ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2
			printf " %10.2f", m
		}
		printf "\n"
	}' /tmp/bench.raw /tmp/bench.table
echo
h=$(hvctl sim scsi --instance $g)
echo "host: $h"
echo "guest: $(cat /sys/bus/vmbus/devices/$g/stor_stats)"
# The signalling each request cost: interrupts the guest took and signals
# it gave the host, per request served.
ios=$(echo "$h" | tr ' ' '\n' | awk -F= '$1 == "reads" || $1 == "writes" { n += $2 } END { print n }')
irqs=$(cat /sys/bus/vmbus/devices/$g/channels/*/interrupts | awk '{ n += $1 } END { print n }')
sigs=$(hvctl sim list | awk -v g=$g '$2 == g { print $9 }')
awk -v i=$irqs -v s=${sigs:-0} -v n=$ios 'BEGIN {
	printf "per request: %.3f interrupts of the guest, %.3f signals to the host\n", i / n, s / n }'
