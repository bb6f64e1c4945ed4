#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check (issue 9): modules that make install signs (SIGN_KEY=,
# SIGN_CERT=, the kernel's sign-file) are accepted by a kernel that checks
# signatures, and an unsigned or a tampered module is refused. The kernel is
# the debug kernel: CONFIG_MODULE_SIG=y with the test key in its
# CONFIG_SYSTEM_TRUSTED_KEYS (scripts/debug-kernel.sh), booted with
# module.sig_enforce=1, so that a bad signature is an error, not a taint.
#   signed-modules.sh KREL KDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
krel=${1:?usage: signed-modules.sh KREL KDIR} kdir=${2:?usage: signed-modules.sh KREL KDIR}
keys=$(dirname "$kdir")/signing
[ -f "$keys/key.pem" ] && [ -f "$keys/cert.pem" ] || die "no test signing key in $keys (scripts/debug-kernel.sh makes it)"
grep -qx CONFIG_MODULE_SIG=y "$kdir/.config" || die "$krel does not check module signatures"
[ -d "$top/build/kmod/$krel/drivers" ] || die "no modules built for $krel; run scripts/build-modules.sh $kdir"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# make install's signing, into a staging root; its modules become the
# guest image's (the image is built from a --kodir of them).
DESTDIR=$work/root HVKIT_KREL=$krel HVKIT_KMOD=$top/build/kmod/$krel \
	SIGN_KEY=$keys/key.pem SIGN_CERT=$keys/cert.pem SIGN_FILE=$kdir/scripts/sign-file \
	"$top/scripts/install.sh" --no-manifest modules >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; die "make install with SIGN_KEY failed"; }
kodir=$work/kmod
for ko in "$work/root/lib/modules/$krel/updates/hvkit"/*.ko; do
	m=$(basename "$ko" .ko)
	d=$(dirname "$(find "$top/build/kmod/$krel/drivers" -name "$m.ko" | head -n1)")
	mkdir -p "$kodir/drivers/${d##*/}"
	cp "$ko" "$kodir/drivers/${d##*/}/"
done
# Two bad ones, as test modules (extra/): the echo driver unsigned, and
# signed with one byte of its code changed.
mkdir -p "$kodir/selftests"
cp "$top/build/kmod/$krel/drivers/echo/hvkit_echo.ko" "$kodir/selftests/hvkit_echo_unsigned.ko"
cp "$kodir/drivers/echo/hvkit_echo.ko" "$kodir/selftests/hvkit_echo_tampered.ko"
off=$(( $(stat -c %s "$kodir/selftests/hvkit_echo_tampered.ko") / 3 ))
b=$(od -An -tu1 -j "$off" -N1 "$kodir/selftests/hvkit_echo_tampered.ko" | tr -d ' ')
printf "$(printf '\\%03o' $(( (b + 1) % 256 )))" |
	dd of="$kodir/selftests/hvkit_echo_tampered.ko" bs=1 seek="$off" conv=notrunc status=none

cat >"$work/guest.sh" <<'GUEST'
. /hvkit/lib/tap.sh
tap_plan 4
x=/lib/modules/$(uname -r)/extra
[ "$(cat /sys/module/module/parameters/sig_enforce)" = Y ] &&
	tap_ok "the kernel enforces module signatures (module.sig_enforce=1)" ||
	tap_fail "the kernel enforces module signatures (module.sig_enforce=1)"
dmesg -c >/dev/null
modprobe hvkit_vmbus && modprobe hvkit_echo && grep -q '^hvkit_echo ' /proc/modules &&
	! dmesg | grep -q 'verification failed' &&
	tap_ok "make install's signed hvkit_vmbus and hvkit_echo load, untainted by verification" ||
	tap_fail "make install's signed hvkit_vmbus and hvkit_echo load, untainted by verification" "$(dmesg | tail -n 3)"
rmmod hvkit_echo
out=$(insmod $x/hvkit_echo_unsigned.ko 2>&1)
! grep -q '^hvkit_echo ' /proc/modules &&
	tap_ok "an unsigned hvkit_echo is refused ($out)" ||
	tap_fail "an unsigned hvkit_echo is refused" "it loaded"
rmmod hvkit_echo 2>/dev/null
out=$(insmod $x/hvkit_echo_tampered.ko 2>&1)
! grep -q '^hvkit_echo ' /proc/modules &&
	tap_ok "a signed hvkit_echo with one byte changed is refused ($out)" ||
	tap_fail "a signed hvkit_echo with one byte changed is refused" "it loaded"
rmmod hvkit_echo 2>/dev/null
rmmod hvkit_vmbus
tap_done
GUEST
# The guest image of these modules is this run's own: the cached image of
# build/kmod/KREL, which the debug-kernel lane beside this one boots (again,
# after a stall), must be the same file after it as before.
cached=$top/build/guest/$krel/base.cpio
before=$(stat -c '%i %Y %s' "$cached" 2>/dev/null || echo none)
HVKIT_APPEND=module.sig_enforce=1 "$top/selftests/run.sh" --krel "$krel" --kodir "$kodir" --mem 2048 \
	--script "$work/guest.sh"
after=$(stat -c '%i %Y %s' "$cached" 2>/dev/null || echo none)
[ "$before" = "$after" ] || die "the signed modules' guest image replaced $cached, the image other runs boot"
