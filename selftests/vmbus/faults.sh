#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every fault the simulated host can inject: the guest notices, says so in
# its log, fails only what it must, and recovers. (Any Oops, WARNING or
# taint fails the whole run in the harness.)
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 15

g=$(hvk_echo_add) || { tap_skip_all "no echo device"; }
d=/sys/bus/vmbus/devices/$g
drv=/sys/bus/vmbus/drivers/hvkit_echo

mark() { M="hvk-fault-$1-$$"; echo "$M" >/dev/kmsg; }
# arm FAULT COUNT: arm it, and remember it for the last check.
ARMED=
arm() { hvctl sim fault "$1" "$2" && ARMED="$ARMED $1"; }
logged() { dmesg | awk -v m="$M" 'index($0, m) { on = 1; next } on' | grep -q "$1"; }
rebind() { echo $g >$drv/unbind 2>/dev/null; echo $g >$drv/bind 2>/dev/null; }
works() { echo "20 300" >$d/echo_test 2>/dev/null; }
appears() { wait_for "$2" test -e /sys/bus/vmbus/devices/$1; }

# drop_msg: the GPADL_CREATED for the ring is lost; open times out.
mark drop
echo $g >$drv/unbind
arm drop_msg 1
if ! echo $g >$drv/bind 2>/dev/null && logged "cannot open the echo channel (-110)" &&
	rebind && works; then
	tap_ok "drop_msg: a lost reply fails the open by timeout, and a retry works"
else
	tap_fail "drop_msg: a lost reply fails the open by timeout, and a retry works" "$(dmesg | tail -n 5)"
fi

# delay_msg: replies come half a second late; nothing fails.
mark delay
arm delay_msg 3
rebind && works && tap_ok "delay_msg: late replies only slow the open down" ||
	tap_fail "delay_msg: late replies only slow the open down" "$(cat $d/echo_test)"

# An offer the guest must drop: the device never appears, the log says why.
dropped_offer() {
	mark "$1"
	arm "$1" 1
	s=$(hvctl sim add echo)
	if ! appears "$s" 2 && logged "$2"; then
		tap_ok "$1: $3 is dropped with a message"
	else
		tap_fail "$1: $3 is dropped with a message"
	fi
}
dropped_offer short_msg "shorter than its type requires" "a truncated offer"
dropped_offer bad_relid "relid outside 1..2047" "an offer with an impossible relid"

# dup_relid: the same offer twice; the second is refused, the device works.
mark duprelid
arm dup_relid 1
s=$(hvk_echo_add)
if [ -n "$s" ] && logged "reuses relid" && echo "5 10" >/sys/bus/vmbus/devices/$s/echo_test; then
	tap_ok "dup_relid: a repeated offer is refused and the device works"
else
	tap_fail "dup_relid: a repeated offer is refused and the device works"
fi

# rescind_on_open: the host rescinds instead of answering OPENCHANNEL.
mark rescindopen
arm rescind_on_open 1
s=$(hvctl sim add echo)
hvk_sleep 1
if ! test -e /sys/bus/vmbus/devices/$s && logged "cannot open the echo channel (-19)" &&
	wait_for 10 sh -c "! hvctl sim list | grep -q $s"; then
	tap_ok "rescind_on_open: the open fails, the device goes, the relid is released"
else
	tap_fail "rescind_on_open: the open fails, the device goes, the relid is released" "$(dmesg | tail -n 5)"
fi

# gpadl_reorder: a stranger's GPADL_CREATED first, the real one, a twin.
mark reorder
arm gpadl_reorder 1
if rebind && works && [ "$(dmesg | awk -v m="$M" 'index($0, m) { on = 1; next } on' |
	grep -c 'message type 10 that nothing asked for')" = 2 ]; then
	tap_ok "gpadl_reorder: replies are matched by handle, strays are dropped"
else
	tap_fail "gpadl_reorder: replies are matched by handle, strays are dropped" "$(dmesg | tail -n 5)"
fi

# Ring corruption by the host: the channel fails, a rebind recovers.
ring_fault() {
	mark "$1"
	arm "$1" 1
	if ! works && logged "$2" && rebind && works; then
		tap_ok "$1: the guest refuses the corrupt ring ($2) and recovers on reopen"
	else
		tap_fail "$1: the guest refuses the corrupt ring ($2) and recovers on reopen" \
			"$(cat $d/echo_test); $(dmesg | tail -n 3)"
	fi
}
ring_fault bad_ring_index "write index outside the ring"
ring_fault bad_pkt_len "packet runs past the write index"
ring_fault bad_pkt_offset "payload offset outside the packet"

mark transid
arm bad_trans_id 1
if ! works && logged "not in flight" && works; then
	tap_ok "bad_trans_id: a reply to a request never made is refused"
else
	tap_fail "bad_trans_id: a reply to a request never made is refused" "$(cat $d/echo_test)"
fi

# An open that failed leaves no callback behind: a later rescind of that
# device finds none to call (the driver freed its context).
s=$(hvk_echo_add)
echo $s >$drv/unbind
mark failedopen
arm drop_msg 1
echo $s >$drv/bind 2>/dev/null
hvctl sim remove $s
if wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$s"; then
	tap_ok "a device whose open failed is rescinded cleanly"
else
	tap_fail "a device whose open failed is rescinded cleanly" "$(dmesg | tail -n 5)"
fi

# post_busy: HvPostMessage fails with HV_STATUS_INSUFFICIENT_BUFFERS five
# times; the guest retries each post until the host takes it.
mark postbusy
echo $g >$drv/unbind
arm post_busy 5
if echo $g >$drv/bind 2>/dev/null && works && ! logged "refused message type"; then
	tap_ok "post_busy: a host out of message buffers is asked again, and the open works"
else
	tap_fail "post_busy: a host out of message buffers is asked again, and the open works" \
		"$(cat $d/echo_test); $(dmesg | tail -n 5)"
fi

# post_invalid: HvPostMessage fails with HV_STATUS_INVALID_PARAMETER; the
# open fails at once with -EINVAL, keeps nothing for the host, and the
# device can still be removed; a later device works.
mark postinvalid
arm post_invalid 1
s=$(hvctl sim add echo)
if appears "$s" 10 && wait_for 10 logged "cannot open the echo channel (-22)" &&
	logged "refused message type 8 .*status 5" && ! logged "kept, not freed" &&
	hvctl sim remove $s && wait_for 10 hvk_gone "/sys/bus/vmbus/devices/$s" &&
	s2=$(hvk_echo_add) && echo "5 100" >/sys/bus/vmbus/devices/$s2/echo_test; then
	tap_ok "post_invalid: a refused post fails the open cleanly, the device goes, the next one works"
else
	tap_fail "post_invalid: a refused post fails the open cleanly, the device goes, the next one works" \
		"$(dmesg | tail -n 8)"
fi
[ -n "$s2" ] && hvctl sim remove $s2

bad=$(hvctl sim faults | awk -v armed="$ARMED" 'BEGIN { n = split(armed, a); for (i = 1; i <= n; i++) want[a[i]] = 1 }
	NR > 1 && ($1 in want) && ($2 != 0 || $3 == 0) { print $1 " armed " $2 " hits " $3 }')
[ -n "$ARMED" ] && [ -z "$bad" ] && tap_ok "every fault armed here fired, and none is left armed" ||
	tap_fail "every fault armed here fired, and none is left armed" "$bad"
tap_done
