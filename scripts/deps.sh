#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install exactly what hvkit needs and is missing, then make sure the
# headers and the image of each guest kernel are unpacked in the cache.
# Kernels are never installed: the machine this runs on boots as before.
#
#   scripts/deps.sh            build + test dependencies, both kernels
#   HVKIT_KSERIES="6.12" ...   only the named kernel series
#
# Idempotent: when everything is present it runs dpkg-query once and exits.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# Packages the build and the tests need (Debian 12 names).
pkgs=(
	build-essential gcc-12 libelf1 libssl3 dwarves
	rsync bc bison flex kmod cpio xz-utils zstd pkg-config cmake
	busybox-static qemu-system-x86 sparse
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libudev-dev libkmod-dev
	libsystemd-dev libgtest-dev libgmock-dev libbenchmark-dev
	clang libclang-rt-14-dev clang-tidy
	dkms rpm groff-base
	# fio and iperf3 run in the guest (selftests/config unpacks their
	# .debs); the guest image takes their libraries from this machine.
	fio iperf3
	# selftests/host/dracut-boot.sh: a Debian userland for dracut, built in
	# the cache (dracut itself would replace initramfs-tools here).
	mmdebstrap
)

series=${HVKIT_KSERIES:-"6.12 6.1"}

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "installing packages needs root (missing: ${missing[*]})"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/hvkit-apt.log 2>&1; then
		log "apt-get install failed; refreshing the package lists once"
		apt-get update >/tmp/hvkit-apt.log 2>&1 || die "apt-get update failed, see /tmp/hvkit-apt.log"
		apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/hvkit-apt.log 2>&1 ||
			die "apt-get install ${missing[*]} failed, see /tmp/hvkit-apt.log"
	fi
fi

# Each kernel series: the release apt offers now, its headers (to build
# against) and its image (to boot), both unpacked into the cache.
for s in $series; do
	krel=$(krel_from_apt "$s")
	if [ -z "$krel" ]; then
		apt-get update >/tmp/hvkit-apt.log 2>&1 || true
		krel=$(krel_from_apt "$s")
	fi
	# Offline, a release already in the cache will do.
	[ -n "$krel" ] || krel=$(krel_of "$s") || die "apt knows no linux-headers for kernel series $s"
	ensure_headers "$krel"
	ensure_kernel_image "$krel"
done
