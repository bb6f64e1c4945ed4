#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make debug-kernel: build, once, a 6.12 kernel with KASAN, KFENCE, UBSAN,
# lockdep, DEBUG_OBJECTS, DEBUG_LIST, kmemleak, hung-task detection and
# KUnit, from Debian's linux-source-6.12, for the guest selftests
# (make check-debug). Cached outside the tree under a key of the source
# version, the config fragment and the recipe version: a second run is
# instant; a new key replaces the old build.
# Prints "KREL KDIR": the release to boot and the tree to build modules in.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

pkgs=(linux-source-6.12 libelf-dev libssl-dev openssl flex bison bc cpio xz-utils rsync)
missing=()
for p in "${pkgs[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/hvkit-apt.log 2>&1 ||
		{ apt-get update >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/hvkit-apt.log 2>&1; } ||
		die "apt-get install ${missing[*]} failed, see /tmp/hvkit-apt.log"
fi

# One build at a time: a second caller waits for the first and then finds
# its result, instead of deleting the half-built tree under it.
mkdir -p "$(hvkit_cache)/debug-kernel"
exec 9>"$(hvkit_cache)/debug-kernel/.lock"
flock 9

tarball=$(ls /usr/src/linux-source-6.12*.tar.xz | sort -V | tail -n1)
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
frag=$top/selftests/debug-kernel.config
# Bump when the build steps below change what is built.
recipe=2
key=$( { echo "$srcver $recipe"; cat "$frag"; } | sha256sum | cut -c1-12)
cache=$(hvkit_cache)/debug-kernel/$key
src=$cache/src
out=$cache/build

if [ ! -f "$cache/.built" ]; then
	log "building the debug kernel (about 20 minutes on 2 cores; cached in $cache)"
	# A build that was stopped halfway (configured, then interrupted) goes on
	# where it stopped; anything else starts from the source again.
	if [ ! -f "$cache/.configured" ]; then
		rm -rf "$cache"
		mkdir -p "$src" "$out"
		tar -xf "$tarball" -C "$src" --strip-components=1
		# A module signing key the kernel trusts (CONFIG_SYSTEM_TRUSTED_KEYS):
		# make check-debug signs hvkit's modules with it (make install
		# SIGN_KEY=) and boots with module.sig_enforce=1.
		mkdir -p "$cache/signing"
		openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 \
			-subj "/CN=hvkit debug kernel test module key/" \
			-keyout "$cache/signing/key.pem" -out "$cache/signing/cert.pem" >/dev/null 2>&1 ||
			die "openssl cannot make the test module signing key"
		make -s -C "$src" O="$out" x86_64_defconfig >/dev/null
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
		"$src/scripts/config" --file "$out/.config" \
			--set-str SYSTEM_TRUSTED_KEYS "$cache/signing/cert.pem"
		make -s -C "$src" O="$out" olddefconfig >/dev/null
		# Every line of the fragment must have survived olddefconfig.
		while IFS= read -r line; do
			case "$line" in CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$out/.config" &&
				die "the debug kernel config kept $opt although the fragment turns it off" ;;
			CONFIG_*) grep -qx "$line" "$out/.config" ||
				die "the debug kernel config lost '$line' (a dependency is missing)" ;;
			esac
		done <"$frag"
		touch "$cache/.configured"
	else
		log "resuming the build that was stopped in $cache"
	fi
	make -C "$src" O="$out" -j"$(nproc)" bzImage modules >"$cache/build.log" 2>&1 ||
		{ tail -n 40 "$cache/build.log"; die "the debug kernel did not build (log: $cache/build.log)"; }
	touch "$cache/.built"
	# Older builds (another source version or config) are 2.7 GB each.
	find "$(dirname "$cache")" -mindepth 1 -maxdepth 1 ! -name "$key" ! -name .lock -exec rm -rf {} +
fi

krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$out/include/generated/utsrelease.h")
# Lay it out like an unpacked Debian image, so the runner boots it as is.
root=$(kernel_root "$krel")
if [ ! -f "$root/.complete" ] || [ "$(cat "$root/.key" 2>/dev/null)" != "$key" ]; then
	rm -rf "$root"
	mkdir -p "$root/boot"
	cp "$out/vmlinux" "$root/boot/vmlinux-$krel.pvh"
	cp "$out/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$krel"
	make -s -C "$src" O="$out" INSTALL_MOD_PATH="$root" modules_install >/dev/null
	echo "$key" >"$root/.key"
	touch "$root/.complete"
fi
echo "$krel $out"
