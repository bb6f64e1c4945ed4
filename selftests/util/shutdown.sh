#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Shutdown: the guest negotiates every version upstream speaks, refuses a
# hibernate it cannot carry out and keeps running, hands an accepted one
# to userspace (uevent), and refuses unknown flags and short messages,
# counting them. The power-off and the restart themselves end the run:
# selftests/host/shutdown-request.sh proves those from the host's side.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
tap_plan 9

stats() { cat /sys/bus/vmbus/devices/$1/ic_stats 2>&1; }
bad() { stats $1 | sed -n 's/.* bad=\([0-9]*\).*/\1/p'; }
# A shutdown message as raw hex: reason, timeout, flags, then BYTES of
# display message (2048 in a whole one).
sd_hex() {
	printf '00000080%08x%s' 0 "$(printf '%08x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')"
	awk -v n="$2" 'BEGIN { while (i++ < 2 * n) printf "0" }'
}

g=$(hvctl sim add shutdown) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 sh -c "grep -q 'framework=3.0 version=3.2' $d/ic_stats" &&
	tap_ok "a shutdown device binds hvkit_utils and negotiates framework 3.0, shutdown 3.2" ||
	tap_fail "a shutdown device binds hvkit_utils and negotiates framework 3.0, shutdown 3.2" \
		"$(stats $g; lsmod)"

# No resume device (this guest has no swap): hibernation is refused.
dmesg -c >/dev/null
echo 0:0 >/sys/power/resume 2>/dev/null
out=$(hvctl sim shutdown hibernate --reason "nightly hibernate" 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q '^E_FAIL (0x80004005)' &&
	dmesg | grep -q 'shutdown: the host asks to hibernate (reason 0x80000000, timeout 0 s): "nightly hibernate"' &&
	dmesg | grep -q 'shutdown: hibernate refused' &&
	! dmesg | grep -qE 'hibernation uevent sent|powering off|restarting' &&
	tap_ok "a hibernate request is refused (E_FAIL) without a resume device, and the guest runs on" ||
	tap_fail "a hibernate request is refused (E_FAIL) without a resume device, and the guest runs on" \
		"rc=$rc: $out; $(dmesg | tail -n 5)"

# With a resume device named, the kernel would hibernate: the request is
# accepted and handed to userspace, as upstream does, by a uevent.
if grep -qw disk /sys/power/state && echo 0:1 >/sys/power/resume 2>/dev/null &&
	[ "$(cat /sys/power/resume)" = 0:1 ]; then
	dmesg -c >/dev/null
	out=$(hvctl sim shutdown hibernate --force 2>&1)
	[ "$out" = "S_OK (0x00000000)" ] &&
		wait_for 10 sh -c "dmesg | grep -q 'shutdown: hibernation uevent sent (EVENT=hibernate)'" &&
		dmesg | grep -q 'the host asks to hibernate, forced' &&
		tap_ok "with a resume device a hibernate request is accepted and userspace told (EVENT=hibernate)" ||
		tap_fail "with a resume device a hibernate request is accepted and userspace told (EVENT=hibernate)" \
			"$out; $(dmesg | tail -n 5)"
	echo 0:0 >/sys/power/resume
else
	tap_skip "with a resume device a hibernate request is accepted and userspace told (EVENT=hibernate)" \
		"this kernel cannot hibernate ($(cat /sys/power/state))"
fi

# Unknown flags (6: restart and hibernate at once): E_FAIL, counted.
b0=$(bad $g)
out=$(hvctl sim raw $g 3 "$(sd_hex 6 2048)" 2>&1)
echo "$out" | grep -q '^status 0x80004005' && [ "$(bad $g)" = $((b0 + 1)) ] &&
	dmesg | grep -q 'shutdown: request with unknown flags 0x6 refused' &&
	tap_ok "a request with unknown flags is refused (E_FAIL) and counted" ||
	tap_fail "a request with unknown flags is refused (E_FAIL) and counted" "$out; $(stats $g)"

# One byte short of a whole message (flags 0: a power-off, were it read).
b0=$(bad $g)
out=$(hvctl sim raw $g 3 "$(sd_hex 0 2047)" 2>&1)
echo "$out" | grep -q '^status 0x80004005' && [ "$(bad $g)" = $((b0 + 1)) ] &&
	dmesg | grep -q 'shutdown: request of 2059 bytes refused: a shutdown request is 2060' &&
	tap_ok "a power-off one byte short of a whole message is refused (E_FAIL) and counted" ||
	tap_fail "a power-off one byte short of a whole message is refused (E_FAIL) and counted" \
		"$out; $(stats $g)"
hvctl sim remove $g

# Every version upstream speaks, each the only one the host offers.
fails=
for v in 3.2 3.1 3.0 1.0; do
	for fw in 3.0 1.0; do
		g2=$(hvctl sim add shutdown --fw-versions $fw --versions $v) &&
			wait_for 20 sh -c "grep -q 'framework=$fw version=$v' /sys/bus/vmbus/devices/$g2/ic_stats" ||
			fails="$fails fw $fw/sd $v: $(stats $g2)"
		hvctl sim remove $g2
	done
done
[ -z "$fails" ] &&
	tap_ok "a host pinned to shutdown 3.2, 3.1, 3.0 or 1.0 (framework 3.0 or 1.0) gets that version" ||
	tap_fail "a host pinned to shutdown 3.2, 3.1, 3.0 or 1.0 (framework 3.0 or 1.0) gets that version" "$fails"

# Restart came with 3.1 and hibernate with 3.2: Hyper-V sends neither to
# an older guest, and this host refuses to.
g3=$(hvctl sim add shutdown --versions 3.0) &&
	wait_for 20 sh -c "grep -q 'version=3.0' /sys/bus/vmbus/devices/$g3/ic_stats" &&
	r0=$(stats $g3) &&
	out=$(hvctl sim shutdown restart --instance $g3 2>&1; echo "rc=$?") &&
	echo "$out" | grep -q 'older than 3.1' && echo "$out" | grep -q 'rc=1' &&
	out2=$(hvctl sim shutdown hibernate --instance $g3 2>&1) ; echo "$out2" | grep -q 'older than 3.2' &&
	[ "$(stats $g3)" = "$r0" ] &&
	tap_ok "the host sends no restart to a guest of shutdown 3.0, and no hibernate below 3.2" ||
	tap_fail "the host sends no restart to a guest of shutdown 3.0, and no hibernate below 3.2" \
		"$out / $out2 / $(stats $g3)"
hvctl sim remove $g3

g4=$(hvctl sim add shutdown --versions 3.1) &&
	wait_for 20 sh -c "grep -q 'version=3.1' /sys/bus/vmbus/devices/$g4/ic_stats" &&
	out=$(hvctl sim shutdown hibernate --instance $g4 2>&1); echo "$out" | grep -q 'older than 3.2' &&
	tap_ok "a guest of shutdown 3.1 is sent no hibernate" ||
	tap_fail "a guest of shutdown 3.1 is sent no hibernate" "$out"
hvctl sim remove $g4

rmmod hvkit_utils && ! grep -q '^hvkit_utils ' /proc/modules &&
	tap_ok "with the devices gone hvkit_utils unloads" ||
	tap_fail "with the devices gone hvkit_utils unloads" "$(lsmod)"
rmmod hvkit_sim 2>/dev/null
tap_done
