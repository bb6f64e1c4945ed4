#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test-only dracut module (selftests/host/dracut-boot.sh): the simulated
# Hyper-V host in the initramfs, standing in for Hyper-V. It offers the
# virtio-blk disk whose serial is "hvroot" as a synthetic SCSI LUN; the
# shipped "hvkit" module's drivers must take it from there.

check() {
	return 255
}

depends() {
	echo hvkit
}

installkernel() {
	hostonly='' instmods hvkit_sim virtio_blk virtio_pci
}

install() {
	inst_multiple hvctl
	inst_hook pre-trigger 50 "$moddir/simhost-load.sh"
	inst_script "$moddir/simhost-offer.sh" /sbin/hvkit-simhost-offer
}
