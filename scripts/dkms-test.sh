#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dkms-test.sh [SERIES...]: a DKMS build from the installed source tree,
# for each kernel series (default KVERS, or "6.12 6.1"). Runs alone and as
# a step of make check.
#
# make install-src puts the tree into a scratch root, as the hvkit-dkms
# package puts it into /usr/src. Debian's dkms then adds, builds and
# installs it against the headers 'make deps' unpacked into the cache
# (--kernelsourcedir), with its own trees in the scratch directory
# (--dkmstree, --sourcetree, --installtree) and no depmod: /lib/modules,
# /var/lib/dkms, /usr/src, /etc and /boot of this machine must not change,
# and the test checks that they did not. The headers are never installed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

[ $# -gt 0 ] || set -- ${KVERS:-6.12 6.1}
command -v dkms >/dev/null || die "dkms is not installed; run 'make deps'"

tmp=$(mktemp -d /tmp/hvkit-dkms-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^Version:[[:space:]]*//p' packaging/hvkit.spec)

. "$top/scripts/tap-lib.sh"

# What DKMS could change on this machine.
machine() {
	local d
	for d in /lib/modules /var/lib/dkms /usr/src /boot /etc/dkms /etc/modprobe.d /etc/depmod.d; do
		[ -e "$d" ] && find "$d" -printf '%y %m %s %T@ %p\n' 2>/dev/null | sort -k5
		echo "-- $d"
	done
}
before=$(machine)

src=$tmp/root/usr/src/hvkit-$version
make -s install-src DESTDIR="$tmp/root" >"$tmp/install-src.log" 2>&1 || { cat "$tmp/install-src.log"; die "make install-src failed"; }
tree_ok() {
	[ -f "$src/dkms.conf" ] && [ -x "$src/scripts/dkms-build.sh" ] && [ -x "$src/scripts/compat-probe.sh" ] || return 1
	grep -qx "PACKAGE_VERSION=\"$version\"" "$src/dkms.conf" || { echo "dkms.conf's version is not $version"; return 1; }
	! grep -q selftests "$src/Kbuild" && [ ! -e "$src/selftests" ] || { echo "test modules in the tree"; return 1; }
	[ -z "$(find "$src" -name generated -o -name '*.o' -o -name '*.ko')" ] || { echo "build products in the tree"; return 1; }
}
check "make install-src: /usr/src/hvkit-$version holds dkms.conf ($version), the build scripts, the sources, no test module and no build product" tree_ok

# The signing key would go to /var/lib/dkms: signing is not tested here.
export sign_file=/nonexistent
dk=(dkms --dkmstree "$tmp/dkms" --sourcetree "$tmp/root/usr/src" --installtree "$tmp/inst/lib/modules"
	-m hvkit -v "$version")
mkdir -p "$tmp/dkms"
check "dkms add registers hvkit/$version from the installed tree (private dkms tree)" "${dk[@]}" add

for s in "$@"; do
	krel=$(krel_of "$s") || die "no headers for kernel series $s; run 'make deps'"
	kdir=$(headers_kdir "$krel")
	mkdir -p "$tmp/inst/lib/modules/$krel"
	build_ok() {
		"${dk[@]}" -k "$krel" --kernelsourcedir "$kdir" build && return
		# dkms names its make.log but removes it with the test's scratch tree.
		tail -n 30 "$tmp/dkms/hvkit/$version/build/make.log" 2>/dev/null
		return 1
	}
	check "dkms build of hvkit/$version for $krel against its headers (--kernelsourcedir, never installed)" build_ok
	mdir=$tmp/dkms/hvkit/$version/$krel/x86_64
	built_ok() {
		local want have k v
		# What kbuild linked, against what dkms.conf names and dkms kept.
		want=$(sed -n 's|^ *LD \[M\] .*/\([^/]*\.ko\)$|\1|p' "$mdir/log/make.log" | sort -u)
		have=$(cd "$mdir/module" 2>/dev/null && ls | sort)
		[ -n "$want" ] && [ "$want" = "$have" ] || { echo "kbuild built: $want"; echo "dkms kept: $have"; return 1; }
		for k in $have; do
			v=$(modinfo -F vermagic "$mdir/module/$k")
			[ "${v%% *}" = "$krel" ] || { echo "$k: vermagic $v"; return 1; }
		done
		echo "$have"
	}
	check "on $krel dkms keeps every module kbuild built (dkms.conf names them all), each with vermagic $krel" built_ok
	check "dkms install for $krel into the private install tree, no depmod" \
		"${dk[@]}" -k "$krel" --kernelsourcedir "$kdir" install --no-depmod
	installed_ok() {
		local m=$tmp/inst/lib/modules/$krel
		[ -f "$m/updates/dkms/hvkit_vmbus.ko" ] || { find "$tmp/inst"; return 1; }
		depmod -b "$tmp/inst" "$krel" 2>/dev/null
		grep -q '^updates/dkms/hvkit_echo.ko: updates/dkms/hvkit_vmbus.ko$' "$m/modules.dep" || { cat "$m/modules.dep"; return 1; }
	}
	check "on $krel the modules land in <installtree>/$krel/updates/dkms, and depmod resolves hvkit_echo's need of hvkit_vmbus" installed_ok
done

check "dkms status shows hvkit/$version installed for each kernel" \
	bash -c "out=\$(${dk[*]@Q} status 2>/dev/null); echo \"\$out\"; [ \$(grep -c ': installed' <<<\"\$out\") = $# ]"
check "dkms remove --all takes it out of the private trees" "${dk[@]}" remove --all --no-depmod
machine_ok() {
	local after
	after=$(machine)
	[ "$after" = "$before" ] || { diff <(echo "$before") <(echo "$after"); return 1; }
}
check "this machine's /lib/modules, /var/lib/dkms, /usr/src, /boot, /etc/dkms, modprobe.d, depmod.d are as they were" machine_ok

tap_end
