#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install-test.sh [SERIES]: make install into scratch roots and check what it
# put there, then make uninstall. Runs alone (bash scripts/install-test.sh)
# and as a step of make check. SERIES: the kernel series (default KVER or
# 6.12) whose headers and image 'make deps' unpacked.
#
# The first root stands for a machine: the in-tree Hyper-V modules of
# Debian's kernel of that series (hv_vmbus, everything that needs it, and
# what they need), with depmod's indexes. Into it: make install, then the
# checks: the layout, modules.dep, the depmod.d override, hvctl, the man
# pages, the manifest, and the driver switch as modprobe itself resolves it
# (-d ROOT -C ROOT/etc/modprobe.d) in both positions; then make uninstall
# must leave the root exactly as it was (every file, byte for byte).
# The second root starts empty, with PREFIX=/usr/local and make install-src;
# make uninstall must leave it empty.
# Nothing outside the scratch roots is written but build/ and the kernel
# image's depmod indexes in the cache (as selftests/guest/mkimage.sh does).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

series=${1:-${KVER:-6.12}}
krel=$(krel_of "$series") || die "no headers for kernel series $series; run 'make deps'"
kroot=$(kernel_root "$krel")
[ -f "$kroot/.complete" ] || die "no unpacked image of $krel in $kroot; run 'make deps'"
kmods=$kroot/lib/modules/$krel
[ -f "$kmods/modules.dep" ] || depmod -b "$kroot" "$krel"

tmp=$(mktemp -d /tmp/hvkit-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
sys=$tmp/sys
mods=/lib/modules/$krel

. "$top/scripts/tap-lib.sh"

# The in-tree modules that need hv_vmbus, in a kernel's modules.dep.
hv_users() {
	awk -F: '$2 ~ /\/hv_vmbus\.ko/ || $1 ~ /\/hv_vmbus\.ko/ { print $1 }' "$1" |
		sed -E 's|.*/||; s/\.ko(\.[a-z]+)?$//; s/-/_/g' | sort -u
}

# snapshot ROOT: every file and directory with its mode and, for files, a
# checksum: what "as it was" means.
snapshot() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %p\n' | sort -k3 | while read -r t m p; do
		if [ "$t" = f ]; then echo "$t $m $p $(md5sum <"$p" | cut -d' ' -f1)"; else echo "$t $m $p"; fi
	done)
}

# ---- a machine with Debian's in-tree Hyper-V modules
mkdir -p "$sys$mods"
mapfile -t intree < <(awk -F: '/\/hv_vmbus\.ko/ { print $1; n = split($2, a, " "); for (i = 1; i <= n; i++) print a[i] }' \
	"$kmods/modules.dep" | sort -u)
[ ${#intree[@]} -gt 5 ] || die "found only ${#intree[@]} modules around hv_vmbus in $kmods/modules.dep"
for m in "${intree[@]}"; do
	mkdir -p "$sys$mods/${m%/*}"
	cp "$kmods/$m" "$sys$mods/$m"
done
cp "$kmods"/modules.order "$kmods"/modules.builtin "$kmods"/modules.builtin.modinfo "$sys$mods/"
depmod -b "$sys" "$krel"
before=$(snapshot "$sys")

echo "# make install DESTDIR=$sys KVER=$series"
if ! make -s install DESTDIR="$sys" KVER="$series" >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	die "make install failed"
fi

# ---- modules and depmod
kmod=$top/build/kmod/$krel
mapfile -t built < <(find "$kmod/drivers" -name '*.ko' -printf '%f\n' | sort)
[ ${#built[@]} -gt 0 ] || die "no modules in build/kmod/$krel"
installed_ok() {
	local k
	for k in "${built[@]}"; do
		cmp "$kmod/drivers/"*/"$k" "$sys$mods/updates/hvkit/$k" || return 1
	done
	[ "$(ls "$sys$mods/updates/hvkit" | sort)" = "$(printf '%s\n' "${built[@]}")" ] ||
		{ echo "updates/hvkit holds: $(ls "$sys$mods/updates/hvkit")"; return 1; }
}
check "every module of build/kmod/$krel/drivers (${built[*]}) is in $mods/updates/hvkit, and nothing else (no test module)" installed_ok

moddep_ok() {
	local k
	for k in "${built[@]}"; do
		grep -q "^updates/hvkit/$k:" "$sys$mods/modules.dep" || { echo "modules.dep lacks $k"; return 1; }
	done
	grep -q '^updates/hvkit/hvkit_echo.ko: updates/hvkit/hvkit_vmbus.ko$' "$sys$mods/modules.dep" ||
		{ echo "hvkit_echo's dependency on hvkit_vmbus is missing"; grep hvkit "$sys$mods/modules.dep"; return 1; }
	grep -q "^kernel/drivers/hv/hv_vmbus.ko" "$sys$mods/modules.dep" || { echo "the in-tree modules are gone from modules.dep"; return 1; }
	grep -q "^alias $(modinfo -F alias "$sys$mods/updates/hvkit/hvkit_echo.ko") hvkit_echo$" "$sys$mods/modules.alias"
}
check "depmod ran on DESTDIR: modules.dep lists them (hvkit_echo needs hvkit_vmbus) beside the in-tree ones, modules.alias has the echo device's" moddep_ok

names() { printf '%s\n' "${built[@]%.ko}"; }
every_module_in() { # FILE PATTERN(with %s)
	local m missing=()
	for m in $(names); do
		# shellcheck disable=SC2059
		grep -qx "$(printf "$2" "$m")" "$1" || missing+=("$m")
	done
	[ ${#missing[@]} = 0 ] || { echo "no line for: ${missing[*]}"; return 1; }
}
check "/etc/depmod.d/hvkit.conf has an override for every installed module" \
	every_module_in "$sys/etc/depmod.d/hvkit.conf" 'override %s \* updates/hvkit'

# The override: a second hvkit_vmbus.ko right in updates/ (where a hand
# install puts modules) wins without it, loses with it.
override_ok() {
	local ov=$tmp/ov with without
	mkdir -p "$ov$mods/updates/hvkit" "$tmp/no-conf"
	cp "$kmod/drivers/vmbus/hvkit_vmbus.ko" "$ov$mods/updates/hvkit/"
	cp "$kmod/drivers/vmbus/hvkit_vmbus.ko" "$ov$mods/updates/"
	depmod -b "$ov" -C "$tmp/no-conf" "$krel" 2>/dev/null
	without=$(grep hvkit_vmbus "$ov$mods/modules.dep")
	depmod -b "$ov" -C "$sys/etc/depmod.d" "$krel" 2>/dev/null
	with=$(grep hvkit_vmbus "$ov$mods/modules.dep")
	echo "without: $without; with: $with"
	[ "$without" = "updates/hvkit_vmbus.ko:" ] && [ "$with" = "updates/hvkit/hvkit_vmbus.ko:" ]
}
check "depmod.d override: of two copies of hvkit_vmbus, updates/hvkit's is the one modules.dep names (the other wins without the file)" override_ok

# ---- programs and man pages
check "hvctl is in /usr/bin and runs (--help)" \
	bash -c "[ -x '$sys/usr/bin/hvctl' ] && '$sys/usr/bin/hvctl' --help | grep -q '^usage: hvctl'"
# Signing: with SIGN_KEY and SIGN_CERT every module carries a signature
# that verifies against the certificate over exactly the module's bytes (as
# the kernel's module_sig_check does); without them none is signed; a key
# with no certificate installs nothing.
openssl req -new -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=hvkit install-test/" \
	-keyout "$tmp/sign.key" -out "$tmp/sign.crt" >/dev/null 2>&1 || die "openssl cannot make a test key"
# sig_verify KO: split the appended signature off (28-byte marker, 12-byte
# struct module_signature ending in the big-endian length) and verify it.
sig_verify() {
	local f=$1 size len
	size=$(stat -c %s "$f")
	[ "$(tail -c 28 "$f")" = "~Module signature appended~" ] || { echo "$f is not signed"; return 1; }
	len=$(tail -c 32 "$f" | head -c 4 | od -An -tu1 | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	head -c $((size - 40 - len)) "$f" >"$tmp/body"
	tail -c $((40 + len)) "$f" | head -c "$len" >"$tmp/sig"
	openssl cms -verify -binary -inform DER -in "$tmp/sig" -content "$tmp/body" -certfile "$tmp/sign.crt" \
		-nointern -noverify -out /dev/null >/dev/null 2>&1 || { echo "the signature of ${f##*/} does not verify"; return 1; }
}
signed_ok() {
	local r=$tmp/signed k out
	make -s install DESTDIR="$r" KVER="$series" SIGN_KEY="$tmp/sign.key" SIGN_CERT="$tmp/sign.crt" >"$tmp/sign.log" 2>&1 ||
		{ cat "$tmp/sign.log"; return 1; }
	for k in "${built[@]}"; do
		[ "$(modinfo -F signer "$r$mods/updates/hvkit/$k")" = "hvkit install-test" ] &&
			[ "$(modinfo -F sig_hashalgo "$r$mods/updates/hvkit/$k")" = sha512 ] || { echo "$k: signer or hash wrong"; return 1; }
		sig_verify "$r$mods/updates/hvkit/$k" || return 1
	done
	# One changed byte and the signature no longer verifies.
	cp "$r$mods/updates/hvkit/${built[0]}" "$tmp/tampered.ko"
	printf 'X' | dd of="$tmp/tampered.ko" bs=1 seek=100 conv=notrunc 2>/dev/null
	! sig_verify "$tmp/tampered.ko" >/dev/null || { echo "a tampered module verified"; return 1; }
	[ -z "$(modinfo -F signer "$sys$mods/updates/hvkit/${built[0]}")" ] || { echo "make install without SIGN_KEY signed"; return 1; }
	out=$(make -s install DESTDIR="$tmp/nocert" KVER="$series" SIGN_KEY="$tmp/sign.key" 2>&1) &&
		{ echo "SIGN_KEY without SIGN_CERT installed"; return 1; }
	grep -q "SIGN_CERT is not" <<<"$out" && [ ! -d "$tmp/nocert$mods/updates/hvkit" ] ||
		{ echo "SIGN_KEY without SIGN_CERT: $out"; return 1; }
}
check "make install SIGN_KEY= SIGN_CERT= signs every module (sha512, the cert's signer) and each signature verifies; a changed byte fails; unsigned without a key; a key with no certificate installs nothing" signed_ok

# The daemons (when built): Azure Linux's names in /usr/sbin, upstream's as
# symlinks; a file of another package under upstream's name is kept.
mapfile -t daemons < <(cd build/user/bin 2>/dev/null && ls hyperv*d 2>/dev/null)
daemons_ok() {
	local d a
	for d in "${daemons[@]}"; do
		cmp "build/user/bin/$d" "$sys/usr/sbin/$d" || return 1
		a=$(case $d in hypervkvpd) echo hv_kvp_daemon ;; hypervvssd) echo hv_vss_daemon ;;
			hypervfcopyd) echo hv_fcopy_daemon hv_fcopy_uio_daemon ;; esac)
		for a in $a; do
			[ "$(readlink "$sys/usr/sbin/$a")" = "$d" ] || { echo "$a is not a symlink to $d"; return 1; }
		done
	done
	[ -x build/user/bin/hypervkvpd ] || return 0
	local other=$tmp/other out
	mkdir -p "$other/usr/sbin"
	echo upstream >"$other/usr/sbin/hv_kvp_daemon"
	out=$(DESTDIR=$other scripts/install.sh user 2>&1) || { echo "$out"; return 1; }
	[ "$(cat "$other/usr/sbin/hv_kvp_daemon")" = upstream ] && grep -q "keeping .*hv_kvp_daemon" <<<"$out" ||
		{ echo "another package's hv_kvp_daemon was replaced: $out"; return 1; }
}
if [ ${#daemons[@]} -gt 0 ]; then
	check "the daemons (${daemons[*]}) are in /usr/sbin with upstream's names as symlinks; another package's hv_kvp_daemon is kept" daemons_ok
fi
check "hvkit-select is in /usr/sbin and knows its templates' place (/usr/share/hvkit/modprobe)" \
	bash -c "[ -x '$sys/usr/sbin/hvkit-select' ] && grep -q '^templates=/usr/share/hvkit/modprobe$' '$sys/usr/sbin/hvkit-select'"
man_ok() {
	local p out
	for p in hvctl hvkit-select; do
		[ -f "$sys/usr/share/man/man8/$p.8" ] || { echo "no man8/$p.8"; return 1; }
		out=$(groff -man -Tutf8 -ww -z "$sys/usr/share/man/man8/$p.8" 2>&1)
		[ -z "$out" ] || { echo "$p.8: $out"; return 1; }
		! grep -n '@[A-Z]*@' "$sys/usr/share/man/man8/$p.8" || return 1
	done
}
check "man pages hvctl.8 and hvkit-select.8 are in /usr/share/man/man8 and format without a groff warning" man_ok
# Every command and option hvctl's usage names is in its man page.
man_covers_usage() {
	local w missing=()
	for w in $("$sys/usr/bin/hvctl" --help | grep -oE -- '--?[a-z][a-z-]*|^  (list|sim [a-z]+)' | sed 's/^ *//' | sort -u); do
		w=${w//-/\\-}
		grep -qF -- "$w" "$sys/usr/share/man/man8/hvctl.8" || missing+=("$w")
	done
	[ ${#missing[@]} = 0 ] || { echo "hvctl.8 does not mention: ${missing[*]}"; return 1; }
}
check "hvctl.8 names every command and option of 'hvctl --help'" man_covers_usage

# ---- the driver switch
M=(modprobe -d "$sys" -S "$krel" -C "$sys/etc/modprobe.d")
echo_alias=$(modinfo -F alias "$sys$mods/updates/hvkit/hvkit_echo.ko")
storvsc_alias=$(modinfo -F alias "$sys$mods/kernel/drivers/scsi/hv_storvsc.ko"* | head -n1)
check "after install /etc/hvkit/drivers says inbox (the default)" \
	bash -c "sed 's/#.*//' '$sys/etc/hvkit/drivers' | grep -qx inbox"
check "every installed module is blacklisted and refused in the inbox template" \
	every_module_in "$sys/usr/share/hvkit/modprobe/inbox.conf" 'blacklist %s'
check "every installed module gets 'install ... /bin/false' in the inbox template" \
	every_module_in "$sys/usr/share/hvkit/modprobe/inbox.conf" 'install %s /bin/false'
inbox_ok() {
	local out
	out=$("${M[@]}" --show-depends acpi:VMBUS:)
	grep -q 'kernel/drivers/hv/hv_vmbus.ko' <<<"$out" || { echo "acpi:VMBUS: -> $out"; return 1; }
	out=$("${M[@]}" -n -v hv_storvsc)
	grep -q 'insmod .*/hv_storvsc.ko' <<<"$out" || { echo "hv_storvsc -> $out"; return 1; }
	out=$("${M[@]}" -n -v hvkit_sim)
	grep -q 'install /bin/false' <<<"$out" && ! grep -q 'insmod' <<<"$out" || { echo "hvkit_sim -> $out"; return 1; }
	out=$("${M[@]}" -n -v -b "$echo_alias")
	[ -z "$out" ] || { echo "udev's modprobe -b $echo_alias -> $out"; return 1; }
}
check "inbox: modprobe takes hv_vmbus for the VMBus ACPI device, loads hv_storvsc, refuses hvkit_sim, and udev's lookup of the echo device's alias finds nothing" inbox_ok

sel=$sys/usr/sbin/hvkit-select
"$sel" --root "$sys" hvkit >"$tmp/sel.out" 2>&1 || { cat "$tmp/sel.out"; die "hvkit-select hvkit failed"; }
check "hvkit-select hvkit writes 'hvkit' into /etc/hvkit/drivers and keeps its comments" \
	bash -c "sed 's/#.*//' '$sys/etc/hvkit/drivers' | grep -qx hvkit && grep -q '^# Which Hyper-V guest drivers' '$sys/etc/hvkit/drivers'"
# What must not load with hvkit chosen: every module that needs hv_vmbus,
# in each Debian kernel whose image is unpacked.
hvkit_template_ok() {
	local dep m missing=()
	for dep in "$(hvkit_cache)"/kernel/*/lib/modules/*/modules.dep; do
		for m in hv_vmbus $(hv_users "$dep"); do
			grep -qx "blacklist $m" "$sys/usr/share/hvkit/modprobe/hvkit.conf" &&
				grep -qx "install $m /bin/false" "$sys/usr/share/hvkit/modprobe/hvkit.conf" ||
				missing+=("$m (${dep%/modules.dep})")
		done
	done
	[ ${#missing[@]} = 0 ] || { echo "not blocked: ${missing[*]}"; return 1; }
}
check "the hvkit template blocks hv_vmbus and every module that needs it in each unpacked Debian kernel" hvkit_template_ok
hvkit_ok() {
	local out m
	out=$("${M[@]}" --show-depends acpi:VMBUS:)
	grep -q 'updates/hvkit/hvkit_vmbus.ko' <<<"$out" && grep -q 'updates/hvkit/hvkit_hyperv.ko' <<<"$out" &&
		! grep -q hv_vmbus <<<"$out" || { echo "acpi:VMBUS: -> $out"; return 1; }
	out=$("${M[@]}" --show-depends acpi:VMBus:)
	grep -q 'updates/hvkit/hvkit_hyperv.ko' <<<"$out" || { echo "acpi:VMBus: -> $out"; return 1; }
	for m in hv_vmbus $(hv_users "$sys$mods/modules.dep"); do
		out=$("${M[@]}" -n -v "$m")
		grep -q 'install /bin/false' <<<"$out" && ! grep -qE "insmod .*/($m|hv_vmbus)\.ko" <<<"$out" ||
			{ echo "$m -> $out"; return 1; }
	done
	out=$("${M[@]}" -n -v -b "$storvsc_alias")
	[ -z "$out" ] || { echo "udev's modprobe -b $storvsc_alias -> $out"; return 1; }
	out=$("${M[@]}" -n -v -b "$echo_alias")
	grep -q 'insmod .*updates/hvkit/hvkit_echo.ko' <<<"$out" || { echo "$echo_alias -> $out"; return 1; }
}
check "hvkit: modprobe takes hvkit_hyperv (and hvkit_vmbus) for the VMBus ACPI device, refuses hv_vmbus and each module that needs it, udev's lookup finds no storvsc and does find hvkit_echo" hvkit_ok
# What hvkit-select warns is missing follows what was installed.
lacks_ok() {
	local want="hvkit has no "
	[ -n "$(find "$kmod/drivers" -name hvkit_storvsc.ko)" ] || want+="storage, "
	[ -n "$(find "$kmod/drivers" -name hvkit_netvsc.ko)" ] || want+="network, "
	[ -n "$(find "$kmod/drivers" -name hvkit_utils.ko)" ] || want+="util, "
	[ -n "$(find "$kmod/drivers" -name hvkit_pci.ko)" ] || want+="vPCI, "
	grep -q "${want}balloon, keyboard or video driver yet" "$tmp/sel.out" || { cat "$tmp/sel.out"; return 1; }
}
check "hvkit-select says which of hvkit's drivers are missing (those not installed)" lacks_ok
check "hvkit-select does not call the image's kernel built-in: its Hyper-V drivers are modules" \
	bash -c "! grep -q 'built in' '$tmp/sel.out'"
builtin_ok() {
	local fake=$sys/lib/modules/9.9.9-builtin out st
	mkdir -p "$fake"
	printf '%s\n' kernel/drivers/hv/hv_vmbus.ko kernel/drivers/scsi/hv_storvsc.ko >"$fake/modules.builtin"
	out=$("$sel" --root "$sys" --kernel 9.9.9-builtin hvkit 2>&1) && st=$(
		"$sel" --root "$sys" --kernel 9.9.9-builtin --status 2>&1)
	rm -rf "$fake"
	echo "$out"
	echo "$st"
	grep -q 'warning: kernel 9.9.9-builtin has hv_vmbus hv_storvsc built in' <<<"$out" &&
		grep -q 'kernel 9.9.9-builtin: built in: hv_vmbus hv_storvsc' <<<"$st"
}
check "on a kernel with hv_vmbus built in (modules.builtin), hvkit-select hvkit warns that the choice cannot apply, and --status says so" builtin_ok
check "--status: the choice is hvkit and in effect" \
	bash -c "'$sel' --root '$sys' --status | grep -q 'choice: hvkit' && '$sel' --root '$sys' --status | grep -q 'in effect: yes'"
bad_choice_ok() {
	local out
	cp "$sys/etc/hvkit/drivers" "$tmp/drivers.keep"
	echo hvkti >"$sys/etc/hvkit/drivers"
	if out=$("$sel" --root "$sys" 2>&1); then
		cp "$tmp/drivers.keep" "$sys/etc/hvkit/drivers"
		echo "accepted: $out"
		return 1
	fi
	cp "$tmp/drivers.keep" "$sys/etc/hvkit/drivers"
	echo "$out"
	grep -q "error: /etc/hvkit/drivers says 'hvkti'; it must say hvkit or inbox" <<<"$out"
}
check "a misspelt /etc/hvkit/drivers is an error that names it" bad_choice_ok

# A reinstall (an upgrade) keeps the operator's choice.
DESTDIR=$sys KVER=$series scripts/install.sh all >"$tmp/reinstall.log" 2>&1 ||
	{ cat "$tmp/reinstall.log"; die "the second install failed"; }
check "a second make install keeps /etc/hvkit/drivers (hvkit) and the switch in hvkit's position" \
	bash -c "sed 's/#.*//' '$sys/etc/hvkit/drivers' | grep -qx hvkit && grep -qx 'alias acpi\*:VMBUS:\* hvkit_hyperv' '$sys/etc/modprobe.d/hvkit-select.conf'"
"$sel" --root "$sys" inbox >/dev/null 2>&1
check "hvkit-select inbox puts the switch back: the file is the inbox template, hv_vmbus for the ACPI device" \
	bash -c "grep -qx 'blacklist hvkit_vmbus' '$sys/etc/modprobe.d/hvkit-select.conf' && ! grep -q '^alias' '$sys/etc/modprobe.d/hvkit-select.conf' && ${M[*]@Q} -R acpi:VMBUS: | grep -qx hv_vmbus"

# ---- the manifest
manifest=$sys/usr/share/hvkit/install-manifest
manifest_ok() {
	local new listed
	[ -f "$manifest" ] || { echo "no manifest"; return 1; }
	[ -z "$(sort "$manifest" | uniq -d)" ] || { echo "duplicate lines:"; sort "$manifest" | uniq -d; return 1; }
	# What install added: files and symlinks not in the snapshot, depmod's
	# indexes and the manifest itself aside.
	new=$(comm -13 <(awk '$1 == "f" || $1 == "l" { print $3 }' <<<"$before" | sed 's|^\.||' | sort) \
		<(cd "$sys" && find . -type f -o -type l | sed 's|^\.||' | sort) |
		grep -vE "^$mods/modules\.|^/usr/share/hvkit/install-manifest$" || true)
	listed=$(sed -n 's/^f //p' "$manifest" | sort)
	[ "$new" = "$listed" ] || { diff <(echo "$new") <(echo "$listed"); return 1; }
}
check "the manifest lists exactly the files install added" manifest_ok

echo "# make uninstall DESTDIR=$sys"
make -s uninstall DESTDIR="$sys" >"$tmp/uninstall.log" 2>&1 || { cat "$tmp/uninstall.log"; die "make uninstall failed"; }
uninstall_ok() {
	local after
	after=$(snapshot "$sys")
	[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
}
check "make uninstall leaves the root exactly as before install (files, modes, contents; depmod run again)" uninstall_ok

# ---- an empty root, PREFIX=/usr/local, with install-src
empty=$tmp/empty
mkdir -p "$empty"
make -s install install-src DESTDIR="$empty" PREFIX=/usr/local KVER="$series" >"$tmp/install2.log" 2>&1 ||
	{ cat "$tmp/install2.log"; die "make install install-src PREFIX=/usr/local failed"; }
version=$(sed -n 's/^Version:[[:space:]]*//p' packaging/hvkit.spec)
prefix_ok() {
	[ -x "$empty/usr/local/bin/hvctl" ] && [ -x "$empty/usr/local/sbin/hvkit-select" ] &&
		[ -f "$empty/usr/local/share/man/man8/hvctl.8" ] &&
		grep -q '^templates=/usr/local/share/hvkit/modprobe$' "$empty/usr/local/sbin/hvkit-select" &&
		[ -f "$empty$mods/updates/hvkit/hvkit_vmbus.ko" ] && [ -f "$empty/etc/modprobe.d/hvkit-select.conf" ] &&
		[ -f "$empty/usr/src/hvkit-$version/dkms.conf" ] && [ -f "$empty/usr/local/share/hvkit/install-manifest" ] &&
		[ ! -e "$empty/usr/bin" ] && [ ! -e "$empty/usr/share" ] || { (cd "$empty" && find . | sort); return 1; }
}
check "PREFIX=/usr/local: programs, man pages, data and manifest move; modules, /etc and /usr/src/hvkit-$version do not" prefix_ok
make -s uninstall DESTDIR="$empty" PREFIX=/usr/local >"$tmp/uninstall2.log" 2>&1 ||
	{ cat "$tmp/uninstall2.log"; die "make uninstall PREFIX=/usr/local failed"; }
check "make uninstall empties the root it filled (install-src's tree too)" \
	bash -c "[ -z \"\$(ls -A '$empty')\" ] || { cd '$empty' && find . | sort; exit 1; }"
check "make uninstall with no manifest fails and says so" \
	bash -c "! out=\$(make -s uninstall DESTDIR='$empty' 2>&1) && grep -q 'no install manifest' <<<\"\$out\""

tap_end
