#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# File copy: the host copies files into the guest through upstream's
# hv_fcopy_daemon and /dev/vmbus/hv_fcopy with the pre-6.10 ABI (checked
# byte for byte with the shell as the daemon); sizes from 0 to 4 MiB (hvk_scale)
# arrive whole; overwrite, create-path and cancel behave as Hyper-V's
# guest services copy; no daemon, a killed daemon and a stopped one give
# the host a timely error; bad requests are refused and never reach the
# daemon.
#
# The daemon under test is $FCOPY_DAEMON: upstream's hv_fcopy_daemon
# (Debian's hyperv-daemons) by default, hvkit's hypervfcopyd when this
# script runs as daemons/fcopy (selftests/daemons/fcopy.sh is a link to it).
# Upstream's daemon writes the destination in place, hvkit's a temporary
# file beside it (.NAME.~hvfcopy.*) renamed at the end: grown() reads
# whichever is growing.
. /hvkit/lib/tap.sh
case $0 in */daemons/*) : "${FCOPY_DAEMON:=hypervfcopyd}" ;; esac
FCOPY_DAEMON=${FCOPY_DAEMON:-hv_fcopy_daemon}
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
command -v $FCOPY_DAEMON >/dev/null || tap_skip_all "$FCOPY_DAEMON is not in the image"
tap_plan 23

dst=/tmp/fc
src=/tmp/fc-src
par=/sys/module/hvkit_utils/parameters
mkdir -p $dst $src
cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }	# centiseconds since boot
bad() { sed -n 's/.* bad=\([0-9]*\).*/\1/p' $d/ic_stats; }
fc() { hvctl sim fcopy --instance "$g" "$@"; }
raw() { hvctl sim raw "$g" 7 "$@"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
regs() { dmesg | grep -c 'fcopy: daemon registered'; }
start_daemon() {
	local n
	n=$(regs)
	$FCOPY_DAEMON -n </dev/null >/dev/null 2>&1 &
	dpid=$!
	wait_for 20 sh -c "[ \$(dmesg | grep -c 'fcopy: daemon registered') -gt $n ]"
}
# The shell as the daemon: read one message (hex), write bytes given in octal escapes.
dev_read() { { timeout "$1" dd bs=8192 count=1 <&3; } 2>/dev/null | od -An -v -tx1 | tr -d ' \n'; }
dev_write() { printf "$1" | dd bs=8192 count=1 >&3 2>/dev/null; }
# hexat HEX OFFSET BYTES: those bytes of a message read by dev_read
hexat() { echo "$1" | cut -c $(($2 * 2 + 1))-$((($2 + $3) * 2)); }
zeros() { printf '00%.0s' $(seq "$1"); }
u16() { printf "${1}00%.0s" $(seq "$2"); }	# $2 UTF-16 units of the byte $1 (hex)
# grown NAME BYTES: a copy to $dst/NAME has written BYTES or more so far
grown() { [ "$({ stat -c %s $dst/$1 $dst/.$1.~hvfcopy.* 2>/dev/null; echo 0; } | sort -n | tail -n 1)" -ge $2 ]; }
leftover() { ls -d $dst/.*.~hvfcopy.* 2>/dev/null; }
cleanup() { [ -n "${dpid:-}" ] && kill -9 $dpid 2>/dev/null; }
trap cleanup EXIT

g=$(hvctl sim add fcopy) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 sh -c "grep -q 'framework=3.0 version=1.1' $d/ic_stats" &&
	wait_for 10 test -c /dev/vmbus/hv_fcopy &&
	tap_ok "an fcopy device negotiates framework 3.0 and file copy 1.1, and /dev/vmbus/hv_fcopy appears" ||
	tap_fail "an fcopy device negotiates framework 3.0 and file copy 1.1, and /dev/vmbus/hv_fcopy appears" \
		"$(cat $d/ic_stats 2>&1; ls -l /dev/vmbus 2>&1)"

printf 'hello' >$src/five
t0=$(cs); out=$(fc $src/five $dst/nodaemon 2>&1); rc=$?; t1=$(cs)
[ $rc -eq 1 ] && echo "$out" | grep -q 'E_FAIL (0x80004005)' && [ $((t1 - t0)) -lt 300 ] &&
	! test -e $dst/nodaemon &&
	tap_ok "with no daemon, a copy gets E_FAIL at once and writes nothing" ||
	tap_fail "with no daemon, a copy gets E_FAIL at once and writes nothing" "rc=$rc in $((t1 - t0)) cs: $out"

# The shell plays the daemon: the pre-6.10 ABI byte for byte.
exec 3<>/dev/vmbus/hv_fcopy
dev_write '\001\000\000\000'
v=$(dev_read 5)
[ "$v" = 01000000 ] &&
	tap_ok "a daemon registering with FCOPY_VERSION_1 is answered with the kernel's u32 version 1" ||
	tap_fail "a daemon registering with FCOPY_VERSION_1 is answered with the kernel's u32 version 1" "read: '$v'"

fc $src/five $dst/abi.txt --overwrite --timeout-ms 20000 >/tmp/fc-o 2>&1 &
h=$!
s=$(dev_read 10)
dev_write '\000\000\000\000'
[ ${#s} -eq 2176 ] && [ "$(hexat "$s" 0 4)" = 00000000 ] &&
	[ "$(hexat "$s" 36 8)" = 6162692e74787400 ] && [ "$(hexat "$s" 556 9)" = 2f746d702f66632f00 ] &&
	[ "$(hexat "$s" 1076 12)" = 010000000500000000000000 ] &&
	tap_ok "START_FILE_COPY reaches the daemon as 1088 bytes, names in UTF-8 at 36 and 556, flags and size after" ||
	tap_fail "START_FILE_COPY reaches the daemon as 1088 bytes, names in UTF-8 at 36 and 556, flags and size after" \
		"read ${#s} hex digits: $(hexat "$s" 0 48) ... $(hexat "$s" 556 16) ... $(hexat "$s" 1076 12)"
w=$(dev_read 10)
dev_write '\000\000\000\000'
c=$(dev_read 10)
dev_write '\000\000\000\000'
wait $h; rc=$?
# pad 0, offset 0, size 5, "hello"
[ ${#w} -eq 12392 ] && [ "$(hexat "$w" 0 4)" = 01000000 ] &&
	[ "$(hexat "$w" 36 21)" = 00000000000000000000000005000000""68656c6c6f ] &&
	[ "$(hexat "$w" 57 6139)" = "$(zeros 6139)" ] && [ "$c" = 02$(zeros 35) ] && [ $rc -eq 0 ] && grep -q '^copied 5 bytes' /tmp/fc-o &&
	tap_ok "WRITE_TO_FILE reaches the daemon as 6196 bytes, a u32 pad before the offset, then COMPLETE_FCOPY" ||
	tap_fail "WRITE_TO_FILE reaches the daemon as 6196 bytes, a u32 pad before the offset, then COMPLETE_FCOPY" \
		"write ${#w} hex digits: $(hexat "$w" 0 4) $(hexat "$w" 36 21); complete '$c'; host rc=$rc: $(cat /tmp/fc-o)"

# Bad requests from the host: E_FAIL, counted, nothing for the daemon.
hdr=00000000$(zeros 32)
path=$(u16 2f 1)$(u16 74 1)$(u16 6d 1)$(u16 70 1)$(u16 2f 1)$(zeros 510)	# "/tmp/"
name=$(u16 78 1)$(zeros 518)						# "x"
tail0=$(zeros 12)
refused() {	# refused NAME COUNT HEX...: each body is refused and reaches no daemon
	local what=$1 n=$2 b0 out all= ok=1 m
	shift 2
	b0=$(bad)
	for body; do
		out=$(raw "$body" 2>&1)
		echo "$out" | grep -q '^status 0x80004005' || ok=0
		all="$all $out"
	done
	m=$(dev_read 1)
	[ $ok = 1 ] && [ "$(bad)" -eq $((b0 + n)) ] && [ -z "$m" ] && tap_ok "$what" ||
		tap_fail "$what" "bad $b0 -> $(bad), daemon read '$m':$all"
}
refused "a file name or path not terminated within 260 UTF-16 units is refused and reaches no daemon" 2 \
	"$hdr$(u16 61 260)$path$tail0" "$hdr$name$(u16 62 260)$tail0"
refused "a name longer than 259 bytes in UTF-8 (130 x U+00E9) is refused and reaches no daemon" 1 \
	"$hdr$(printf 'e900%.0s' $(seq 130))$(zeros 260)$path$tail0"
refused "copy flags past OVER_WRITE and CREATE_PATH are refused" 1 \
	"$hdr$name${path}04000000$(zeros 8)"
whdr=01000000$(zeros 32)00000000$(zeros 8)
refused "WRITE_TO_FILE with a size past the 6 KiB fragment or past its message is refused" 2 \
	"${whdr}01180000" "${whdr}64000000$(zeros 50)"
refused "a message shorter than its struct, or of an unknown operation, is refused" 3 \
	"$(echo "$hdr$name$path$tail0" | cut -c 1-1000)" "${whdr}" "09000000$(zeros 32)"
exec 3<&-

# The daemon.
start_daemon &&
	: >$src/zero && fc $src/zero $dst/zero >/dev/null && test -f $dst/zero && ! test -s $dst/zero &&
	tap_ok "$FCOPY_DAEMON registers, and a 0-byte file copies" ||
	tap_fail "$FCOPY_DAEMON registers, and a 0-byte file copies" "$(ls -l $dst; dmesg | tail -n 5)"

printf 'Z' >$src/one
fc $src/one $dst/one >/dev/null && [ "$(sum $src/one)" = "$(sum $dst/one)" ] &&
	tap_ok "a 1-byte file copies, checksum equal" ||
	tap_fail "a 1-byte file copies, checksum equal" "$(ls -l $dst/one 2>&1)"

mb=$(hvk_scale 4)
dd if=/dev/urandom of=$src/big bs=1M count=$mb 2>/dev/null
out=$(fc $src/big $dst/big 2>&1) && [ "$(sum $src/big)" = "$(sum $dst/big)" ] &&
	echo "$out" | grep -q "^copied $((mb << 20)) bytes" &&
	tap_ok "a $mb MiB file copies in 6 KiB requests, checksum equal" ||
	tap_fail "a $mb MiB file copies in 6 KiB requests, checksum equal" "$out; $(ls -l $dst/big 2>&1)"

printf 'old' >$dst/exists
out=$(fc $src/one $dst/exists 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'ERROR_ALREADY_EXISTS (0x80070050)' && [ "$(cat $dst/exists)" = old ] &&
	tap_ok "an existing file without --overwrite: ERROR_ALREADY_EXISTS, the file unchanged" ||
	tap_fail "an existing file without --overwrite: ERROR_ALREADY_EXISTS, the file unchanged" \
		"rc=$rc: $out; file: $(cat $dst/exists)"

# The CANCEL_FCOPY the host sent there may make upstream's daemon reopen
# its device (docs/util.md): wait until it serves again.
wait_for 10 sh -c "fc $src/zero $dst/zero2 >/dev/null 2>&1"
fc $src/one $dst/exists --overwrite >/dev/null && [ "$(cat $dst/exists)" = Z ] &&
	tap_ok "an existing file with --overwrite is replaced" ||
	tap_fail "an existing file with --overwrite is replaced" "$(cat $dst/exists)"

out=$(fc $src/one $dst/new/a/b/one 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q E_FAIL && ! test -e $dst/new &&
	tap_ok "a path whose directories are missing, without --create-path: E_FAIL, nothing created" ||
	tap_fail "a path whose directories are missing, without --create-path: E_FAIL, nothing created" \
		"rc=$rc: $out; $(ls -R $dst/new 2>&1)"

wait_for 10 sh -c "fc $src/zero $dst/zero2 --overwrite >/dev/null 2>&1"
fc $src/big $dst/new/a/b/big --create-path >/dev/null && [ "$(sum $src/big)" = "$(sum $dst/new/a/b/big)" ] &&
	tap_ok "with --create-path the missing directories are made and the file copies" ||
	tap_fail "with --create-path the missing directories are made and the file copies" "$(ls -R $dst/new 2>&1)"

# Cancel from another socket in the middle of a copy.
fc $src/big $dst/cancelled --chunk 512 >/tmp/fc-o 2>&1 &
h=$!
wait_for 60 grown cancelled 65536
out=$(fc cancel 2>&1); crc=$?
wait $h; rc=$?
[ $crc -eq 0 ] && echo "$out" | grep -q 'CANCEL_FCOPY with S_OK' && [ $rc -eq 1 ] &&
	grep -q 'the copy was cancelled' /tmp/fc-o && ! test -e $dst/cancelled && [ -z "$(leftover)" ] &&
	tap_ok "a copy cancelled midway fails with 'cancelled', and the guest removes the partial file" ||
	tap_fail "a copy cancelled midway fails with 'cancelled', and the guest removes the partial file" \
		"cancel rc=$crc: $out; copy rc=$rc: $(cat /tmp/fc-o); $(ls -l $dst/cancelled 2>&1)"

out=$(fc cancel 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'no copy is under way' &&
	tap_ok "cancel with no copy under way is an error that says so" ||
	tap_fail "cancel with no copy under way is an error that says so" "rc=$rc: $out"

# A daemon killed in the middle of a copy; the next daemon serves.
fc $src/big $dst/killed --chunk 512 >/tmp/fc-o 2>&1 &
h=$!
wait_for 60 grown killed 65536
t0=$(cs); kill -9 $dpid; wait $h; rc=$?; t1=$(cs)
wait $dpid 2>/dev/null
[ $rc -eq 1 ] && grep -q E_FAIL /tmp/fc-o && [ $((t1 - t0)) -lt 500 ] &&
	start_daemon && fc $src/big $dst/after-kill >/dev/null && [ "$(sum $src/big)" = "$(sum $dst/after-kill)" ] &&
	tap_ok "a daemon killed mid-copy: the copy fails at once with E_FAIL, and a new daemon serves the next" ||
	tap_fail "a daemon killed mid-copy: the copy fails at once with E_FAIL, and a new daemon serves the next" \
		"copy rc=$rc in $((t1 - t0)) cs: $(cat /tmp/fc-o)"

# A daemon that never answers: each request has fcopy_timeout seconds.
echo 2 >$par/fcopy_timeout
kill -STOP $dpid
t0=$(cs); out=$(fc $src/one $dst/stopped 2>&1); rc=$?; t1=$(cs)
[ $rc -eq 1 ] && echo "$out" | grep -q E_FAIL && [ $((t1 - t0)) -ge 150 ] && [ $((t1 - t0)) -lt 600 ] &&
	tap_ok "a daemon that never answers: the copy gets E_FAIL after fcopy_timeout (2 s)" ||
	tap_fail "a daemon that never answers: the copy gets E_FAIL after fcopy_timeout (2 s)" \
		"rc=$rc in $((t1 - t0)) cs: $out"
echo 30 >$par/fcopy_timeout

# Continued, it carries out the stale START; its answer is refused, so it
# reopens the device, removing the file it made, and registers again.
n=$(regs)
kill -CONT $dpid
wait_for 20 sh -c "[ \$(dmesg | grep -c 'fcopy: daemon registered') -gt $n ]" &&
	! test -e $dst/stopped && fc $src/one $dst/after-stop >/dev/null &&
	tap_ok "continued, that daemon's late answer is refused; it drops the file, registers again and serves" ||
	tap_fail "continued, that daemon's late answer is refused; it drops the file, registers again and serves" \
		"$(ls -l $dst; dmesg | tail -n 5)"

hvctl sim remove $g && wait_for 10 hvk_gone "$d" && wait_for 10 sh -c "! kill -0 $dpid" &&
	! test -e /dev/vmbus/hv_fcopy && rmmod hvkit_utils &&
	tap_ok "removing the device ends the daemon, and hvkit_utils unloads" ||
	tap_fail "removing the device ends the daemon, and hvkit_utils unloads" "$(ps; lsmod)"
dpid=
rm -rf $dst $src
rmmod hvkit_sim 2>/dev/null
tap_done
