#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# VSS (backup): the host's FREEZE, THAW and HOT_BACKUP reach upstream's
# hv_vss_daemon through /dev/vmbus/hv_vss, which freezes a real ext4
# filesystem; with no daemon, a daemon that dies, or one that never
# answers, the host gets E_FAIL in time and the guest is not left frozen
# where upstream would not be. Bad requests are refused and never reach
# the daemon.
#
# The daemon under test is $VSS_DAEMON: upstream's hv_vss_daemon (Debian's
# hyperv-daemons) by default, hvkit's hypervvssd when this script runs as
# daemons/vss (selftests/daemons/vss.sh is a link to it).
. /hvkit/lib/tap.sh
case $0 in */daemons/*) : "${VSS_DAEMON:=hypervvssd}" ;; esac
VSS_DAEMON=${VSS_DAEMON:-hv_vss_daemon}
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v $VSS_DAEMON >/dev/null || tap_skip_all "$VSS_DAEMON is not in the image"
# The RAM disk the frozen filesystem lives on (brd) must exist in this kernel.
find /lib/modules/$(uname -r) -name 'brd.ko*' | grep -q . || [ -d /sys/module/brd ] ||
	tap_skip_all "this kernel has no brd module for the RAM disk"
tap_plan 18

mnt=/mnt/vss
par=/sys/module/hvkit_utils/parameters
cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }	# centiseconds since boot
bad() { sed -n 's/.* bad=\([0-9]*\).*/\1/p' $d/ic_stats; }
vss() { hvctl sim vss --instance "$g" "$@"; }
# The daemon registered: HOT_BACKUP reaches it (E_FAIL at once before).
vss_ready() { vss hot-backup >/dev/null 2>&1; }
start_daemon() {
	$VSS_DAEMON -n </dev/null >/dev/null 2>&1 &
	dpid=$!
	wait_for 20 vss_ready
}
# start_write N: a write and an fsync to the filesystem, in the background.
start_write() {
	rm -f /tmp/vss-w$1.done
	(dd if=/dev/zero of=$mnt/w$1 bs=4k count=1 conv=fsync 2>/dev/null && touch /tmp/vss-w$1.done) &
	wpid=$!
}
blocked() { hvk_sleep 2; [ ! -e /tmp/vss-w$1.done ] && kill -0 $wpid 2>/dev/null; }
# The shell as the daemon: read one message (hex), write bytes given in octal escapes.
dev_read() { { timeout "$1" dd bs=8192 count=1 <&3; } 2>/dev/null | od -An -v -tx1 | tr -d ' \n'; }
dev_write() { printf "$1" | dd bs=8192 count=1 >&3 2>/dev/null; }
z11='\000\000\000\000\000\000\000\000\000\000\000'
cleanup() {
	fsfreeze --unfreeze $mnt 2>/dev/null
	[ -n "${dpid:-}" ] && kill -9 $dpid 2>/dev/null
	umount $mnt 2>/dev/null
}
trap cleanup EXIT

g=$(hvctl sim add vss) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 sh -c "grep -q 'framework=3.0 version=5.0' $d/ic_stats" &&
	wait_for 10 test -c /dev/vmbus/hv_vss &&
	tap_ok "a vss device negotiates framework 3.0 and VSS 5.0, and /dev/vmbus/hv_vss appears" ||
	tap_fail "a vss device negotiates framework 3.0 and VSS 5.0, and /dev/vmbus/hv_vss appears" \
		"$(cat $d/ic_stats 2>&1; ls -l /dev/vmbus 2>&1)"

t0=$(cs); out=$(vss freeze 2>&1); rc=$?; t1=$(cs)
[ $rc -eq 1 ] && echo "$out" | grep -q 'E_FAIL (0x80004005)' && [ $((t1 - t0)) -lt 300 ] &&
	tap_ok "with no daemon, FREEZE is answered E_FAIL at once" ||
	tap_fail "with no daemon, FREEZE is answered E_FAIL at once" "rc=$rc in $((t1 - t0)) cs: $out"

ok=1; out=
for op in get-dm-info create delete bu-complete auto-recover; do
	o=$(vss $op 2>&1) || ok=0
	out="$out$o
"
done
[ $ok = 1 ] && echo "$out" | grep -q '^get-dm-info: S_OK .*flags 0x00000000' &&
	tap_ok "GET_DM_INFO (flags 0), CREATE, DELETE, BU_COMPLETE and AUTO_RECOVER are answered S_OK by the kernel" ||
	tap_fail "GET_DM_INFO (flags 0), CREATE, DELETE, BU_COMPLETE and AUTO_RECOVER are answered S_OK by the kernel" "$out"

# The shell plays the daemon: the ABI byte for byte.
exec 3<>/dev/vmbus/hv_vss
dev_write "\201$z11"
v=$(dev_read 5)
[ "$v" = 81000000 ] &&
	tap_ok "REGISTER1 is answered with the kernel's u32 version, 129" ||
	tap_fail "REGISTER1 is answered with the kernel's u32 version, 129" "read: '$v'"

vss thaw --timeout-ms 20000 >/tmp/vss-o 2>&1 &
h=$!
m=$(dev_read 10)
dev_write '\000\000\000\000\000\000\000\000\000\000\000\000'
wait $h; rc=$?
[ "$m" = 060000000000000000000000 ] && [ $rc -eq 0 ] && grep -q '^thaw: S_OK' /tmp/vss-o &&
	tap_ok "THAW reaches the daemon as a 12-byte hv_vss_msg, and its status 0 reaches the host" ||
	tap_fail "THAW reaches the daemon as a 12-byte hv_vss_msg, and its status 0 reaches the host" \
		"daemon read '$m'; host rc=$rc: $(cat /tmp/vss-o)"

vss hot-backup --timeout-ms 20000 >/tmp/vss-o 2>&1 &
h=$!
m=$(dev_read 10)
dev_write "\002$z11"
wait $h
[ "$m" = 020000000000000000000000 ] && grep -q 'flags 0x00000005' /tmp/vss-o &&
	tap_ok "an answer whose first byte reads HOT_BACKUP gets VSS_HBU_NO_AUTO_RECOVERY in the host's flags, as upstream" ||
	tap_fail "an answer whose first byte reads HOT_BACKUP gets VSS_HBU_NO_AUTO_RECOVERY in the host's flags, as upstream" \
		"daemon read '$m': $(cat /tmp/vss-o)"

b0=$(bad)
out=$(vss 200 2>&1); rc=$?
m=$(dev_read 1)
[ $rc -eq 1 ] && echo "$out" | grep -q E_FAIL && [ "$(bad)" -eq $((b0 + 1)) ] && [ -z "$m" ] &&
	tap_ok "an unknown VSS operation is refused with E_FAIL, counted, and never reaches the daemon" ||
	tap_fail "an unknown VSS operation is refused with E_FAIL, counted, and never reaches the daemon" \
		"rc=$rc bad $b0 -> $(bad), daemon read '$m': $out"

b0=$(bad)
out=$(hvctl sim raw $g 5 050000 2>&1)
m=$(dev_read 1)
echo "$out" | grep -q '^status 0x80004005' && [ "$(bad)" -eq $((b0 + 1)) ] && [ -z "$m" ] &&
	tap_ok "a VSS message shorter than its struct is refused with E_FAIL and never reaches the daemon" ||
	tap_fail "a VSS message shorter than its struct is refused with E_FAIL and never reaches the daemon" \
		"bad $b0 -> $(bad), daemon read '$m': $out"
exec 3<&-

# The daemon and an ext4 filesystem on a RAM disk (loop devices are skipped).
modprobe brd rd_nr=1 rd_size=32768 && modprobe crc32c_generic && modprobe ext4 && mkdir -p $mnt &&
	mkfs.ext4 -q -F /dev/ram0 >/dev/null 2>&1 && mount -t ext4 /dev/ram0 $mnt &&
	start_daemon &&
	tap_ok "$VSS_DAEMON registers, with an ext4 filesystem mounted" ||
	tap_fail "$VSS_DAEMON registers, with an ext4 filesystem mounted" "$(grep ram0 /proc/mounts; dmesg | tail -n 5)"

out=$(vss freeze 2>&1) && start_write 1 && blocked 1 &&
	tap_ok "FREEZE freezes the filesystem: a write and fsync started then does not complete" ||
	tap_fail "FREEZE freezes the filesystem: a write and fsync started then does not complete" \
		"$out; done=$(ls /tmp/vss-w1.done 2>&1)"

out=$(vss thaw 2>&1) && wait_for 10 test -e /tmp/vss-w1.done &&
	tap_ok "THAW thaws it: the blocked write completes" ||
	tap_fail "THAW thaws it: the blocked write completes" "$out"

out=$(vss hot-backup 2>&1) && echo "$out" | grep -q '^hot-backup: S_OK' &&
	tap_ok "HOT_BACKUP is answered S_OK by $VSS_DAEMON" ||
	tap_fail "HOT_BACKUP is answered S_OK by $VSS_DAEMON" "$out"

# A daemon killed while the filesystem is frozen: upstream cannot thaw
# then either; the next daemon's THAW does.
vss freeze >/dev/null 2>&1 && kill -9 $dpid && wait $dpid 2>/dev/null
t0=$(cs); out=$(vss thaw 2>&1); rc=$?; t1=$(cs)
start_write 2
if [ $rc -eq 1 ] && [ $((t1 - t0)) -lt 300 ] && blocked 2 && start_daemon &&
	o2=$(vss thaw 2>&1) && wait_for 10 test -e /tmp/vss-w2.done; then
	tap_ok "a daemon killed while frozen: THAW gets E_FAIL at once, and the next daemon's THAW thaws"
else
	tap_fail "a daemon killed while frozen: THAW gets E_FAIL at once, and the next daemon's THAW thaws" \
		"rc=$rc in $((t1 - t0)) cs: $out; then: ${o2:-}"
fi

# A daemon that dies with a request: E_FAIL at once, not after 15 minutes.
kill -STOP $dpid
vss freeze >/tmp/vss-o 2>&1 &
h=$!
hvk_sleep 1
t0=$(cs); kill -9 $dpid; wait $h; rc=$?; t1=$(cs)
start_write 3
[ $rc -eq 1 ] && grep -q E_FAIL /tmp/vss-o && [ $((t1 - t0)) -lt 300 ] && wait_for 10 test -e /tmp/vss-w3.done &&
	tap_ok "a daemon killed in the middle of FREEZE: the host gets E_FAIL at once, nothing stays frozen" ||
	tap_fail "a daemon killed in the middle of FREEZE: the host gets E_FAIL at once, nothing stays frozen" \
		"rc=$rc in $((t1 - t0)) cs: $(cat /tmp/vss-o)"
wait $dpid 2>/dev/null

# A daemon that never answers: FREEZE times out after vss_freeze_timeout.
start_daemon
echo 2 >$par/vss_freeze_timeout
kill -STOP $dpid
t0=$(cs); out=$(vss freeze 2>&1); rc=$?; t1=$(cs)
[ $rc -eq 1 ] && echo "$out" | grep -q E_FAIL && [ $((t1 - t0)) -ge 150 ] && [ $((t1 - t0)) -lt 600 ] &&
	tap_ok "a daemon that never answers: FREEZE gets E_FAIL after vss_freeze_timeout (2 s)" ||
	tap_fail "a daemon that never answers: FREEZE gets E_FAIL after vss_freeze_timeout (2 s)" \
		"rc=$rc in $((t1 - t0)) cs: $out"

# Continued, it carries out the stale FREEZE; its answer is refused, so
# it reopens the device, thawing first, and registers again.
kill -CONT $dpid
hvk_sleep 1
start_write 4
wait_for 20 vss_ready && wait_for 10 test -e /tmp/vss-w4.done && vss freeze >/dev/null && vss thaw >/dev/null &&
	tap_ok "continued, that daemon's late answer is refused; it thaws, registers again and serves" ||
	tap_fail "continued, that daemon's late answer is refused; it thaws, registers again and serves" \
		"$(dmesg | tail -n 5)"
echo 900 >$par/vss_freeze_timeout

echo 1 >$par/vss_timeout
kill -STOP $dpid
t0=$(cs); out=$(vss thaw 2>&1); rc=$?; t1=$(cs)
kill -CONT $dpid
[ $rc -eq 1 ] && [ $((t1 - t0)) -ge 50 ] && [ $((t1 - t0)) -lt 500 ] &&
	tap_ok "THAW waits vss_timeout (1 s), not the freeze timeout" ||
	tap_fail "THAW waits vss_timeout (1 s), not the freeze timeout" "rc=$rc in $((t1 - t0)) cs: $out"
echo 30 >$par/vss_timeout
wait_for 20 vss_ready

hvctl sim remove $g && wait_for 10 hvk_gone "$d" && wait_for 10 sh -c "! kill -0 $dpid" &&
	! test -e /dev/vmbus/hv_vss && umount $mnt && rmmod hvkit_utils &&
	tap_ok "removing the device ends the daemon, and hvkit_utils unloads" ||
	tap_fail "removing the device ends the daemon, and hvkit_utils unloads" "$(ps; lsmod)"
dpid=
rmmod brd 2>/dev/null
rmmod hvkit_sim 2>/dev/null
tap_done
