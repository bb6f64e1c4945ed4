#!/bin/sh
# pre-trigger: the host's side comes up, and the job that offers the root
# disk once udev has made the virtio-blk node waits in dracut's queue.
modprobe virtio_blk
modprobe hvkit_sim || warn "hvkit-simhost: modprobe hvkit_sim failed"
/sbin/initqueue --settled --unique --name hvkit-simhost /sbin/hvkit-simhost-offer
