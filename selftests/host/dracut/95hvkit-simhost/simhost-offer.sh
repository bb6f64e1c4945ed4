#!/bin/sh
# dracut initqueue job, run at each settled pass until it has offered the
# disk: the virtio-blk disk with serial "hvroot" becomes LUN 0 of a
# synthetic SCSI controller on the simulated host.
[ -e /run/hvkit-simhost.done ] && exit 0
for b in /sys/block/vd*; do
	[ -e "$b/serial" ] && [ "$(cat "$b/serial")" = hvroot ] || continue
	# One try: a refusal is logged once, and the root wait then fails.
	if hvctl sim add scsi --backing "/dev/${b##*/}" >/run/hvkit-simhost.guid 2>/run/hvkit-simhost.err; then
		echo "hvkit-simhost: /dev/${b##*/} offered as synthetic SCSI controller $(cat /run/hvkit-simhost.guid)" >/dev/kmsg
	else
		echo "hvkit-simhost: offering /dev/${b##*/} failed: $(cat /run/hvkit-simhost.err)" >/dev/kmsg
	fi
	: >/run/hvkit-simhost.done
done
exit 0
