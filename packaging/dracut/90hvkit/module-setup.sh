#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dracut module "hvkit": hvkit's Hyper-V guest drivers in the initramfs, so
# that a VM whose root disk is a synthetic SCSI disk (every Azure VM) and
# whose network is a synthetic NIC boots with hvkit in place of the in-tree
# drivers. make install and the hvkit-dkms package put it in
# /usr/lib/dracut/modules.d/90hvkit; see docs/operations.md.
#
# Included by default when /etc/hvkit/drivers chooses hvkit; with the
# in-tree drivers chosen, only when asked for (dracut -a hvkit). Either way
# the initramfs gets the choice itself (/etc/hvkit/drivers and hvkit-select's
# modprobe.d file), so early boot binds the same drivers as the running
# system: on Hyper-V, udev's modalias lookup for the VMBus ACPI device then
# loads hvkit_hyperv instead of hv_vmbus, and each offered channel loads its
# hvkit driver.

hvkit_choice() {
	sed 's/#.*//' "${dracutsysrootdir-}/etc/hvkit/drivers" 2>/dev/null | tr -d '[:space:]'
}

check() {
	[ "$(hvkit_choice)" = hvkit ] && return 0
	return 255
}

depends() {
	return 0
}

installkernel() {
	# The transport, the VMBus core, and what early boot needs on top:
	# the root disk (synthetic SCSI, or NVMe behind vPCI on the VM sizes
	# that have it) and the network (for a network root or cloud-init).
	# The integration services (hvkit_utils) load later, from the root.
	hostonly='' instmods hvkit_hyperv hvkit_vmbus hvkit_storvsc hvkit_netvsc hvkit_pci sd_mod
}

install() {
	inst_simple /etc/hvkit/drivers
	[ -f "${dracutsysrootdir-}/etc/modprobe.d/hvkit-select.conf" ] &&
		inst_simple /etc/modprobe.d/hvkit-select.conf
	return 0
}
