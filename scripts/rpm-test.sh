#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# rpm-test.sh: make rpm, then check with rpm -qp what each package holds,
# needs and runs. Runs alone and as a step of make check.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

tmp=$(mktemp -d /tmp/hvkit-rpm-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
version=$(sed -n 's/^Version:[[:space:]]*//p' packaging/hvkit.spec)
release=$(rpmspec -q --srpm --qf '%{RELEASE}\n' packaging/hvkit.spec 2>/dev/null)
vr=$version-$release
arch=$(rpm --eval '%{_arch}')

. "$top/scripts/tap-lib.sh"

echo "# make rpm"
make -s rpm >"$tmp/make-rpm.log" 2>&1 || { cat "$tmp/make-rpm.log"; die "make rpm failed"; }
r=$top/build/rpm
srpm=$r/SRPMS/hvkit-$vr.src.rpm
base=$r/RPMS/$arch/hvkit-$vr.$arch.rpm
tools=$r/RPMS/$arch/hvkit-tools-$vr.$arch.rpm
dkms=$r/RPMS/noarch/hvkit-dkms-$vr.noarch.rpm

set_ok() {
	local want have d
	want=$(printf '%s\n' "$srpm" "$base" "$tools" "$dkms")
	for d in kvp vss fcopy; do
		[ -d "daemons/$d" ] && want+=$'\n'"$r/RPMS/$arch/hvkit-${d}d-$vr.$arch.rpm"
	done
	have=$(find "$r/SRPMS" "$r/RPMS" -name '*.rpm')
	[ "$(sort <<<"$want")" = "$(sort <<<"$have")" ] || { diff <(sort <<<"$want") <(sort <<<"$have"); return 1; }
}
check "make rpm builds the source RPM, hvkit, hvkit-tools, hvkit-dkms (noarch) and one package per daemon in daemons/, nothing else" set_ok

# files PKG: what rpm -qpl lists, without the build-id links rpmbuild adds
# (and without "(contains no files)" for an empty package).
files() { rpm -qpl "$1" 2>/dev/null | grep -v -e '^/usr/lib/\.build-id' -e '^(contains no files)$' || true; }
same() { # WANT HAVE
	[ "$1" = "$2" ] || { diff <(echo "$1") <(echo "$2"); return 1; }
}

srpm_ok() {
	local tl
	same "$(printf '%s\n' "hvkit-$version.tar.gz" hvkit.spec)" "$(rpm -qpl "$srpm" 2>/dev/null | sort)" || return 1
	rpm2cpio "$srpm" | (cd "$tmp" && cpio -idm --quiet "hvkit-$version.tar.gz")
	tl=$(tar -tzf "$tmp/hvkit-$version.tar.gz")
	for f in Makefile Kbuild CMakeLists.txt drivers/vmbus/main.c userspace/hvctl/main.cpp packaging/hvkit.spec man/hvctl.8 scripts/install.sh; do
		grep -qx "hvkit-$version/$f" <<<"$tl" || { echo "the tarball lacks $f"; return 1; }
	done
	! grep -q "^hvkit-$version/build/" <<<"$tl" || { echo "the tarball holds build/"; return 1; }
}
check "the source RPM holds hvkit.spec and hvkit-$version.tar.gz, which holds the tree and no build/" srpm_ok

base_ok() {
	local want d
	[ "$(rpm -qp --qf '%{ARCH}' "$base" 2>/dev/null)" = "$arch" ] || return 1
	[ -z "$(files "$base")" ] || { echo "files: $(files "$base")"; return 1; }
	want=$(printf '%s\n' "hvkit-dkms = $vr" "hvkit-tools = $vr"
		for d in kvp vss fcopy; do [ ! -d "daemons/$d" ] || echo "hvkit-${d}d = $vr"; done)
	same "$(sort <<<"$want")" "$(rpm -qpR "$base" 2>/dev/null | grep -v '^rpmlib(' | sort)"
}
check "hvkit holds no file and requires hvkit-tools, hvkit-dkms and each daemon's package of the same version-release" base_ok

tools_ok() {
	local f
	f=$(files "$tools")
	grep -qx /usr/bin/hvctl <<<"$f" && grep -qE '^/usr/share/man/man8/hvctl\.8(\.gz|\.xz)?$' <<<"$f" &&
		[ "$(wc -l <<<"$f")" = 2 ] || { echo "$f"; return 1; }
	mkdir -p "$tmp/tools"
	rpm2cpio "$tools" | (cd "$tmp/tools" && cpio -idm --quiet)
	# Not "hvctl --help | grep -q": under pipefail, grep leaving at the
	# first line can kill hvctl with SIGPIPE and fail the check.
	grep -q '^usage: hvctl' <<<"$("$tmp/tools/usr/bin/hvctl" --help)"
}
check "hvkit-tools holds /usr/bin/hvctl (it runs) and hvctl.8, nothing else" tools_ok

# hvkit-dkms: its /usr/src tree is exactly make install-src's.
make -s install-src DESTDIR="$tmp/src" >/dev/null 2>&1 || die "make install-src failed"
dkms_ok() {
	local f want
	[ "$(rpm -qp --qf '%{ARCH}' "$dkms" 2>/dev/null)" = noarch ] || { echo "not noarch"; return 1; }
	f=$(files "$dkms")
	want=$( (cd "$tmp/src" && find usr/src -mindepth 1 | sed 's|^|/|') | sort)
	same "$want" "$(grep '^/usr/src/' <<<"$f" | sort)" || return 1
	want=$(printf '%s\n' /etc/hvkit /etc/hvkit/drivers /etc/modprobe.d/hvkit-select.conf /usr/sbin/hvkit-select \
		/usr/share/hvkit /usr/share/hvkit/modprobe /usr/share/hvkit/modprobe/hvkit.conf \
		/usr/share/hvkit/modprobe/inbox.conf /usr/lib/dracut/modules.d/90hvkit \
		/usr/lib/dracut/modules.d/90hvkit/module-setup.sh | sort)
	same "$want" "$(grep -vE '^/usr/src/|^/usr/share/man/' <<<"$f" | sort)" || return 1
	grep -qE '^/usr/share/man/man8/hvkit-select\.8(\.gz|\.xz)?$' <<<"$f" || { echo "no hvkit-select.8"; return 1; }
	! grep -qE '\.ko$|/selftests/' <<<"$f" || { echo "a module or a test in the package"; return 1; }
}
check "hvkit-dkms (noarch) holds make install-src's /usr/src/hvkit-$version exactly, hvkit-select with its man page and templates, the dracut module, /etc/hvkit/drivers" dkms_ok
check "hvkit-dkms: /etc/hvkit/drivers is %config(noreplace), /etc/modprobe.d/hvkit-select.conf is %ghost" \
	bash -c "rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$dkms' 2>/dev/null | grep -qx 'cn /etc/hvkit/drivers' &&
		rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' '$dkms' 2>/dev/null | grep -qx 'g /etc/modprobe.d/hvkit-select.conf'"
scripts_ok() {
	local s
	grep -qx dkms <<<"$(rpm -qpR "$dkms" 2>/dev/null)" || { echo "does not require dkms"; return 1; }
	s=$(rpm -qp --scripts "$dkms" 2>/dev/null)
	echo "$s"
	grep -q "^dkms add -m hvkit -v $version .*--rpm_safe_upgrade" <<<"$s" &&
		grep -q "^dkms install -m hvkit -v $version" <<<"$s" &&
		grep -q "^/usr/sbin/hvkit-select" <<<"$s" &&
		grep -q "^dkms remove -m hvkit -v $version .*--all --rpm_safe_upgrade" <<<"$s"
}
check "hvkit-dkms requires dkms; %post adds and installs hvkit/$version and applies hvkit-select, %preun removes it" scripts_ok
payload_ok() {
	mkdir -p "$tmp/dkms"
	rpm2cpio "$dkms" | (cd "$tmp/dkms" && cpio -idm --quiet)
	grep -qx "PACKAGE_VERSION=\"$version\"" "$tmp/dkms/usr/src/hvkit-$version/dkms.conf" &&
		grep -qx 'templates=/usr/share/hvkit/modprobe' "$tmp/dkms/usr/sbin/hvkit-select" &&
		grep -qx inbox <<<"$(sed 's/#.*//' "$tmp/dkms/etc/hvkit/drivers")"
}
check "hvkit-dkms's payload: dkms.conf of version $version, hvkit-select pointing at /usr/share/hvkit, the choice 'inbox'" payload_ok

# The daemons' subpackages: the scriptlets the spec gives them, with
# Debian's rpm (the spec's fallbacks) and with a distribution's own macros.
daemons_ok() {
	local p d u
	p=$(rpmspec -P --with kvp --with vss --with fcopy packaging/hvkit.spec 2>&1) || { echo "$p"; return 1; }
	for d in kvpd vssd fcopyd; do
		u=hyperv$d.service
		grep -qx "%post $d" <<<"$p" && grep -q "systemctl --no-reload preset $u" <<<"$p" &&
			grep -q "systemctl --no-reload disable --now $u" <<<"$p" &&
			grep -q "systemctl try-restart $u" <<<"$p" &&
			grep -q "enable $u' >.*/90-hvkit-$d.preset" <<<"$p" ||
			{ echo "hvkit-$d's scriptlets or preset are missing"; return 1; }
	done
	p=$(rpmspec -P --with kvp --define 'systemd_post() DISTRO_POST %{?*}' packaging/hvkit.spec 2>&1)
	grep -qx 'DISTRO_POST hypervkvpd.service' <<<"$p" || { echo "the distribution's %systemd_post is not used"; return 1; }
}
check "with --with kvp/vss/fcopy each daemon subpackage gets %systemd_post/_preun/_postun_with_restart (fallbacks here, the distribution's own where defined) and a preset enabling its unit" daemons_ok

tap_end
