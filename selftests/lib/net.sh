# SPDX-License-Identifier: GPL-2.0
# Sourced by the net/ tests: a synthetic NIC on the simulated host, its
# guest interface, and its host end (hvsim<N>) in a network namespace of
# its own, so that traffic between them crosses the NIC.

# nic_add [hvctl sim add options]: sets g (GUID), ifc (guest interface) and
# peer (the host's hvsim<N>).
nic_add() {
	g=$(hvctl sim add nic "$@") || return 1
	wait_for 20 hvk_exists "/sys/bus/vmbus/devices/$g/net/*" || return 1
	ifc=$(ls /sys/bus/vmbus/devices/$g/net)
	peer=$(hvctl sim nic show --json | sed -n "s/.*\"instance\":\"$g\",\"netdev\":\"\([^\"]*\)\".*/\1/p")
	[ -n "$ifc" ] && [ -n "$peer" ]
}

# nic_netns ADDR_GUEST ADDR_PEER: the peer into a namespace held by a
# sleeping process ($ns), both ends up and addressed (/24).
nic_netns() {
	unshare -n sleep 100000 &
	ns=$!
	wait_for 10 sh -c "[ \"\$(readlink /proc/$ns/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" || return 1
	wait_for 10 test -e /sys/class/net/$peer || return 1
	ip link set "$peer" netns "$ns" || return 1
	in_ns ip link set lo up &&
	in_ns ip addr add "$2/24" dev "$peer" &&
	in_ns ip link set "$peer" up &&
	ip addr add "$1/24" dev "$ifc" &&
	ip link set "$ifc" up
}

in_ns() { nsenter -t "$ns" -n "$@"; }

# stat NAME: one of the guest NIC's ethtool -S counters.
nic_stat() { ethtool -S "$ifc" | sed -n "s/^ *$1: *//p"; }

nic_cleanup() {
	[ -z "${ns:-}" ] || kill "$ns" 2>/dev/null
	ns=
}

# nic_iperf ADDR ARGS...: one iperf3 client run (1 s) to ADDR; its output
# in $out; the receiver's summary line must be there, and with UDP (-u)
# it must have received datagrams, at least half of those sent (iperf3
# prints the line even when every datagram was lost). A server listens
# anew after each run; on a slow kernel (the debug one) a client can come
# before that: a refused connection is tried again.
nic_iperf() {
	local to=$1 try
	shift
	for try in 1 2 3 4 5; do
		if out=$(iperf3 -c "$to" -t 1 "$@" 2>&1) && echo "$out" | grep -q receiver; then
			case " $* " in *" -u "*) ;; *) return 0 ;; esac
			echo "$out" | awk '/receiver/ && match($0, /[0-9]+\/[0-9]+ \(/) {
				split(substr($0, RSTART, RLENGTH - 2), n, "/"); ok = n[2] > 0 && 2 * n[1] < n[2] }
				END { exit !ok }' && return 0
			out="$out
UDP: too few datagrams received"
			return 1
		fi
		echo "$out" | grep -q 'Connection refused' || return 1
		hvk_sleep 1
	done
	return 1
}

# nic_finish: the namespace goes, the host takes the device ($g) away, and
# the NIC driver and the simulated host unload.
nic_finish() {
	nic_cleanup
	hvctl sim remove "$g"
	wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$g"
	rmmod hvkit_netvsc
	rmmod hvkit_sim 2>/dev/null
}

# nic_host KEY: a field of this NIC's ($g) line in hvctl sim nic show --json.
nic_host() {
	hvctl sim nic show --json | tr '{' '\n' | grep "\"$g\"" |
		sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p; t; s/.*\"$1\":\([0-9]*\).*/\1/p"
}

# nic_feat NAME: ethtool -k's value for NAME on the NIC ($ifc), e.g. "on",
# "off [fixed]".
nic_feat() { ethtool -k "$ifc" | sed -n "s/^[[:space:]]*$1: *//p"; }

# nic_srv_start: an iperf3 server (daemon) in the peer's namespace ($ns),
# listening when it returns; nic_srv_stop ends it.
nic_srv_start() {
	rm -f /tmp/iperf3.pid
	in_ns iperf3 -s -D -I /tmp/iperf3.pid >/dev/null 2>&1 &&
		wait_for 10 test -s /tmp/iperf3.pid &&
		wait_for 10 sh -c "nsenter -t $ns -n cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1451 '"
}
nic_srv_stop() { [ ! -s /tmp/iperf3.pid ] || kill "$(cat /tmp/iperf3.pid)" 2>/dev/null; rm -f /tmp/iperf3.pid; }

# nic_busy_queues rx|tx ADDR: iperf3 to ADDR with 8 streams for 2 s (the
# host sending for rx, the guest for tx); prints the queues (0 to 3) whose
# packet counters in that direction grew by more than a few frames, e.g.
# "0 1 ". Eight flows may all land in one part of a table, so callers
# check that only the queues a table names are busy, and at least one.
nic_busy_queues() {
	local dir=$1 to=$2 q a0 a1 a2 a3 r=
	[ "$dir" = rx ] && r=-R
	a0=$(nic_stat ${dir}_queue_0_packets); a1=$(nic_stat ${dir}_queue_1_packets)
	a2=$(nic_stat ${dir}_queue_2_packets); a3=$(nic_stat ${dir}_queue_3_packets)
	iperf3 -c "$to" -t 2 $r -P 8 >/tmp/ip.log 2>&1 || { echo "iperf3 failed"; return; }
	for q in 0 1 2 3; do
		eval "[ \"\$(nic_stat ${dir}_queue_${q}_packets)\" -gt \$((a$q + 20)) ]" && printf '%s ' $q
	done
	echo
}
