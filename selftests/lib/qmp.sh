# SPDX-License-Identifier: GPL-2.0
# QMP from inside the guest: selftests/run.sh relays each line written to
# the guest's third serial port (ttyS2) to QEMU's QMP monitor and writes
# back QEMU's one-line reply (scripts/lib.sh qmp_relay; docs/testing.md).
# Only device_add, device_del, stop (the harness's frozen guest) and query-*
# are passed.

HVK_QMP_TTY=${HVK_QMP_TTY:-/dev/ttyS2}

# hvk_qmp JSON: sends one QMP command, prints QEMU's reply; true when the
# reply is a "return" (not an "error", and not silence for 120 s).
hvk_qmp() {
	local reply=
	stty -F "$HVK_QMP_TTY" raw -echo 2>/dev/null || return 1
	exec 9<>"$HVK_QMP_TTY"
	# A reply that came after an earlier call gave up is not this one's.
	while read -r -t 0.2 reply <&9; do :; done
	printf '%s\n' "$1" >&9
	reply=
	read -r -t 120 reply <&9
	exec 9<&-
	reply=$(printf '%s' "$reply" | tr -d '\r')
	printf '%s\n' "$reply"
	case "$reply" in '{"return"'*) return 0 ;; esac
	return 1
}

# hvk_qmp_device_add ARGS: device_add with ARGS as "key":"value" pairs,
# e.g. hvk_qmp_device_add '"driver":"virtio-net-pci","id":"vf0"'.
# On a machine whose root bus takes no hot-plugged device (q35), the device
# goes into the root port hvkport that selftests/config gives that machine.
# hvk_qmp_root_port: true when the machine has the root port hvkport (q35).
hvk_qmp_root_port() { hvk_qmp '{"execute":"query-pci"}' | grep -q '"hvkport"'; }

hvk_qmp_device_add() {
	local bus=
	hvk_qmp_root_port && bus=',"bus":"hvkport"'
	hvk_qmp "{\"execute\":\"device_add\",\"arguments\":{$1$bus}}"
}
hvk_qmp_device_del() { hvk_qmp "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"$1\"}}"; }
