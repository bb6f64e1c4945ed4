#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The core's own edges, each once broken (issue 8): a host message left in
# its slot for want of memory, a rescind between a channel's GPADL and its
# OPEN, an offer that races a detach, UNLOAD on a host that lacks it, a
# probe that waits for its sub-channels, and one channel's callback never
# running on two CPUs at once.
. /hvkit/lib/tap.sh
tap_plan 8
mark() { M="hvk-teardown-$1-$$"; echo "$M" >/dev/kmsg; }
since() { dmesg | awk -v m="$M" 'index($0, m) { on = 1; next } on'; }
logged() { since | grep -q "$1"; }
fail_alloc=/sys/kernel/debug/hvkit_vmbus/fail_msg_alloc
mount -t debugfs none /sys/kernel/debug 2>/dev/null

modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"

# 1. Three host messages in a row find no memory for their copy: each
#    waits in its slot and is taken on a retry; none is lost.
mark alloc
echo 3 >$fail_alloc
g=$(hvk_echo_add)
if [ -n "$g" ] && [ "$(cat $fail_alloc)" = 0 ] && since | grep -q "waits in its slot" &&
	echo "20 300" >/sys/bus/vmbus/devices/$g/echo_test; then
	tap_ok "host messages that find no memory wait in their slot and are not lost"
else
	tap_fail "host messages that find no memory wait in their slot and are not lost" \
		"device '$g', fail_msg_alloc left $(cat $fail_alloc); $(since | tail -n 5)"
fi
echo 0 >$fail_alloc

# 2. The host rescinds a channel right after its ring GPADL is made: the
#    open fails at once with ENODEV instead of waiting out its timeout.
#    Whether the guest's OPEN goes out before or after it handles the
#    rescind is a race; five rounds see both orders.
mark gpadl
bad=
for i in 1 2 3 4 5; do
	hvctl sim fault rescind_after_gpadl 1
	s=$(hvctl sim add echo)
	if ! wait_for 20 hvk_gone "/sys/bus/vmbus/devices/$s"; then
		bad="round $i: device $s still there"
		break
	fi
done
n19=$(since | grep -c "cannot open the echo channel (-19)")
[ -z "$bad" ] && [ "$n19" = 5 ] &&
	tap_ok "a rescind between the ring's GPADL and OPEN fails the open with ENODEV, not a timeout" ||
	tap_fail "a rescind between the ring's GPADL and OPEN fails the open with ENODEV, not a timeout" \
		"$bad; $n19 of 5 with ENODEV: $(since | grep 'cannot open' | tail -n 5)"

# 3. A probe that waits for its sub-channels gets them (they are added on
#    their own queue, not behind the probe).
s=$(hvk_echo_add --channels 4)
got=$(cat /sys/bus/vmbus/devices/$s/subchannels_at_probe 2>/dev/null)
[ "$got" = "3 of 3" ] && tap_ok "a probe that waits for its 3 sub-channels finds them open" ||
	tap_fail "a probe that waits for its 3 sub-channels finds them open" "subchannels_at_probe: '$got'"

# 4. Echo traffic on 4 channels while their interrupts move between CPUs:
#    no channel's callback ever runs on two CPUs at once.
d=/sys/bus/vmbus/devices/$s
(echo "2000 4000" >$d/echo_test) &
bg=$!
n=0
while kill -0 $bg 2>/dev/null && [ $n -lt 200 ]; do
	for c in $d/channels/*; do
		cur=$(cat $c/cpu)
		echo $(( (cur + 1) % 2 )) >$c/cpu || n=-1000
	done
	n=$((n + 1))
done
wait $bg
res=$(cat $d/echo_test)
ov=$(cat $d/callback_overlaps)
case "$res" in ok*) ;; *) ov="traffic failed: $res" ;; esac
[ "$ov" = 0 ] && [ $n -gt 0 ] && tap_ok "a channel's callback never runs on two CPUs at once while MODIFYCHANNEL moves it ($n moves)" ||
	tap_fail "a channel's callback never runs on two CPUs at once while MODIFYCHANNEL moves it" "overlaps: $ov, moves: $n"

# 5. An offer that arrives while the guest detaches is dropped: nothing is
#    registered after the transport is gone, and the core unloads.
mark unload
hvctl sim fault offer_on_unload 1
rmmod hvkit_sim
left=$(ls /sys/bus/vmbus/devices | wc -l)
if [ "$left" = 0 ] && since | grep -q "while disconnecting, ignored"; then
	tap_ok "an offer racing the detach is dropped and no device outlives the host"
else
	tap_fail "an offer racing the detach is dropped and no device outlives the host" \
		"$left devices left: $(ls /sys/bus/vmbus/devices); $(since | tail -n 4)"
fi
rmmod hvkit_echo 2>/dev/null
if rmmod hvkit_vmbus; then
	tap_ok "the core unloads after the racing offer"
else
	tap_fail "the core unloads after the racing offer"
fi

# 6. A host of VMBus 2.4 takes no UNLOAD: the guest sends none and does not
#    wait for an answer that never comes.
modprobe hvkit_vmbus
mark v24
modprobe hvkit_sim max_version=0x20004
hvk_echo_add >/dev/null
rmmod hvkit_sim
if ! since | grep -qE "UNLOAD.*refused|did not answer UNLOAD"; then
	tap_ok "no UNLOAD is sent to a VMBus 2.4 host"
else
	tap_fail "no UNLOAD is sent to a VMBus 2.4 host" "$(since | grep UNLOAD)"
fi
modprobe hvkit_sim
mark v53
rmmod hvkit_sim
if since | grep -q "did not answer UNLOAD"; then
	tap_fail "a VMBus 5.3 host answers the UNLOAD sent at detach" "$(since | grep UNLOAD)"
else
	tap_ok "a VMBus 5.3 host answers the UNLOAD sent at detach"
fi
tap_done
