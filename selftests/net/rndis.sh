#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# RNDIS keepalives: the host sends KEEPALIVE (as Hyper-V does when a guest
# is quiet) and hvkit_netvsc answers each with KEEPALIVE_C and the same
# request id, whether the interface is up or down; traffic is unaffected.
# With no driver bound, nobody answers and the host says so. An RNDIS
# reset from the guest (ethtool --reset) clears the host's addressing,
# which the guest sets again.
. /hvkit/lib/tap.sh
. /hvkit/lib/net.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 5
trap nic_cleanup EXIT

ka() { hvctl sim nic keepalive --instance "$g"; }

nic_add && nic_netns 10.18.0.1 10.18.0.2 && wait_for 10 ping -c 1 -W 1 10.18.0.2 >/dev/null &&
	[ "$(ka)" = "answered (1 so far)" ] && [ "$(ka)" = "answered (2 so far)" ] &&
	[ "$(ka)" = "answered (3 so far)" ] &&
	tap_ok "three keepalives from the host, each answered" ||
	tap_fail "three keepalives from the host, each answered" "$(ka 2>&1; dmesg | tail)"

ping -A -c 500 -W 2 10.18.0.2 >/dev/null & p=$!
ok=1
for i in 1 2 3 4 5; do ka >/dev/null || ok=; done
wait $p && [ -n "$ok" ] &&
	[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	tap_ok "keepalives during a ping flood are answered, the flood completes, nothing refused" ||
	tap_fail "keepalives during a ping flood are answered, the flood completes, nothing refused" \
		"$(hvctl sim nic show; dmesg | tail)"

ip link set "$ifc" down && ka >/dev/null && ip link set "$ifc" up &&
	wait_for 10 ping -c 1 -W 1 10.18.0.2 >/dev/null &&
	tap_ok "a keepalive is answered with the interface down" ||
	tap_fail "a keepalive is answered with the interface down" "$(dmesg | tail)"

# RNDIS reset (ethtool --reset mac): the host resets the adapter, its
# packet filter with it, and asks for the addressing again; the guest
# sets its filter again, so traffic (and multicast) flows on, twice over.
# The host has its filter back, the guest counted both resets, and
# nothing was refused.
f0=$(nic_host filter) r0=$(nic_host resets)
ok=1
for i in 1 2; do
	ethtool --reset "$ifc" mac >/dev/null 2>&1 || ok=
	wait_for 10 ping -c 1 -W 1 10.18.0.2 >/dev/null || ok=
done
[ -n "$ok" ] && [ "$(nic_host resets)" = $((r0 + 2)) ] && [ "$(nic_stat rndis_resets)" = 2 ] &&
	[ "$f0" != 0 ] && [ "$(nic_host filter)" = "$f0" ] &&
	[ "$(hvctl sim nic show | grep "$g" | awk '{print $NF}')" = 0 ] &&
	tap_ok "two RNDIS resets (ethtool --reset mac): the host resets, the guest sets its filter again, traffic flows" ||
	tap_fail "two RNDIS resets (ethtool --reset mac): the host resets, the guest sets its filter again, traffic flows" \
		"filter $f0 -> $(nic_host filter); host resets $r0 -> $(nic_host resets); guest $(nic_stat rndis_resets); $(ethtool --reset "$ifc" mac 2>&1; dmesg | tail -n 5)"

nic_cleanup
echo "$g" >/sys/bus/vmbus/drivers/hvkit_netvsc/unbind
err=$(ka 2>&1) && tap_fail "with no driver, the keepalive is not answered" "$err" ||
	{ echo "$err" | grep -q "not initialised\|did not answer" &&
		tap_ok "with no driver, the keepalive is not answered: $err" ||
		tap_fail "with no driver, the keepalive is not answered" "$err"; }
hvctl sim remove "$g"
wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"
rmmod hvkit_netvsc
rmmod hvkit_sim 2>/dev/null
tap_done
