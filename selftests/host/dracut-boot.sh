#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Host-side check (issue 9): dracut builds an initramfs from the
# `make install DESTDIR=` tree, and a guest boots from it with its root
# filesystem on a synthetic SCSI disk, served by hvkit's drivers.
#
# dracut runs in a Debian 12 userland of its own (mmdebstrap, cached in
# ~/.cache/hvkit/dracut-root): installing dracut on this machine would
# replace initramfs-tools and change how it boots. hvkit goes into a copy of
# that userland with `scripts/install.sh all` (make install), the choice set
# to hvkit; the shipped dracut module "hvkit" puts its drivers in. A test
# module, 95hvkit-simhost, adds the simulated host, which stands in for
# Hyper-V: it offers the virtio-blk disk "hvroot" (an ext4 image made here,
# holding busybox and an /sbin/init) as a synthetic SCSI LUN. Then root=/dev/sda
# must come up through hvkit_storvsc. That root is the same installed
# userland, booted with systemd: udev and systemd must start hypervkvpd from
# make install's rule and unit when the simulated host offers KVP, and it
# must answer; a mark written on / must reach the image file.
#   dracut-boot.sh KREL [--keep DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/scripts/lib.sh"
krel=${1:?usage: dracut-boot.sh KREL [--keep DIR]}
keep=
[ "${2:-}" = --keep ] && keep=${3:?--keep needs a directory}
kodir=$top/build/kmod/$krel
[ -d "$kodir" ] || die "no modules built for $krel in $kodir; run 'make modules'"
[ -x "$top/build/user/bin/hvctl" ] || die "no build/user/bin/hvctl; run 'make userspace'"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing; run 'make deps'"

# The userland dracut runs in, built once. The key changes with the list.
pkgs=dracut-core,systemd,systemd-sysv,udev,kmod,mount,busybox,libnl-3-200,libnl-genl-3-200,libnl-route-3-200,libstdc++6,libsystemd0,libudev1
key=$(printf '%s bookworm 1\n' "$pkgs" | sha256sum | cut -c1-12)
croot=$(hvkit_cache)/dracut-root/$key
if [ ! -d "$croot" ]; then
	log "building dracut's userland (mmdebstrap, Debian 12: $pkgs)"
	# A run killed inside mmdebstrap leaves its /proc, /sys and /dev
	# mounts in the tree: undo them first, and never delete across one.
	awk -v p="$croot.tmp/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r |
		xargs -r -n 1 umount -l
	rm -rf --one-file-system "$croot.tmp"
	mkdir -p "$(dirname "$croot")"
	mmdebstrap --variant=essential --include="$pkgs" \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		bookworm "$croot.tmp" "deb http://deb.debian.org/debian bookworm main" \
		>"$(hvkit_cache)/dracut-root/mmdebstrap.log" 2>&1 ||
		die "mmdebstrap failed, see $(hvkit_cache)/dracut-root/mmdebstrap.log"
	mv "$croot.tmp" "$croot"
	# Userlands of earlier package lists are dead weight.
	find "$(dirname "$croot")" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
fi

work=$(guest_workdir dracut)
qpid=
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	if [ -n "$keep" ]; then mkdir -p "$keep"; cp "$work"/*.log "$work"/*.list "$keep/" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

# The machine to boot, as an operator would have it: the stock kernel's
# modules, then make install (everything, the choice set to hvkit).
r=$work/root
cp -a "$croot" "$r"
kroot=$(kernel_root "$krel")
ensure_kernel_image "$krel"
mkdir -p "$r/lib/modules"
cp -al "$kroot/lib/modules/$krel" "$r/lib/modules/" 2>/dev/null ||
	cp -a "$kroot/lib/modules/$krel" "$r/lib/modules/"
DESTDIR=$r HVKIT_KREL=$krel HVKIT_KMOD=$kodir "$top/scripts/install.sh" all >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; die "make install into the dracut root failed"; }
"$r/usr/sbin/hvkit-select" --root "$r" hvkit >>"$work/install.log" 2>&1 ||
	die "hvkit-select --root $r hvkit failed"
[ -x "$r/usr/lib/dracut/modules.d/90hvkit/module-setup.sh" ] ||
	die "make install did not put the dracut module at /usr/lib/dracut/modules.d/90hvkit"
cp -r "$top/selftests/host/dracut/95hvkit-simhost" "$r/usr/lib/dracut/modules.d/"

# dracut itself, in that root: no host-only probing of this machine, the
# hvkit module because the choice says hvkit (not named on the command
# line), the simulated host because the test asks for it.
unshare -m -- bash -c '
	set -e
	r=$1 krel=$2
	mount --rbind /dev "$r/dev"
	mount -t proc proc "$r/proc"
	chroot "$r" dracut --force --no-hostonly --no-early-microcode --compress gzip \
		--kver "$krel" -m "base rootfs-block udev-rules" -a hvkit-simhost \
		--add-drivers "ext4" /boot/hvkit-initrd.img
' _ "$r" "$krel" >"$work/dracut.log" 2>&1 || { tail -n 30 "$work/dracut.log"; die "dracut failed"; }
cp "$r/boot/hvkit-initrd.img" "$work/initrd.img"

# What dracut put in: hvkit's drivers, from the installed tree, and the
# choice; none of the in-tree Hyper-V drivers.
zcat "$work/initrd.img" | cpio -it --quiet 2>/dev/null | sort >"$work/initrd.list"
for f in "lib/modules/$krel/updates/hvkit/hvkit_vmbus.ko" "lib/modules/$krel/updates/hvkit/hvkit_storvsc.ko" \
	"lib/modules/$krel/updates/hvkit/hvkit_hyperv.ko" etc/modprobe.d/hvkit-select.conf etc/hvkit/drivers; do
	grep -qxF -e "$f" -e "usr/$f" -e "$f.xz" -e "usr/$f.xz" -e "$f.zst" -e "usr/$f.zst" "$work/initrd.list" || die "the initramfs lacks $f (list: $work/initrd.list)"
done
! grep -qE '/hv_(vmbus|storvsc)\.ko' "$work/initrd.list" || die "the initramfs holds an in-tree Hyper-V driver"

# The root filesystem: that same installed userland, booted with systemd
# as init. A unit of the test's reports what the system booted from, has
# the simulated host offer a KVP channel, and waits for udev and systemd to
# start hvkit's hypervkvpd from the rule and unit make install put there
# (Type=notify: it must say READY=1); the host then asks it for an item.
# Last, it leaves a mark on / that must reach the disk image.
id=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$r/usr/local/sbin/hvkit-boot-check" <<'CHECK'
#!/bin/sh
say() { echo "hvkit-boot: $*" >/dev/console; }
say "root $(awk '$5 == "/" { print $3 }' /proc/self/mountinfo | tail -n1) $(grep ' / ' /proc/mounts | head -n1)"
say "scsi hosts $(cat /sys/class/scsi_host/host*/proc_name | tr '\n' ' ')"
say "init $(cat /proc/1/comm)"
if g=$(hvctl sim add kvp); then
	i=0
	until [ "$(systemctl is-active hypervkvpd.service)" = active ] || [ $i -ge 60 ]; do
		sleep 1; i=$((i + 1))
	done
	say "hypervkvpd.service $(systemctl is-active hypervkvpd.service) after ${i}s"
	if a=$(hvctl sim kvp enumerate --instance "$g" --pool 2 --index 0 2>&1); then
		say "kvp answer ok $a"
	else
		say "kvp answer failed: $a"
	fi
else
	say "hvctl sim add kvp failed"
fi
say "modules $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
id=$(sed -n 's/.*hvkit_bootid=\([0-9a-f]*\).*/\1/p' /proc/cmdline)
echo "$id" >/hvkit-booted && sync && say "wrote mark $id"
systemctl --no-block poweroff
CHECK
chmod +x "$r/usr/local/sbin/hvkit-boot-check"
cat >"$r/etc/systemd/system/hvkit-boot-check.service" <<'UNIT'
[Unit]
Description=hvkit dracut boot test: report and power off
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/hvkit-boot-check
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/hvkit-boot-check.service "$r/etc/systemd/system/multi-user.target.wants/hvkit-boot-check.service"
# The boot needs no login prompt on the console, nor a clock fix-up.
ln -sf /dev/null "$r/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$r/etc/systemd/system/getty@tty1.service"
echo hvkit-dracut-test >"$r/etc/hostname"
rm -f "$r/boot/hvkit-initrd.img"
mkfs.ext4 -q -F -L hvroot -d "$r" "$work/root.img" 1G >"$work/mkfs.log" 2>&1 ||
	die "mkfs.ext4 -d failed: $(cat "$work/mkfs.log")"

kernel=$("$top/selftests/guest/kernel.sh" "$krel")
qemu_boot 300 "$work/console.log" "$work/qemu.log" qemu-system-x86_64 -accel tcg -M pc -cpu max -smp 2 -m 1024 \
	-nodefaults -no-reboot -display none -kernel "$kernel" -initrd "$work/initrd.img" \
	-append "root=/dev/sda rootfstype=ext4 rw console=ttyS0 panic=-1 printk.time=1 rd.shell=0 rd.emergency=poweroff rd.retry=60 systemd.show_status=0 hvkit_bootid=$id" \
	-drive "file=$work/root.img,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0,serial=hvroot \
	-serial file:"$work/console.log"
[ "$qrc" != 124 ] || die "the guest did not finish in 300 s (console: ${keep:-use --keep DIR}/console.log)"

c=$work/console.log
fail() { echo "$1"; grep -aE 'hvkit|dracut|Oops|BUG|panic' "$c" | tail -n 20; exit 1; }
# A kernel problem is shown first: its report with the 27 lines after it
# (its stack), which is what make check shows of a failing step (30 lines).
if first=$(grep -naE 'Oops|BUG:|WARNING:|Kernel panic|rcu: INFO: .*detected stall' "$c" | head -n1 | cut -d: -f1) && [ -n "$first" ]; then
	echo "the kernel log reports a problem (console line $first):"
	sed -n "${first},$((first + 27))p" "$c"
	exit 1
fi
grep -aq 'hvkit-simhost: /dev/vd[a-z] offered as synthetic SCSI controller' "$c" ||
	fail "the simulated host never offered the disk"
grep -aqE 'hvkit-boot: root 8:0 /dev/sda / ext4' "$c" || fail "/ is not the synthetic disk /dev/sda"
grep -aqE 'hvkit-boot: scsi hosts .*hvkit_storvsc' "$c" || fail "no hvkit_storvsc SCSI host"
grep -aq 'hvkit-boot: init systemd' "$c" || fail "systemd is not init on the synthetic root"
grep -aqE 'hvkit-boot: hypervkvpd.service active' "$c" ||
	fail "udev and systemd did not start hypervkvpd.service for the KVP device"
grep -aqE 'hvkit-boot: kvp answer ok .+=' "$c" ||
	fail "hypervkvpd did not answer the host"
mods=$(grep -a 'hvkit-boot: modules' "$c" || true)
for m in hvkit_vmbus hvkit_storvsc hvkit_sim hvkit_utils; do
	grep -qw "$m" <<<"$mods" || fail "$m is not loaded"
done
! grep -qwE 'hv_vmbus|hv_storvsc' <<<"$mods" || fail "an in-tree Hyper-V driver is loaded"
mark=$(debugfs -R 'cat /hvkit-booted' "$work/root.img" 2>/dev/null | tr -d '\n')
[ "$mark" = "$id" ] || fail "init's mark did not reach the disk image (read '$mark', want '$id')"
echo "booted $krel from a dracut initramfs with / on a synthetic SCSI disk (hvkit_storvsc), systemd started hypervkvpd for the KVP device, mark $id on the backing image"
