# SPDX-License-Identifier: GPL-2.0
# Shared by selftests/pci/*.sh: QEMU's edu device (selftests/config adds one)
# passed through by the simulated host's vpci device.

# The real edu function on the emulated bus (domain 0): DDDD:BB:DD.F, or nothing.
hvk_edu_real() {
	hvk_pci_real 0x1234 0x11e8
}

# hvk_pci_is DIR VENDOR DEVICE: the function in sysfs DIR has those ids.
# Builtins only (read, not cat): the helpers below run in polling loops,
# where a process per device and poll is most of a test's time on the
# debug kernel.
hvk_pci_is() {
	local v= i=
	read -r v <"$1/vendor" 2>/dev/null && read -r i <"$1/device" 2>/dev/null &&
		[ "$v" = "$2" ] && [ "$i" = "$3" ]
}

# The view of a function through vPCI (a domain other than 0): its address.
hvk_vpci_view() {
	local d
	for d in /sys/bus/pci/devices/*; do
		case "${d##*/}" in 0000:*) continue ;; esac
		hvk_pci_is "$d" "$1" "$2" && { echo "${d##*/}"; return 0; }
	done
	return 1
}

# The PCI domain a vPCI instance GUID names: instance bytes 5 and 4, which
# are the GUID's second group as written.
hvk_vpci_domain() {
	local r=${1#*-}
	echo "${r%%-*}"
}

# A function on the emulated bus (domain 0) by vendor and device id: its
# address, or nothing.
hvk_pci_real() {
	local d
	for d in /sys/bus/pci/devices/0000:*; do
		hvk_pci_is "$d" "$1" "$2" && { echo "${d##*/}"; return 0; }
	done
	return 1
}
