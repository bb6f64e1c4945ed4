# SPDX-License-Identifier: GPL-2.0
# Shared by selftests/pci/*.sh: QEMU's edu device (selftests/config adds one)
# passed through by the simulated host's vpci device.

# The real edu function on the emulated bus (domain 0): DDDD:BB:DD.F, or nothing.
hvk_edu_real() {
	local d
	for d in /sys/bus/pci/devices/0000:*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# The view of a function through vPCI (a domain other than 0): its address.
hvk_vpci_view() {
	local d
	for d in /sys/bus/pci/devices/*; do
		case "$(basename "$d")" in 0000:*) continue ;; esac
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}

# The PCI domain a vPCI instance GUID names: instance bytes 5 and 4, which
# are the GUID's second group as written.
hvk_vpci_domain() {
	echo "$1" | cut -d- -f2
}

# A function on the emulated bus (domain 0) by vendor and device id: its
# address, or nothing.
hvk_pci_real() {
	local d
	for d in /sys/bus/pci/devices/0000:*; do
		[ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}
