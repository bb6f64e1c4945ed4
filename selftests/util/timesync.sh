#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Time sync: the host's SYNC sets the guest's clock (an hour ahead moves
# CLOCK_REALTIME an hour), a SAMPLE moves only the PTP clock "hyperv",
# which reads the host's time (phc_ctl, from Debian's linuxptp) and runs
# on with the reference counter; timesync_implicit lets a SAMPLE far ahead
# step the clock; versions 3.0 and 1.0 work when pinned; messages shorter
# than their version's struct, stamped in the future or before 1970 are
# refused and counted.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v phc_ctl >/dev/null || tap_skip_all "no phc_ctl (linuxptp) in this guest"
# The test sends its own samples: the host's periodic one (every 5 s, as
# Hyper-V) would overwrite them.
echo 600000 >/sys/module/hvkit_sim/parameters/ts_interval_ms
tap_plan 12

stats() { cat /sys/bus/vmbus/devices/$1/ic_stats 2>&1; }
bad() { stats $1 | sed -n 's/.* bad=\([0-9]*\).*/\1/p'; }
# |$1 - $2| <= $3
near() { local d=$(( $1 - $2 )); [ ${d#-} -le $3 ]; }
# The PTP clock of time sync device $1: /dev/ptpN.
ptp_of() {
	local p dev
	dev=$(readlink -f /sys/bus/vmbus/devices/$1)
	for p in /sys/class/ptp/ptp*; do
		[ "$(readlink -f $p/device)" = "$dev" ] && { echo /dev/${p##*/}; return 0; }
	done
	return 1
}
# Whole seconds the PTP clock $1 reads.
phc() { phc_ctl -q "$1" get | sed -n 's/.*clock time is \([0-9]*\)\..*/\1/p'; }
cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }	# centiseconds since boot
# The PTP clock read $1, then $2 whole seconds, $4 centiseconds of uptime
# apart (read before $1 and after $2): it ran at least $3 s and no faster
# than the reference counter (CLOCK_MONOTONIC, as uptime), +1 s for the
# whole seconds and 1 s of slack. It did not jump, whatever the guest's
# speed: the reads and the commands between them may take seconds on a
# debug kernel.
ptp_ran() {
	[ -n "$1" ] && [ -n "$2" ] && [ $(($2 - $1)) -ge $3 ] && [ $((($2 - $1 - 2) * 100)) -le $4 ]
}
# How far the PTP clock $1 is from CLOCK_REALTIME, either way, in ms.
phc_off_ms() {
	phc_ctl -q "$1" cmp | sed -n 's/.*offset from CLOCK_REALTIME is \(-\{0,1\}[0-9]*\)ns.*/\1/p' |
		awk '{ v = $1 / 1000000; if (v < 0) v = -v; printf "%d\n", v }'
}
# A little-endian u64 as hex.
le64() { printf '%016x' "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/\8\7\6\5\4\3\2\1/'; }
# Now in the host's units: 100 ns since 1601.
wintime() { echo $(( 116444736000000000 + $(date +%s) * 10000000 )); }
# Wait until the clock is $2 (+-5) seconds past $1.
clock_moved() { wait_for 10 sh -c "d=\$(( \$(date +%s) - $1 - $2 )); [ \${d#-} -le 5 ]"; }

dmesg -c >/dev/null
g=$(hvctl sim add timesync) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 sh -c "grep -q 'framework=3.0 version=4.0' $d/ic_stats" &&
	wait_for 10 ptp_of $g >/dev/null && ptp=$(ptp_of $g) &&
	[ "$(cat /sys/class/ptp/${ptp#/dev/}/clock_name)" = hyperv ] &&
	tap_ok "a time sync device negotiates 4.0 and brings a PTP clock named hyperv ($ptp)" ||
	tap_fail "a time sync device negotiates 4.0 and brings a PTP clock named hyperv" \
		"$(stats $g; ls /sys/class/ptp; dmesg | tail -n 5)"

wait_for 20 sh -c "dmesg | grep -q 'timesync: clock set to the host.s time'" &&
	tap_ok "the host's SYNC after negotiation sets the guest's clock" ||
	tap_fail "the host's SYNC after negotiation sets the guest's clock" "$(dmesg | tail -n 5)"

t0=$(date +%s)
out=$(hvctl sim timesync sync --offset 3600 2>&1) && [ "$out" = "S_OK (0x00000000)" ] &&
	clock_moved $t0 3600 && t1=$(date +%s) &&
	hvctl sim timesync sync --offset -3600 >/dev/null && clock_moved $t0 0 &&
	tap_ok "a SYNC an hour ahead moves CLOCK_REALTIME an hour, and one an hour back returns it" ||
	tap_fail "a SYNC an hour ahead moves CLOCK_REALTIME an hour, and one an hour back returns it" \
		"$out: before $t0, after ${t1:-?}, now $(date +%s)"

t0=$(date +%s)
out=$(hvctl sim timesync sample --offset 1000 2>&1) && p=$(phc $ptp) && n=$(date +%s) &&
	near $((p - n)) 1000 5 && near $n $t0 5 &&
	tap_ok "a SAMPLE 1000 s ahead sets the PTP clock to the host's time and leaves CLOCK_REALTIME alone" ||
	tap_fail "a SAMPLE 1000 s ahead sets the PTP clock to the host's time and leaves CLOCK_REALTIME alone" \
		"$out: PTP ${p:-?}, clock ${n:-?} (was $t0)"

c1=$(cs); p1=$(phc $ptp); hvk_sleep 3; p2=$(phc $ptp); c2=$(cs)
ptp_ran "$p1" "$p2" 2 $((c2 - c1)) &&
	tap_ok "the PTP clock runs on from the sample with the reference counter" ||
	tap_fail "the PTP clock runs on from the sample with the reference counter" \
		"${p1:-?} then ${p2:-?} after 3 s, $(((c2 - c1) * 10)) ms apart"

out=$(hvctl sim timesync sample --time 2000000000.5 2>&1) && p=$(phc $ptp) &&
	near $p 2000000000 3 &&
	tap_ok "a SAMPLE of an absolute time (2033-05-18) reads back from the PTP clock" ||
	tap_fail "a SAMPLE of an absolute time (2033-05-18) reads back from the PTP clock" "$out: ${p:-?}"

# The host read its clock 4 s before the message arrived: 4.0 says at
# which reference count, and the guest adds the 4 s. (The host refuses a
# delay older than its reference counter, which started with hvkit_sim.)
wait_for 10 hvctl sim timesync sample --delay 4 >/dev/null && off=$(phc_off_ms $ptp) &&
	[ "$off" -lt 1500 ] &&
	tap_ok "a 4.0 sample 4 s late is corrected by the reference counter: the PTP clock reads the host's time now" ||
	tap_fail "a 4.0 sample 4 s late is corrected by the reference counter: the PTP clock reads the host's time now" \
		"$(hvctl sim timesync sample --delay 4 2>&1): the PTP clock is ${off:-?} ms off"

t0=$(date +%s)
echo 1 >/sys/module/hvkit_utils/parameters/timesync_implicit
out=$(hvctl sim timesync sample --offset 100 2>&1) && clock_moved $t0 100 && ok=1 || ok=
echo 0 >/sys/module/hvkit_utils/parameters/timesync_implicit
hvctl sim timesync sync --offset -100 >/dev/null && clock_moved $t0 0 || ok=
[ -n "$ok" ] &&
	tap_ok "with timesync_implicit a SAMPLE 100 s ahead sets the clock, as upstream" ||
	tap_fail "with timesync_implicit a SAMPLE 100 s ahead sets the clock, as upstream" \
		"$out: was $t0, now $(date +%s)"

# Below 4.0 a message carries the time alone, as of its arrival.
fails=
for v in 3.0 1.0; do
	g2=$(hvctl sim add timesync --fw-versions $v --versions $v)
	if wait_for 20 sh -c "grep -q 'framework=$v version=$v' /sys/bus/vmbus/devices/$g2/ic_stats" &&
		wait_for 10 ptp_of $g2 >/dev/null; then
		out=$(hvctl sim timesync sample --instance $g2 --offset 500 2>&1)
		p=$(phc "$(ptp_of $g2)")
		near "${p:-0}" $(( $(date +%s) + 500 )) 5 || fails="$fails $v: $out, PTP ${p:-?};"
		# No reference time: a late sample is taken as of its arrival.
		out=$(hvctl sim timesync sample --instance $g2 --delay 4 2>&1)
		off=$(phc_off_ms "$(ptp_of $g2)")
		near "${off:-0}" 4000 1500 || fails="$fails $v late: $out, ${off:-?} ms off;"
	else
		fails="$fails $v: $(stats $g2);"
	fi
	[ $v = 1.0 ] || hvctl sim remove $g2
done
[ -z "$fails" ] &&
	tap_ok "hosts pinned to time sync 3.0 and 1.0 get them; their samples reach the PTP clock as of arrival" ||
	tap_fail "hosts pinned to time sync 3.0 and 1.0 get them; their samples reach the PTP clock as of arrival" "$fails"

# Short messages: 21 of 4.0's 22 bytes; 24 of the old format's 25, and
# 4.0's 22 at 1.0.
b0=$(bad $g) b1=$(bad $g2)
ref=$(le64 "$(wintime)")0000000000000000010000000000
old=$(le64 "$(wintime)")0000000000000000000000000000000002
o1=$(hvctl sim raw $g 4 "$(echo $ref | cut -c1-42)")
o2=$(hvctl sim raw $g2 4 "$(echo $old | cut -c1-48)")
o3=$(hvctl sim raw $g2 4 "$ref")
o4=$(hvctl sim raw $g2 4 "$old")
printf '%s\n' "$o1" "$o2" "$o3" | grep -c '^status 0x80004005' | grep -qx 3 && echo "$o4" | grep -q '^status 0x00000000' &&
	[ "$(bad $g)" = $((b0 + 1)) ] && [ "$(bad $g2)" = $((b1 + 2)) ] &&
	dmesg | grep -q "timesync: message of 21 bytes refused: version 4.0's is 22" &&
	dmesg | grep -q "timesync: message of 22 bytes refused: version 1.0's is 25" &&
	tap_ok "a message shorter than its version's struct is refused (E_FAIL) and counted" ||
	tap_fail "a message shorter than its version's struct is refused (E_FAIL) and counted" \
		"$o1 / $o2 / $o3 / $o4 / $(stats $g) / $(stats $g2)"
hvctl sim remove $g2

# Used, the first would move the PTP clock ahead by the reference count
# (the seconds since hvkit_sim loaded), the second would leave it
# unreadable (before 1970).
b0=$(bad $g)
c0=$(cs)
p0=$(phc $ptp)
o1=$(hvctl sim raw $g 4 "$(le64 "$(wintime)")ffffffffffffffff010000000000")
o2=$(hvctl sim raw $g 4 "00000000000000000000000000000000010000000000")
p1=$(phc $ptp)
c1=$(cs)
printf '%s\n' "$o1" "$o2" | grep -c '^status 0x80004005' | grep -qx 2 && [ "$(bad $g)" = $((b0 + 2)) ] &&
	ptp_ran "$p0" "$p1" 0 $((c1 - c0)) &&
	tap_ok "a sample stamped after now, or a time before 1970, is refused, counted and not used" ||
	tap_fail "a sample stamped after now, or a time before 1970, is refused, counted and not used" \
		"$o1 / $o2 / PTP ${p0:-?} then ${p1:-?}, $(((c1 - c0) * 10)) ms apart / $(stats $g)"

hvctl sim remove $g && wait_for 10 hvk_gone "$ptp" && rmmod hvkit_utils &&
	tap_ok "removing the device takes its PTP clock away, and hvkit_utils unloads" ||
	tap_fail "removing the device takes its PTP clock away, and hvkit_utils unloads" "$(ls /dev/ptp*; lsmod)"
echo 5000 >/sys/module/hvkit_sim/parameters/ts_interval_ms
rmmod hvkit_sim 2>/dev/null
tap_done
