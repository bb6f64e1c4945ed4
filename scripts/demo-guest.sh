#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo guest. Each part shows one capability working and
# prints a "REPORT <what>: <result>" line for the summary.
. /hvkit/lib/tap.sh
fail=0
report() { echo "REPORT $*"; }
part() { echo; echo "---- $*"; }
bad() { report "$1: FAILED${2:+ ($2)}"; fail=1; }

part "VMBus core on the simulated host"
if modprobe hvkit_sim; then
	report "VMBus: connected to the simulated host at protocol $(cat /sys/bus/vmbus/protocol_version)"
else
	bad "VMBus" "hvkit_sim did not load"
	exit 1
fi

part "Devices offered by the host; drivers loaded by modalias"
a=$(hvk_echo_add) && b=$(hvk_echo_add --channels 4 --monitored) || bad "devices"
hvctl list
report "devices: 2 echo devices offered, driver $(basename "$(readlink /sys/bus/vmbus/devices/$a/driver)") bound by modalias, $(ls /sys/bus/vmbus/devices/$b/channels | wc -l) monitored channels on the second"

part "Traffic: echoes checked byte for byte"
if echo "2000 1500" >/sys/bus/vmbus/devices/$a/echo_test &&
	echo "2000 1500" >/sys/bus/vmbus/devices/$b/echo_test; then
	cat /sys/bus/vmbus/devices/$a/echo_test /sys/bus/vmbus/devices/$b/echo_test
	report "traffic: 4000 packets of 1500 bytes came back intact, over 1 and 4 channels"
	hvctl sim list
	row=$(hvctl sim list --json | tr '{' '\n' | grep "\"$b\"")
	mon=$(echo "$row" | sed -n 's/.*"monitor_signals":\([0-9]*\).*/\1/p')
	sig=$(echo "$row" | sed -n 's/.*"signals":\([0-9]*\).*/\1/p')
	[ "${mon:-0}" -gt 0 ] && [ "$sig" = 0 ] &&
		report "monitor page: the host found the monitored device's $mon signals by polling, none came by hypercall" ||
		bad "monitor page" "$mon signals found in the page, $sig by hypercall"
else
	bad "traffic" "$(cat /sys/bus/vmbus/devices/$a/echo_test)"
fi
echo 16777216 >/sys/bus/vmbus/devices/$a/gpadl_test && report "GPADL: a 16 MiB buffer reached the host intact" ||
	bad "GPADL"
hvctl list -v | sed -n '1,12p'

part "A hostile host: the guest refuses a corrupt ring and recovers"
hvctl sim fault bad_pkt_len 1
if ! echo "10 100" >/sys/bus/vmbus/devices/$a/echo_test 2>/dev/null; then
	dmesg | grep 'corrupted' | tail -n 1
	echo $a >/sys/bus/vmbus/drivers/hvkit_echo/unbind
	echo $a >/sys/bus/vmbus/drivers/hvkit_echo/bind
	echo "10 100" >/sys/bus/vmbus/devices/$a/echo_test &&
		report "faults: a corrupt packet was refused, the channel reopened and works" || bad "faults" "no recovery"
else
	bad "faults" "the corrupt packet was accepted"
fi
hvctl sim faults | head -n 4

part "Rescind"
hvctl sim remove $b
wait_for 10 sh -c "! test -e /sys/bus/vmbus/devices/$b" && report "rescind: the device and its 4 channels left the bus" ||
	bad "rescind"
hvctl sim list

part "Integration services, with hvkit's daemons (hypervkvpd, hypervfcopyd, hypervvssd)"
mkdir -p /var/lib/hyperv
hb=$(hvctl sim add heartbeat) && kv=$(hvctl sim add kvp) && vs=$(hvctl sim add vss) &&
	fc=$(hvctl sim add fcopy) && ts=$(hvctl sim add timesync) || bad "integration services" "sim add"
for g in $hb $kv $vs $fc $ts; do wait_for 20 test -e /sys/bus/vmbus/devices/$g/ic_stats; done
wait_for 20 test -e /dev/vmbus/hv_kvp && wait_for 20 test -e /dev/vmbus/hv_vss && wait_for 20 test -e /dev/vmbus/hv_fcopy
cat /sys/bus/vmbus/devices/$hb/ic_stats /sys/bus/vmbus/devices/$kv/ic_stats
sleep 2
report "heartbeat: $(hvctl sim heartbeat --instance $hb)"
hypervkvpd -n </dev/null >/tmp/demo-kvpd.log 2>&1 &
kpid=$!
if wait_for 20 sh -c "hvctl sim kvp set --instance $kv --pool 0 DemoKey 'hello from the host' >/dev/null 2>&1" &&
	[ "$(hvctl sim kvp get --instance $kv --pool 0 DemoKey)" = "hello from the host" ]; then
	n=$(hvctl sim kvp enumerate --instance $kv --pool 2 2>/dev/null | wc -l)
	report "KVP: the host set DemoKey in pool 0 and read it back through hypervkvpd; pool 2 lists $n intrinsic items"
else
	bad "KVP" "$(hvctl sim kvp get --instance $kv --pool 0 DemoKey 2>&1)"
fi
hypervfcopyd -n </dev/null >/tmp/demo-fcopyd.log 2>&1 &
fpid=$!
dd if=/dev/urandom of=/tmp/demo-src bs=1M count=2 2>/dev/null
if wait_for 20 sh -c "hvctl sim fcopy --instance $fc /tmp/demo-src /tmp/demo-dst/copied --create-path >/dev/null 2>&1" &&
	[ "$(sha256sum </tmp/demo-src)" = "$(sha256sum </tmp/demo-dst/copied)" ]; then
	report "file copy: a 2 MiB file reached /tmp/demo-dst/copied through hypervfcopyd, checksum equal"
else
	bad "file copy" "$(ls -l /tmp/demo-dst 2>&1)"
fi
if modprobe brd rd_nr=1 rd_size=16384 2>/dev/null && modprobe crc32c_generic 2>/dev/null; modprobe ext4 2>/dev/null;
	mkfs.ext4 -q -F /dev/ram0 >/dev/null 2>&1 && mkdir -p /mnt/demo && mount -t ext4 /dev/ram0 /mnt/demo; then
	hypervvssd -n </dev/null >/tmp/demo-vssd.log 2>&1 &
	vpid=$!
	wait_for 20 sh -c "hvctl sim vss --instance $vs hot-backup >/dev/null 2>&1"
	if hvctl sim vss --instance $vs freeze; then
		(dd if=/dev/zero of=/mnt/demo/w bs=4k count=1 conv=fsync 2>/dev/null && touch /tmp/demo-w.done) &
		sleep 2
		blocked=no; [ -e /tmp/demo-w.done ] || blocked=yes
		hvctl sim vss --instance $vs thaw
		wait_for 20 test -e /tmp/demo-w.done && [ $blocked = yes ] &&
			report "VSS: freeze held a write to ext4 until the thaw, through hypervvssd" ||
			bad "VSS" "write blocked while frozen: $blocked"
	else
		bad "VSS" "freeze refused"
	fi
	kill $vpid 2>/dev/null
	umount /mnt/demo
else
	bad "VSS" "no ext4 on a RAM disk here"
fi
before=$(date +%s)
hvctl sim timesync sync --offset 3600 --instance $ts >/dev/null &&
	report "time sync: a SYNC from the host moved the clock by $(( $(date +%s) - before ))s (asked: 3600)" ||
	bad "time sync"
kill $kpid $fpid 2>/dev/null
hvctl sim list | grep -E 'heartbeat|kvp|vss|fcopy|timesync'

part "Synthetic SCSI storage (hvkit_storvsc)"
sg=$(hvctl sim add scsi --size 128M --channels 2)
if wait_for 30 sh -c "ls /sys/bus/vmbus/devices/$sg/host*/target*/*:0:0:0/block/sd* >/dev/null 2>&1"; then
	sd=$(ls /sys/bus/vmbus/devices/$sg/host*/target*/*:0:0:0/block | head -n 1)
	lsscsi
	mkdir -p /mnt/disk
	if mkfs.ext4 -q -F /dev/$sd >/dev/null 2>&1 && mount -t ext4 /dev/$sd /mnt/disk &&
		dd if=/dev/urandom of=/mnt/disk/data bs=1M count=32 2>/dev/null &&
		sum1=$(sha256sum </mnt/disk/data) && umount /mnt/disk &&
		fsck.ext4 -fn /dev/$sd >/dev/null 2>&1 && echo 3 >/proc/sys/vm/drop_caches &&
		mount -t ext4 /dev/$sd /mnt/disk && [ "$(sha256sum </mnt/disk/data)" = "$sum1" ]; then
		df -h /mnt/disk | tail -n 1
		umount /mnt/disk
		report "storage: a 128 MiB synthetic SCSI disk /dev/$sd (lsscsi: $(lsscsi | head -n 1 | tr -s '\t ' ' ')), ext4 made, 32 MiB written, fsck clean, read back equal after a remount"
	else
		bad "storage" "mkfs/mount/fsck on /dev/$sd: $(dmesg | tail -n 3)"
	fi
	hvctl sim scsi --instance $sg
else
	bad "storage" "no disk appeared: $(dmesg | tail -n 3)"
fi

part "Synthetic NIC (hvkit_netvsc), its host end hvsim<N> in another namespace"
ng=$(hvctl sim add nic --mac 00:15:5d:00:00:42)
if wait_for 20 sh -c "ls /sys/bus/vmbus/devices/$ng/net 2>/dev/null | grep -q ."; then
	ifc=$(ls /sys/bus/vmbus/devices/$ng/net)
	peer=$(hvctl sim nic show --json | sed -n "s/.*\"instance\":\"$ng\",\"netdev\":\"\([^\"]*\)\".*/\1/p")
	unshare -n sleep 100000 &
	ns=$!
	wait_for 10 sh -c "[ \"\$(readlink /proc/$ns/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]"
	if ip link set "$peer" netns $ns && nsenter -t $ns -n ip addr add 10.99.0.2/24 dev "$peer" &&
		nsenter -t $ns -n ip link set "$peer" up && ip addr add 10.99.0.1/24 dev "$ifc" &&
		ip link set "$ifc" up && wait_for 10 ping -c 1 -W 1 10.99.0.2 >/dev/null; then
		ip addr show "$ifc" | grep -E 'link/ether|inet '
		out=$(ping -c 20 -i 0.2 -s 1400 10.99.0.2 | tail -n 2)
		echo "$out"
		# TCP through it: iperf3 from the guest to a server at the peer.
		tcp=
		if nsenter -t $ns -n iperf3 -s -D -1 >/dev/null 2>&1 &&
			wait_for 10 sh -c "nsenter -t $ns -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1451 '" &&
			perf=$(iperf3 -c 10.99.0.2 -t 3 -f m 2>&1); then
			echo "$perf" | grep -E 'sender|receiver'
			tcp="iperf3 TCP $(echo "$perf" | awk '/receiver/ { print $(NF - 2), $(NF - 1) }') over 3 s"
		fi
		[ -n "$tcp" ] || bad "NIC" "iperf3 from $ifc to $peer: $(echo "${perf:-no server}" | tail -n 2)"
		report "NIC: $ifc ($(cat /sys/class/net/$ifc/address), $(ethtool -i "$ifc" | sed -n 's/^firmware-version: //p')) at 10.99.0.1/24; ping to the host's $peer: $(echo "$out" | sed -n 's/.*, \([0-9]*\) packets received.*/\1/p')/20 of 1400 bytes, $(echo "$out" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p') ms average; $tcp"
	else
		bad "NIC" "no ping across $ifc and $peer: $(dmesg | tail -n 3)"
	fi
	kill $ns 2>/dev/null
else
	bad "NIC" "no interface appeared: $(dmesg | tail -n 3)"
fi

part "vPCI (hvkit_pci): QEMU's edu passed through by the host, driven by an ordinary PCI driver"
. /hvkit/lib/pci.sh
if real=$(hvk_edu_real) && modprobe hvkit_edu_test && pg=$(hvctl sim add vpci --pci "$real") &&
	wait_for 60 hvk_vpci_view 0x1234 0x11e8 >/dev/null; then
	view=$(hvk_vpci_view 0x1234 0x11e8)
	v=/sys/bus/pci/devices/$view
	lspci -D -nn | grep -i "1234:11e8"
	wait_for 10 test -e "$v/edu_irq_test"
	if echo 10 >"$v/edu_factorial" && echo 4000 >"$v/edu_dma" && echo 20 >"$v/edu_irq_test"; then
		report "vPCI: $real is $view on the guest's vPCI bus (lspci -D), bound to hvkit_edu_test: $(cat "$v/edu_factorial") through MMIO, DMA both ways $(cat "$v/edu_dma"), $(cat "$v/edu_irqs") MSIs taken"
	else
		bad "vPCI" "edu through vPCI: $(cat "$v/edu_factorial" "$v/edu_dma" "$v/edu_irq_test" 2>&1 | tr '\n' ' ')"
	fi
	hvctl sim remove "$pg"
else
	bad "vPCI" "no view of the edu device: $(dmesg | tail -n 3)"
fi
exit $fail
