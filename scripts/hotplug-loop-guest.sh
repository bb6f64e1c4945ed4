#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# hotplug-loop-guest.sh [N]: a guest script (selftests/run.sh --script) that
# hot-plugs and unplugs a virtio-net-pci N times (default 60) through the
# QMP relay, with no hvkit module loaded: the reproducer of QEMU 7.2 TCG's
# lost timer interrupt on the pc machine (docs/testing.md). Prints one line
# per cycle with the uptime; a stopped guest prints no more.
. /hvkit/lib/tap.sh
. /hvkit/lib/qmp.sh
N=${1:-60}
modprobe virtio_net 2>/dev/null
cnt() { ls /sys/bus/virtio/drivers/virtio_net/ | grep -c virtio; }
b=$(cnt)
i=0
while [ $i -lt $N ]; do
	i=$((i + 1))
	hvk_qmp_device_add "\"driver\":\"virtio-net-pci\",\"id\":\"hp$i\",\"netdev\":\"hvkvf\",\"mac\":\"52:54:00:12:34:99\"" >/dev/null || { echo "add $i failed"; exit 1; }
	wait_for 30 sh -c "test \$(ls /sys/bus/virtio/drivers/virtio_net/ | grep -c virtio) -gt $b" || { echo "no netdev at $i"; exit 1; }
	hvk_qmp_device_del "hp$i" >/dev/null || { echo "del $i failed"; exit 1; }
	wait_for 30 sh -c "test \$(ls /sys/bus/virtio/drivers/virtio_net/ | grep -c virtio) -eq $b" || { echo "not gone at $i"; exit 1; }
	echo "cycle $i $(cut -d' ' -f1 /proc/uptime)"
done
echo "done $N"
