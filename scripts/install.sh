#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# install.sh [--no-manifest] PART... | install.sh uninstall
# What make install, make uninstall and make install-src run, and what the
# RPM spec's %install runs (with --no-manifest). PARTs:
#   all      make install: modules, user and switch, then depmod for the
#            release and hvkit-select (applies /etc/hvkit/drivers)
#   modules  build/kmod/<release>/drivers/**/*.ko (the release of KDIR or
#            KVER, as make modules builds it; never the test modules) into
#            /lib/modules/<release>/updates/hvkit, and /etc/depmod.d/hvkit.conf;
#            signed first when SIGN_KEY and SIGN_CERT are set (SIGN_HASH,
#            default sha512; SIGN_FILE, default the tree's scripts/sign-file)
#   user     every program in build/user/bin (CMake puts shipped programs
#            there and nothing else): the hyperv*d daemons into PREFIX/sbin
#            with upstream's names (hv_kvp_daemon, ...) as symlinks where no
#            other file has them, the rest into PREFIX/bin; man/*.[1-8]; and what exists of
#            daemons/systemd (units, presets) and daemons/udev (rules)
#   switch   hvkit-select, its two modprobe.d templates, the dracut module
#            (PREFIX/lib/dracut/modules.d/90hvkit), and
#            /etc/hvkit/drivers (only when there is none: the operator's
#            choice survives a reinstall)
#   src      the module sources, dkms.conf and the build script into
#            /usr/src/hvkit-<version> (make install-src; the hvkit-dkms RPM)
#   uninstall  remove every file the manifest lists, and the directories
#            install created, then run depmod again
# DESTDIR is the staging root, PREFIX (default /usr) holds programs, man
# pages, units, udev rules and data. /etc, /lib/modules and /usr/src do not
# move with PREFIX: modprobe, depmod and dkms look only there.
# Every file and created directory is listed in
# DESTDIR/PREFIX/share/hvkit/install-manifest; parts run later add to it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

manifest=1
if [ "${1:-}" = --no-manifest ]; then
	manifest=0
	shift
fi
[ $# -gt 0 ] || die "usage: install.sh [--no-manifest] all|modules|user|switch|src... | uninstall"

dest=
if [ -n "${DESTDIR:-}" ]; then
	dest=$(realpath -m "$DESTDIR")
	mkdir -p "$dest"
fi
prefix=${PREFIX:-/usr}
case $prefix in /*) ;; *) die "PREFIX must be an absolute path (it is '$prefix')" ;; esac
prefix=${prefix%/}
manifest_path=$prefix/share/hvkit/install-manifest
version=$(sed -n 's/^Version:[[:space:]]*//p' "$top/packaging/hvkit.spec")
[ -n "$version" ] || die "packaging/hvkit.spec has no Version:"

entries=()   # "f PATH" and "d PATH", paths as on the installed system
releases=()  # kernel releases whose module tree changed

# mkdirs DIR: create DIR under DESTDIR, listing each directory created.
mkdirs() {
	local d=$1 parts=() p
	while [ "$d" != / ] && [ ! -d "$dest$d" ]; do
		parts=("$d" "${parts[@]}")
		d=$(dirname "$d")
	done
	for p in "${parts[@]}"; do
		mkdir "$dest$p"
		entries+=("d $p")
	done
}

# put SRC DST MODE: install one file.
put() {
	[ -f "$1" ] || die "cannot install $1: no such file"
	mkdirs "$(dirname "$2")"
	install -m "$3" "$1" "$dest$2"
	entries+=("f $2")
}

# put_alias TARGET DST: a symlink DST -> TARGET (a name in the same
# directory), unless DST is already something else: another package's
# file (upstream's hv_kvp_daemon from hyperv-daemons, say) is never replaced.
put_alias() {
	if [ -e "$dest$2" ] || [ -L "$dest$2" ]; then
		if [ "$(readlink "$dest$2")" != "$1" ]; then
			log "keeping ${dest}$2 as it is: it is not hvkit's"
			return 0
		fi
		rm -f "$dest$2"
	fi
	mkdirs "$(dirname "$2")"
	ln -s "$1" "$dest$2"
	entries+=("f $2")
}

# put_subst SRC DST MODE: install one file with @PREFIX@, @BINDIR@,
# @SBINDIR@, @DATADIR@ and @VERSION@ replaced.
put_subst() {
	local tmp
	tmp=$(mktemp)
	sed -e "s|@PREFIX@|$prefix|g" -e "s|@BINDIR@|$prefix/bin|g" \
		-e "s|@SBINDIR@|$prefix/sbin|g" -e "s|@DATADIR@|$prefix/share|g" \
		-e "s|@VERSION@|$version|g" "$1" >"$tmp"
	put "$tmp" "$2" "$3"
	rm -f "$tmp"
}

run_depmod() {
	local rel=$1 args=()
	if [ -n "$dest" ]; then
		# A staging root: its own depmod.d, never the running system's.
		[ -d "$dest/etc/depmod.d" ] && args+=(-C "$dest/etc/depmod.d")
		depmod -b "$dest" "${args[@]}" "$rel" || die "depmod -b $dest $rel failed"
	else
		depmod "$rel" || die "depmod $rel failed"
	fi
}

part_modules() {
	local krel kmod kos=() ko
	# HVKIT_KREL and HVKIT_KMOD: the guest image builder names both.
	krel=${HVKIT_KREL:-$("$top/scripts/kdir.sh" --krel)} ||
		die "no kernel to install for (KVER=${KVER:-} KDIR=${KDIR:-})"
	[ -n "$krel" ] || die "cannot tell the release of the kernel tree (KVER=${KVER:-} KDIR=${KDIR:-})"
	kmod=${HVKIT_KMOD:-$top/build/kmod/$krel}
	[ -d "$kmod/drivers" ] && mapfile -t kos < <(find "$kmod/drivers" -name '*.ko' | sort)
	[ ${#kos[@]} -gt 0 ] || die "no modules built for $krel in build/kmod/$krel; run 'make modules' with the same KVER/KDIR"
	[ -z "${SIGN_KEY:-}" ] || sign_modules
	for ko in "${kos[@]}"; do
		put "$ko" "/lib/modules/$krel/updates/hvkit/${ko##*/}" 644
	done
	put "$top/packaging/depmod.conf" /etc/depmod.d/hvkit.conf 644
	releases+=("$krel")
	log "installed ${#kos[@]} modules for $krel into ${dest}/lib/modules/$krel/updates/hvkit"
}

# sign_modules: with SIGN_KEY (a PEM private key, or a pkcs11: URI) and
# SIGN_CERT (its X.509 certificate, PEM or DER), sign copies of the modules
# in kos with the kernel tree's sign-file (SIGN_FILE to name another) and
# install those: kernels with CONFIG_MODULE_SIG accept them without a taint
# once the certificate is trusted (docs/operations.md). Everything is
# checked before anything is installed.
sign_modules() {
	local sf hash=${SIGN_HASH:-sha512} i
	[ -n "${SIGN_CERT:-}" ] || die "SIGN_KEY is set but SIGN_CERT is not: sign-file needs the key's certificate too"
	case $SIGN_KEY in pkcs11:*) ;; *) [ -r "$SIGN_KEY" ] || die "cannot read the signing key SIGN_KEY=$SIGN_KEY" ;; esac
	[ -r "$SIGN_CERT" ] || die "cannot read the signing certificate SIGN_CERT=$SIGN_CERT"
	sf=${SIGN_FILE:-$("$top/scripts/kdir.sh")/scripts/sign-file}
	[ -x "$sf" ] || die "no sign-file at $sf (the kernel tree's scripts/sign-file; set SIGN_FILE)"
	sign_dir=$(mktemp -d)
	trap 'rm -rf "$sign_dir"' EXIT
	for i in "${!kos[@]}"; do
		cp "${kos[$i]}" "$sign_dir/"
		"$sf" "$hash" "$SIGN_KEY" "$SIGN_CERT" "$sign_dir/${kos[$i]##*/}" ||
			die "sign-file could not sign ${kos[$i]##*/} with $SIGN_KEY and $SIGN_CERT ($hash)"
		kos[$i]=$sign_dir/${kos[$i]##*/}
	done
	log "signed ${#kos[@]} modules ($hash, $SIGN_CERT)"
}

part_user() {
	local bin=$top/build/user/bin f name m u
	[ -x "$bin/hvctl" ] || die "build/user/bin/hvctl is missing; run 'make userspace'"
	for f in "$bin"/*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=${f##*/}
		case $name in
		hyperv*d) put "$f" "$prefix/sbin/$name" 755 ;;
		*) put "$f" "$prefix/bin/$name" 755 ;;
		esac
	done
	# Upstream's names for the daemons, for scripts written for them.
	[ ! -x "$bin/hypervkvpd" ] || put_alias hypervkvpd "$prefix/sbin/hv_kvp_daemon"
	[ ! -x "$bin/hypervvssd" ] || put_alias hypervvssd "$prefix/sbin/hv_vss_daemon"
	if [ -x "$bin/hypervfcopyd" ]; then
		put_alias hypervfcopyd "$prefix/sbin/hv_fcopy_daemon"
		put_alias hypervfcopyd "$prefix/sbin/hv_fcopy_uio_daemon"
	fi
	for m in "$top"/man/*.[1-8]; do
		[ -f "$m" ] || continue
		put_subst "$m" "$prefix/share/man/man${m##*.}/${m##*/}" 644
	done
	# The daemons' units, presets and udev rules, once they exist.
	if [ -d "$top/daemons/systemd" ]; then
		for u in "$top"/daemons/systemd/*; do
			case $u in
			*.service | *.socket | *.path | *.timer | *.target)
				put_subst "$u" "$prefix/lib/systemd/system/${u##*/}" 644 ;;
			*.preset) put "$u" "$prefix/lib/systemd/system-preset/${u##*/}" 644 ;;
			esac
		done
	fi
	if [ -d "$top/daemons/udev" ]; then
		for u in "$top"/daemons/udev/*.rules; do
			[ -f "$u" ] && put_subst "$u" "$prefix/lib/udev/rules.d/${u##*/}" 644
		done
	fi
}

part_switch() {
	put_subst "$top/packaging/hvkit-select" "$prefix/sbin/hvkit-select" 755
	put "$top/packaging/modprobe/hvkit.conf" "$prefix/share/hvkit/modprobe/hvkit.conf" 644
	put "$top/packaging/modprobe/inbox.conf" "$prefix/share/hvkit/modprobe/inbox.conf" 644
	# The initramfs follows the choice: dracut's "hvkit" module.
	put "$top/packaging/dracut/90hvkit/module-setup.sh" \
		"$prefix/lib/dracut/modules.d/90hvkit/module-setup.sh" 755
	if [ -e "$dest/etc/hvkit/drivers" ]; then
		log "keeping ${dest}/etc/hvkit/drivers as it is"
	else
		put "$top/packaging/drivers.conf" /etc/hvkit/drivers 644
	fi
}

part_src() {
	local d=/usr/src/hvkit-$version f tmp
	tmp=$(mktemp)
	# The test modules of selftests/kmod are not part of the installed tree.
	grep -v 'selftests/' "$top/Kbuild" >"$tmp"
	grep -q '^obj-m += drivers/vmbus/' "$tmp" || die "Kbuild does not build drivers/vmbus/"
	put "$tmp" "$d/Kbuild" 644
	rm -f "$tmp"
	while IFS= read -r f; do
		put "$top/$f" "$d/$f" 644
	done < <(cd "$top" && find drivers include -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) \
		-not -path '*/generated/*' -not -name '*.mod.c' | sort)
	put "$top/scripts/compat-probe.sh" "$d/scripts/compat-probe.sh" 755
	put "$top/scripts/dkms-build.sh" "$d/scripts/dkms-build.sh" 755
	put_subst "$top/packaging/dkms/dkms.conf" "$d/dkms.conf" 644
	log "installed the module sources into ${dest}$d"
}

select_drivers() {
	local sel=$dest$prefix/sbin/hvkit-select
	mkdirs /etc/modprobe.d
	if [ -n "$dest" ]; then
		"$sel" --root "$dest" || die "hvkit-select --root $dest failed"
	else
		"$sel" || die "hvkit-select failed"
	fi
	entries+=("f /etc/modprobe.d/hvkit-select.conf")
}

write_manifest() {
	local m=$dest$manifest_path
	[ "$manifest" = 1 ] || return 0
	mkdirs "$(dirname "$manifest_path")"
	# Earlier installs' entries stay: uninstall removes all of them.
	{ [ -f "$m" ] && cat "$m"; printf '%s\n' "${entries[@]}"; } | awk 'NF && !seen[$0]++' >"$m.new"
	mv "$m.new" "$m"
}

uninstall() {
	local m=$dest$manifest_path kind path rel n=0 kept=0 rels dirs
	[ -f "$m" ] || die "no install manifest at $m: nothing was installed here with PREFIX=$prefix${DESTDIR:+ DESTDIR=$DESTDIR}"
	mapfile -t rels < <(sed -n 's|^f /lib/modules/\([^/]*\)/.*|\1|p' "$m" | sort -u)
	# Deepest first, so that a directory is empty when its turn comes.
	mapfile -t dirs < <(sed -n 's/^d //p' "$m" | sort -r)
	while read -r kind path; do
		[ "$kind" = f ] || continue
		if [ -e "$dest$path" ] || [ -L "$dest$path" ]; then
			rm -f "$dest$path"
			n=$((n + 1))
		fi
	done <"$m"
	for rel in "${rels[@]}"; do
		[ -d "$dest/lib/modules/$rel" ] || continue
		if printf '%s\n' "${dirs[@]}" | grep -qx "/lib/modules/$rel" &&
			[ -z "$(find "$dest/lib/modules/$rel" -name '*.ko*' -print -quit)" ]; then
			# install created this release's tree and no module is left
			# in it: depmod's indexes go with it.
			rm -f "$dest/lib/modules/$rel"/modules.*
		else
			run_depmod "$rel"
		fi
	done
	rm -f "$m"
	for path in "${dirs[@]}"; do
		[ -d "$dest$path" ] || continue
		rmdir "$dest$path" 2>/dev/null || kept=$((kept + 1))
	done
	log "removed $n files"
	[ "$kept" = 0 ] || log "kept $kept directories that now hold files hvkit did not install"
}

if [ "$1" = uninstall ]; then
	[ $# = 1 ] || die "uninstall takes no other part"
	uninstall
	exit 0
fi

apply=0
for part in "$@"; do
	case $part in
	all) part_modules; part_user; part_switch; apply=1 ;;
	modules) part_modules ;;
	user) part_user ;;
	switch) part_switch ;;
	src) part_src ;;
	*) die "unknown part '$part' (all, modules, user, switch, src, uninstall)" ;;
	esac
done
for rel in "${releases[@]}"; do
	run_depmod "$rel"
done
[ "$apply" = 0 ] || select_drivers
write_manifest
