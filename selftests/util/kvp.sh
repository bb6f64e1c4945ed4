#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# KVP (data exchange) against upstream's hv_kvp_daemon (Debian's
# hyperv-daemons), or the daemon KVP_DAEMON names (selftests/daemons/kvp.sh,
# a link to this file, runs it with hvkit's hypervkvpd): the host sets, gets, deletes and enumerates keys in the
# guest's pools and reads an adapter's addresses; the pools are the
# daemon's files in upstream's record format. Without a daemon, with one
# that dies or never answers, the host gets an error in time and the next
# daemon serves; malformed requests are refused and reach nobody.
. /hvkit/lib/tap.sh
modprobe hvkit_sim || tap_skip_all "hvkit_sim does not load"
case $0 in */daemons/*) : "${KVP_DAEMON:=hypervkvpd}" ;; esac
KVP_DAEMON=${KVP_DAEMON:-hv_kvp_daemon}
command -v "$KVP_DAEMON" >/dev/null || tap_skip_all "no $KVP_DAEMON (hv_kvp_daemon: deb hyperv-daemons; hypervkvpd: hvkit's userspace)"
tap_plan 27

pools=/var/lib/hyperv
# From empty pools: an earlier run in this boot (util/kvp or daemons/kvp)
# leaves its records, which would change what this one counts.
rm -rf $pools
mkdir -p $pools
# The daemon runs its helper scripts with bash; busybox's sh does for them.
[ -e /bin/bash ] || ln -s busybox /bin/bash

dpid=
daemon_start() {
	"$KVP_DAEMON" -n >/tmp/kvpd.log 2>&1 &
	dpid=$!
	# Registered once a request gets an answer from it (S_OK or S_CONT).
	wait_for 20 sh -c "hvctl sim kvp enumerate --instance $g --pool 2 --index 0 >/dev/null"
}
daemon_stop() {
	[ -n "$dpid" ] || return 0
	kill -KILL $dpid 2>/dev/null
	wait $dpid 2>/dev/null
	dpid=
}
kvp() { hvctl sim kvp "$@" --instance "$g"; }
stat_of() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" /sys/bus/vmbus/devices/$g/ic_stats; }
pool_sums() { cat $pools/.kvp_pool_* 2>/dev/null | md5sum; }
# One record of a pool file: key (512 bytes) or value (2048 bytes) of record $2.
rec_key() { dd if=$pools/.kvp_pool_$1 bs=2560 skip=$2 count=1 2>/dev/null | head -c 512 | tr -d '\000'; }
rec_value() { dd if=$pools/.kvp_pool_$1 bs=2560 skip=$2 count=1 2>/dev/null | tail -c 2048 | tr -d '\000'; }

# Binary building blocks for raw host messages (printf octal escapes).
u8() { printf "\\$(printf %03o $(($1 & 255)))"; }
u32() { u8 $1; u8 $(($1 >> 8)); u8 $(($1 >> 16)); u8 $(($1 >> 24)); }
ascii16() { s=$1; while [ -n "$s" ]; do printf '%s' "${s%"${s#?}"}"; u8 0; s=${s#?}; done; }
zeros() { [ "$1" -le 0 ] || head -c "$1" /dev/zero; }
pad_to() { zeros $(($2 - $(wc -c <"$1"))) >>"$1"; }
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
# kvbody FILE OP POOL KEY KEY_SIZE [VALUE_TYPE VALUE VALUE_SIZE]: a GET/SET
# body of Hyper-V's 2580 bytes, the key and value in UTF-16LE (ASCII).
kvbody() {
	{ u8 $2; u8 $3; u8 0; u8 0; u32 ${6:-0}; u32 $5; u32 ${8:-0}; } >"$1"
	ascii16 "$4" >>"$1"; pad_to "$1" $((16 + 512))
	ascii16 "${7:-}" >>"$1"; pad_to "$1" 2580
}
raw() { rf=$1; shift; hvctl sim raw "$g" 2 "$(hex "$rf")" --timeout-ms 10000 "$@"; }

g=$(hvctl sim add kvp) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 sh -c "grep -q 'version=4.0' $d/ic_stats" && grep -q 'framework=3.0' $d/ic_stats &&
	tap_ok "a kvp device binds hvkit_utils and negotiates KVP 4.0, the newest both speak" ||
	tap_fail "a kvp device binds hvkit_utils and negotiates KVP 4.0, the newest both speak" \
		"$(cat $d/ic_stats 2>&1)"

wait_for 10 test -c /dev/vmbus/hv_kvp &&
	[ "$(cat '/sys/class/misc/vmbus!hv_kvp/hvkit_service')" = kvp ] &&
	tap_ok "/dev/vmbus/hv_kvp appears once the channel negotiated, with hvkit_service=kvp" ||
	tap_fail "/dev/vmbus/hv_kvp appears once the channel negotiated, with hvkit_service=kvp" \
		"$(ls -l /dev/vmbus 2>&1; ls '/sys/class/misc/vmbus!hv_kvp' 2>&1)"

# ---- No daemon ----
t0=$(date +%s)
out=$(kvp get --pool 0 Hello 2>&1)
rc=$?
t1=$(date +%s)
echo "# no daemon: answered in $((t1 - t0)) s: $out"
[ $rc -eq 1 ] && echo "$out" | grep -q 'failed (E_FAIL) (0x80004005)' &&
	tap_ok "with no daemon, a GET fails at once with E_FAIL" ||
	tap_fail "with no daemon, a GET fails at once with E_FAIL" "rc $rc: $out"

# ---- The daemon ----
daemon_start &&
	tap_ok "$KVP_DAEMON registers and answers" ||
	tap_fail "$KVP_DAEMON registers and answers" "$(cat /tmp/kvpd.log; dmesg | tail -n 5)"

kvp set --pool 0 Hello World >/dev/null && [ "$(kvp get --pool 0 Hello)" = World ] &&
	kvp set --pool 0 "Grüße" "Wert: 42 €" >/dev/null && [ "$(kvp get --pool 0 "Grüße")" = "Wert: 42 €" ] &&
	tap_ok "a key set from the host in pool 0 reads back with GET, UTF-8 both ways" ||
	tap_fail "a key set from the host in pool 0 reads back with GET, UTF-8 both ways" \
		"$(kvp get --pool 0 Hello 2>&1; kvp get --pool 0 "Grüße" 2>&1)"

size=$(wc -c <$pools/.kvp_pool_0)
[ $((size % 2560)) -eq 0 ] && [ "$(rec_key 0 0)" = Hello ] && [ "$(rec_value 0 0)" = World ] &&
	[ "$(rec_key 0 1)" = "Grüße" ] && [ "$(rec_value 0 1)" = "Wert: 42 €" ] &&
	tap_ok "the pairs are records of .kvp_pool_0: a 512-byte key, a 2048-byte value, NUL-padded" ||
	tap_fail "the pairs are records of .kvp_pool_0: a 512-byte key, a 2048-byte value, NUL-padded" \
		"$size bytes: $(od -c $pools/.kvp_pool_0 | head -n 8)"

# Values of the host's other types reach the daemon as decimal strings.
kvp set --pool 0 --type u32 Count 4294967295 >/dev/null &&
	kvp set --pool 0 --type qword Big 18446744073709551615 >/dev/null &&
	[ "$(kvp get --pool 0 Count)" = 4294967295 ] && [ "$(kvp get --pool 0 Big)" = 18446744073709551615 ] &&
	tap_ok "REG_U32 and REG_QWORD values are stored as decimal strings" ||
	tap_fail "REG_U32 and REG_QWORD values are stored as decimal strings" \
		"$(kvp get --pool 0 Count 2>&1; kvp get --pool 0 Big 2>&1)"

# Every pool enumerates to the end; pool 2 (auto) is the daemon's intrinsic items.
all=ok
for p in 0 1 2 3 4; do
	kvp enumerate --pool $p >/tmp/pool$p 2>&1 || all="pool $p: $(cat /tmp/pool$p)"
done
[ "$all" = ok ] && grep -qx 'Hello=World' /tmp/pool0 && [ "$(wc -l </tmp/pool0)" -eq 4 ] &&
	[ "$(wc -l </tmp/pool2)" -eq 10 ] && grep -qx 'OSName=Linux' /tmp/pool2 &&
	grep -qx 'IntegrationServicesVersion=3.1' /tmp/pool2 && grep -qx "OSVersion=$(uname -r | cut -d- -f1)" /tmp/pool2 &&
	grep -q '^FullyQualifiedDomainName=' /tmp/pool2 && grep -q '^ProcessorArchitecture=' /tmp/pool2 &&
	[ ! -s /tmp/pool3 ] && [ ! -s /tmp/pool4 ] &&
	tap_ok "every pool 0 to 4 enumerates until 'no more items'; pool 2 holds the daemon's 10 intrinsic items" ||
	tap_fail "every pool 0 to 4 enumerates until 'no more items'; pool 2 holds the daemon's 10 intrinsic items" \
		"$all; $(for p in 0 1 2 3 4; do echo "pool $p:"; cat /tmp/pool$p; done)"

# The guest writes a record into its own pool (1, KVP_POOL_GUEST); the daemon re-reads the file.
{ printf 'FromGuest'; zeros $((512 - 9)); printf 'written in the guest'; zeros $((2048 - 20)); } \
	>>$pools/.kvp_pool_1
[ "$(kvp get --pool 1 FromGuest)" = "written in the guest" ] &&
	kvp enumerate --pool 1 | grep -qx 'FromGuest=written in the guest' &&
	tap_ok "a key the guest writes into pool 1 is seen by the host's GET and ENUMERATE" ||
	tap_fail "a key the guest writes into pool 1 is seen by the host's GET and ENUMERATE" \
		"$(kvp get --pool 1 FromGuest 2>&1)"

# Changed in place, the same size, right after each read (hypervkvpd keeps
# the pool in memory and must see it, even when its stat says little).
off=$(($(wc -c <$pools/.kvp_pool_1) - 2048))
all=ok
for i in 0 1 2 3 4 5 6 7 8 9; do
	v="value in place no. $i" # as long as "written in the guest"
	printf '%s' "$v" | dd of=$pools/.kvp_pool_1 bs=1 seek=$off conv=notrunc 2>/dev/null
	[ "$(kvp get --pool 1 FromGuest)" = "$v" ] &&
		kvp enumerate --pool 1 | grep -qx "FromGuest=$v" || { all="round $i: $(kvp get --pool 1 FromGuest 2>&1)"; break; }
done
[ "$all" = ok ] &&
	tap_ok "a value another writer changes in place, keeping the file's size, is what the next GET and ENUMERATE read" ||
	tap_fail "a value another writer changes in place, keeping the file's size, is what the next GET and ENUMERATE read" "$all"

kvp delete --pool 0 Hello >/dev/null
out=$(kvp get --pool 0 Hello 2>&1)
rc=$?
out2=$(kvp delete --pool 0 Hello 2>&1)
rc2=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'no such key (0x80070103)' && ! grep -q Hello $pools/.kvp_pool_0 &&
	[ $rc2 -eq 1 ] && echo "$out2" | grep -q 'no such key (0x80070103)' &&
	tap_ok "DELETE removes a key; GET or DELETE of a missing key answers S_CONT (no such key)" ||
	tap_fail "DELETE removes a key; GET or DELETE of a missing key answers S_CONT (no such key)" \
		"rc $rc: $out / rc $rc2: $out2"

# ---- IP info ----
if ! modprobe dummy numdummies=1 2>/dev/null && [ ! -d /sys/module/dummy ]; then
	tap_skip "GET_IP_INFO for dummy0's MAC answers its IPv4 address and netmask" \
		"this kernel has no dummy module"
else
	wait_for 5 test -e /sys/class/net/dummy0 &&
		ip addr add 192.0.2.7/24 dev dummy0 && ip link set dummy0 up
	mac=$(tr a-f A-F </sys/class/net/dummy0/address)
	out=$(kvp ipinfo-get --json "$mac" 2>&1)
	echo "$out" | grep -q '"addresses":"192.0.2.7' && echo "$out" | grep -q '"subnets":"255.255.255.0' &&
		echo "$out" | grep -q "\"adapter\":\"$mac\"" && echo "$out" | grep -q '"family":[13]}' &&
		tap_ok "GET_IP_INFO for dummy0's MAC answers its IPv4 address and netmask" ||
		tap_fail "GET_IP_INFO for dummy0's MAC answers its IPv4 address and netmask" "$mac: $out"
fi

out=$(kvp ipinfo-get 00:00:5E:00:53:FF 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'the guest answered' &&
	tap_ok "GET_IP_INFO for a MAC no interface has answers an error" ||
	tap_fail "GET_IP_INFO for a MAC no interface has answers an error" "$out"

# ---- Malformed requests: refused, counted, and nothing reaches the daemon ----
b=/tmp/bad
bad0=$(stat_of bad)
sums=$(pool_sums)
n=0 got=
expect_refused() {
	n=$((n + 1))
	o=$("$@" 2>&1)
	echo "$o" | grep -q '0x80004005' || got="$got [$*: $o]"
}
k256=$(printf '%0256d' 0 | tr 0 k)
kvbody $b.1 1 0 Key 514 1 Value 12; expect_refused raw $b.1		# key_size past the key
kvbody $b.2 1 0 Key 8 1 Value 2050; expect_refused raw $b.2		# value_size past the value
kvbody $b.3 1 0 "$k256" 512 1 Value 12; expect_refused raw $b.3		# no NUL within key_size
kvbody $b.4 1 0 Keys 6 1 Value 12; expect_refused raw $b.4		# key_size cuts the NUL off
kvbody $b.5 1 0 Key 7 1 Value 12; expect_refused raw $b.5		# odd key_size
kvbody $b.6 1 0 Key 8 1 Value 11; expect_refused raw $b.6		# odd value_size
kvbody $b.7 1 0 Key 8 4 Value 8; expect_refused raw $b.7		# REG_U32 of 8 bytes
kvbody $b.8 1 0 Key 8 3 Value 12; expect_refused raw $b.8		# REG_BINARY
kvbody $b.9 1 0 Key 8 1 Value 12; expect_refused raw $b.9 --size 2575	# icmsgsize short of SET's 2576
head -c 520 $b.9 >$b.10; expect_refused raw $b.10			# a SET of a DELETE's length
{ u8 2; u8 0; u8 0; u8 0; u32 600; ascii16 Key; } >$b.11; pad_to $b.11 520
expect_refused raw $b.11						# DELETE: key_size past the body
expect_refused kvp set --pool 5 Key Value
expect_refused kvp set --pool 255 Key Value
expect_refused kvp op 6 --pool 0 Key Value
expect_refused kvp op 255 --pool 0 Key
bad1=$(stat_of bad)
[ -z "$got" ] && [ $((bad1 - bad0)) -eq $n ] && [ "$(pool_sums)" = "$sums" ] &&
	tap_ok "$n malformed requests (sizes, terminators, pools 5 and 255, operations 6 and 255, icmsgsize) get E_FAIL and are counted" ||
	tap_fail "$n malformed requests (sizes, terminators, pools 5 and 255, operations 6 and 255, icmsgsize) get E_FAIL and are counted" \
		"bad $bad0 -> $bad1;$got"

kill -0 $dpid && [ "$(pool_sums)" = "$sums" ] && [ "$(kvp get --pool 0 Count)" = 4294967295 ] &&
	tap_ok "after them the pool files are unchanged and the daemon still serves" ||
	tap_fail "after them the pool files are unchanged and the daemon still serves" "$(cat /tmp/kvpd.log)"

# ---- A daemon that dies in the middle of a request ----
kill -STOP $dpid
t0=$(date +%s)
kvp get --pool 0 Count >/tmp/out 2>&1 &
hp=$!
hvk_sleep 1
kill -KILL $dpid
wait $hp
rc=$?
t1=$(date +%s)
wait $dpid 2>/dev/null
dpid=
echo "# killed daemon: the host had its answer after $((t1 - t0)) s"
[ $rc -eq 1 ] && grep -q 'failed (E_FAIL)' /tmp/out &&
	tap_ok "a daemon SIGKILLed while it holds a request: the host gets E_FAIL" ||
	tap_fail "a daemon SIGKILLed while it holds a request: the host gets E_FAIL" "rc $rc: $(cat /tmp/out)"

out=$(kvp get --pool 0 Count 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'E_FAIL' && daemon_start && [ "$(kvp get --pool 0 Count)" = 4294967295 ] &&
	tap_ok "until a new daemon registers requests fail at once; then it serves the next request" ||
	tap_fail "until a new daemon registers requests fail at once; then it serves the next request" \
		"$out; $(dmesg | tail -n 5)"

# ---- A daemon that never answers ----
echo 2000 >/sys/module/hvkit_utils/parameters/kvp_timeout_ms
kill -STOP $dpid
t0=$(date +%s)
out=$(kvp get --pool 0 Count 2>&1)
rc=$?
t1=$(date +%s)
echo "# stopped daemon: answered after $((t1 - t0)) s (kvp_timeout_ms 2000)"
[ $rc -eq 1 ] && echo "$out" | grep -q 'failed (E_FAIL)' &&
	dmesg | grep -q 'kvp: the daemon did not answer GET in time' &&
	tap_ok "a daemon that never answers: after kvp_timeout_ms the host gets E_FAIL" ||
	tap_fail "a daemon that never answers: after kvp_timeout_ms the host gets E_FAIL" "rc $rc: $out"

out=$(kvp get --pool 0 Count 2>&1)
rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'E_FAIL' &&
	tap_ok "while the late daemon owes its answer, requests fail at once" ||
	tap_fail "while the late daemon owes its answer, requests fail at once" "$out"

# Woken, it answers too late: refused, it reopens the device and registers again.
kill -CONT $dpid
wait_for 20 sh -c "[ \"\$(hvctl sim kvp get --instance $g --pool 0 Count 2>/dev/null)\" = 4294967295 ]" &&
	dmesg | grep -q "kvp: the daemon's late answer to GET is refused" && kill -0 $dpid &&
	tap_ok "the late answer is refused; the daemon re-registers and serves the next request" ||
	tap_fail "the late answer is refused; the daemon re-registers and serves the next request" \
		"$(dmesg | tail -n 8)"
echo 30000 >/sys/module/hvkit_utils/parameters/kvp_timeout_ms
daemon_stop

# ---- Upstream's daemon protocol, played by hand ----
# fd 3 is the device; each dd is one read() or write() of one message.
exec 3<>/dev/vmbus/hv_kvp
{ u8 100; zeros 7431; } >$b.reg
dd if=$b.reg bs=7432 count=1 >&3 2>/dev/null
timeout 5 dd bs=8192 count=1 <&3 >$b.reply 2>/dev/null
[ "$(wc -c <$b.reply)" -eq 7432 ] && [ "$(od -An -tu1 -N1 $b.reply | tr -d ' ')" = 100 ] &&
	[ "$(dd if=$b.reply bs=1 skip=4 count=3 2>/dev/null)" = 3.1 ] &&
	tap_ok "KVP_OP_REGISTER1 is answered with a whole message: the op and version \"3.1\"" ||
	tap_fail "KVP_OP_REGISTER1 is answered with a whole message: the op and version \"3.1\"" \
		"$(od -An -c -N16 $b.reply)"

kvp get --pool 3 Hello >/tmp/out 2>&1 &
hp=$!
timeout 10 dd bs=8192 count=1 <&3 >$b.req 2>/dev/null
{ zeros 528; printf 'played by hand'; zeros $((7432 - 528 - 14)); } >$b.ans
dd if=$b.ans bs=7432 count=1 >&3 2>/dev/null
wait $hp
req=$(od -An -tu1 -N2 $b.req | tr -s ' ')
ks=$(od -An -tu4 -j8 -N4 $b.req | tr -d ' ')
vs=$(od -An -tu4 -j12 -N4 $b.req | tr -d ' ')
key=$(dd if=$b.req bs=1 skip=16 count=512 2>/dev/null | tr -d '\000')
[ "$req" = " 0 3" ] && [ "$ks" = 6 ] && [ "$vs" = 2048 ] && [ "$key" = Hello ] &&
	[ "$(cat /tmp/out)" = "played by hand" ] &&
	tap_ok "a GET reaches the daemon as upstream's hv_kvp_msg (UTF-8 key, key_size with its NUL) and its answer the host" ||
	tap_fail "a GET reaches the daemon as upstream's hv_kvp_msg (UTF-8 key, key_size with its NUL) and its answer the host" \
		"op/pool '$req' key_size $ks value_size $vs key '$key': $(cat /tmp/out)"

# Every malformed request again: none reaches the daemon's read.
for f in $b.1 $b.2 $b.3 $b.5 $b.10 $b.11; do raw $f >/dev/null; done
kvp set --pool 255 Key Value >/dev/null 2>&1
kvp op 6 --pool 0 Key >/dev/null 2>&1
timeout 2 dd bs=8192 count=1 <&3 >$b.none 2>/dev/null
[ ! -s $b.none ] &&
	tap_ok "malformed requests write nothing to the daemon" ||
	tap_fail "malformed requests write nothing to the daemon" "$(od -An -tu1 -N8 $b.none)"

# A second write when nothing was asked is refused, as upstream refuses it.
dd if=$b.ans bs=7432 count=1 >&3 2>/tmp/err
grep -q 'Invalid argument' /tmp/err &&
	tap_ok "a daemon's write when nothing was asked fails with EINVAL" ||
	tap_fail "a daemon's write when nothing was asked fails with EINVAL" "$(cat /tmp/err)"
exec 3<&-

# ---- Versions ----
out=$(hvctl sim remove $g 2>&1)
rc=$?
# The bus forgets the device (its /sys/bus/vmbus/devices link) before the
# driver's remove runs: wait for both.
[ $rc -eq 0 ] && wait_for 10 hvk_gone "$d" "/dev/vmbus/hv_kvp" &&
	tap_ok "removing the device removes /dev/vmbus/hv_kvp" ||
	tap_fail "removing the device removes /dev/vmbus/hv_kvp" \
		"rc $rc: $out; $(ls -l /dev/vmbus $d 2>&1)"

g=$(hvctl sim add kvp --versions 3.0) && d=/sys/bus/vmbus/devices/$g &&
	wait_for 20 sh -c "grep -q 'version=3.0' $d/ic_stats" && wait_for 10 test -c /dev/vmbus/hv_kvp &&
	daemon_start && kvp set --pool 0 Old Host >/dev/null && [ "$(kvp get --pool 0 Old)" = Host ]
rc=$?
out=$(kvp ipinfo-get "$mac" 2>&1)
rc2=$?
[ $rc -eq 0 ] && [ $rc2 -eq 1 ] && echo "$out" | grep -q E_FAIL &&
	tap_ok "pinned to KVP 3.0 (Windows Server 2008 R2), keys work and IP info is refused" ||
	tap_fail "pinned to KVP 3.0 (Windows Server 2008 R2), keys work and IP info is refused" \
		"$(cat $d/ic_stats 2>&1); $out"

# The daemon's device goes with the channel: its read fails, it exits.
hvctl sim remove $g && wait_for 10 sh -c "! kill -0 $dpid 2>/dev/null" && dpid= && rmmod hvkit_utils &&
	tap_ok "removing the device while the daemon runs ends the daemon, and hvkit_utils unloads" ||
	tap_fail "removing the device while the daemon runs ends the daemon, and hvkit_utils unloads" \
		"$(ps; lsmod)"
daemon_stop
rmmod dummy 2>/dev/null
rmmod hvkit_sim 2>/dev/null
tap_done
