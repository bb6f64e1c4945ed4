#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# graft.sh KSRC [PROBE_KDIR]: puts hvkit into a kernel source tree, as
# OpenZFS's copy-builtin does, so that the kernel builds hvkit's drivers in
# (=y) or as its own modules, in place of the in-tree Hyper-V drivers.
#
#   drivers/hvkit/            hvkit's module sources and headers
#   drivers/hvkit/Kconfig     CONFIG_HVKIT (the VMBus core, the Hyper-V
#                             transport where the kernel has the Hyper-V
#                             platform code, the integration services, storage
#                             network and vPCI) and CONFIG_HVKIT_SIM (the simulated
#                             host and the echo device, for testing; modules only)
#   drivers/Kconfig, drivers/Makefile   one line each, added once
#
# The compat probes (drivers/compat/probes) are answered for that kernel:
# they compile against PROBE_KDIR, a configured and prepared build of the
# same tree (an O= directory after `make modules_prepare`); default KSRC.
# Running it again replaces drivers/hvkit and adds nothing twice. Then:
#   make olddefconfig && scripts/config --enable HVKIT (or menuconfig)
# See docs/kernels.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
ksrc=${1:?usage: graft.sh KSRC [PROBE_KDIR]}
pkdir=${2:-$ksrc}
[ -f "$ksrc/drivers/Kconfig" ] && [ -f "$ksrc/drivers/Makefile" ] ||
	die "$ksrc is not a kernel source tree (no drivers/Kconfig)"
[ -f "$pkdir/Makefile" ] || die "$pkdir is not a kernel build directory"
version=$(sed -n 's/^Version:[[:space:]]*//p' "$top/packaging/hvkit.spec")

dest=$ksrc/drivers/hvkit
# The last graft's generated files, to compare the new ones with.
keep=
if [ -d "$dest" ]; then
	keep=$(mktemp -d)
	cp -p "$dest"/Kconfig "$dest"/Makefile "$keep/" 2>/dev/null || true
	[ -f "$dest/drivers/compat/generated/probed.h" ] &&
		cp -p "$dest/drivers/compat/generated/probed.h"* "$keep/"
fi
rm -rf "$dest"
mkdir -p "$dest/drivers" "$dest/include"
# The guest drivers, the simulated host and the echo device; the headers.
for d in vmbus hyperv util storage net pci sim echo compat; do
	[ -d "$top/drivers/$d" ] || continue
	(cd "$top/drivers" && find "$d" -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) \
		-not -path '*/generated/*' -not -name '*.mod.c') |
		while IFS= read -r f; do
			mkdir -p "$dest/drivers/$(dirname "$f")"
			cp -p "$top/drivers/$f" "$dest/drivers/$f"
		done
done
cp -rp "$top/include/hvkit" "$dest/include/"

# Out of tree every Kbuild says obj-m; here each follows its option.
for k in "$dest"/drivers/*/Kbuild; do
	case "$k" in
	*/sim/Kbuild|*/echo/Kbuild) opt=CONFIG_HVKIT_SIM ;;
	*) opt=CONFIG_HVKIT ;;
	esac
	sed -i "s/^obj-m[[:space:]]*+=/obj-\$($opt) +=/" "$k"
done
# The kernel's answers to the compat probes (compat-probe.sh rewrites the
# header only when its content changes, and runs only when its key does).
if [ -n "$keep" ] && [ -f "$keep/probed.h" ]; then
	mkdir -p "$dest/drivers/compat/generated"
	cp -p "$keep/probed.h"* "$dest/drivers/compat/generated/"
fi
"$top/scripts/compat-probe.sh" "$pkdir" "$top/drivers/compat/probes" \
	"$dest/drivers/compat/generated/probed.h" || die "the compat probes failed against $pkdir"

# The in-tree VMBus driver and hvkit's cannot both own VMBus. From 6.18
# the kernel's Hyper-V platform code (HYPERV) is apart from its VMBus
# driver (HYPERV_VMBUS): hvkit needs the latter off. Before, HYPERV is both.
if grep -q '^config HYPERV_VMBUS' "$ksrc/drivers/hv/Kconfig" 2>/dev/null; then
	inbox='!HYPERV_VMBUS'
else
	inbox='!HYPERV'
fi
cat >"$dest/Kconfig.new" <<EOF
# SPDX-License-Identifier: GPL-2.0
# Grafted by hvkit's scripts/graft.sh (hvkit $version).
menuconfig HVKIT
	tristate "hvkit: Hyper-V VMBus guest drivers, in place of drivers/hv"
	depends on X86_64 && ACPI && PCI && NET && SCSI
	depends on $inbox
	depends on PTP_1588_CLOCK_OPTIONAL
	help
	  hvkit's VMBus core, its Hyper-V transport (where the kernel has
	  the Hyper-V platform code), the integration services (heartbeat,
	  shutdown, time sync, KVP, VSS, file copy), the synthetic SCSI
	  controller, the synthetic NIC and vPCI: the modules hvkit_vmbus,
	  hvkit_hyperv, hvkit_utils, hvkit_storvsc, hvkit_netvsc and
	  hvkit_pci, or built in. They replace the kernel's own Hyper-V
	  guest drivers, which must be off.

if HVKIT

config HVKIT_SIM
	tristate "hvkit simulated Hyper-V host (testing)"
	depends on m
	help
	  A Hyper-V host inside the guest, so that hvkit's drivers run in
	  any VM (QEMU with TCG too), and the echo test device: the modules
	  hvkit_sim and hvkit_echo. For testing; never on a production VM.
	  Modules only: the simulated host shares wire code with
	  hvkit_utils.

endif
EOF
cat >"$dest/Makefile.new" <<'EOF'
# SPDX-License-Identifier: GPL-2.0
# Grafted by hvkit's scripts/graft.sh. The core first: built in, the
# drivers' initcalls run after its own.
obj-$(CONFIG_HVKIT) += drivers/vmbus/ drivers/hyperv/ drivers/util/ drivers/storage/ drivers/net/ drivers/pci/
obj-$(CONFIG_HVKIT_SIM) += drivers/sim/ drivers/echo/
EOF
for f in Kconfig Makefile; do
	# Unchanged files keep their time, so kbuild rebuilds no more than it must.
	if [ -f "$keep/$f" ] && cmp -s "$keep/$f" "$dest/$f.new"; then
		cp -p "$keep/$f" "$dest/$f"
		rm -f "$dest/$f.new"
	else
		mv "$dest/$f.new" "$dest/$f"
	fi
done
[ -z "$keep" ] || rm -rf "$keep"

# One line in each of drivers/Kconfig and drivers/Makefile. sed -i writes
# a new file: a tree hard-linked to another is not changed under it.
grep -q '^source "drivers/hvkit/Kconfig"' "$ksrc/drivers/Kconfig" ||
	sed -i 's|^endmenu$|source "drivers/hvkit/Kconfig"\n\nendmenu|' "$ksrc/drivers/Kconfig"
grep -q '^source "drivers/hvkit/Kconfig"' "$ksrc/drivers/Kconfig" ||
	die "could not add drivers/hvkit/Kconfig to $ksrc/drivers/Kconfig"
grep -q 'hvkit/' "$ksrc/drivers/Makefile" ||
	sed -i '$a obj-$(CONFIG_HVKIT)\t\t+= hvkit/' "$ksrc/drivers/Makefile"
log "grafted hvkit $version into $ksrc/drivers/hvkit"
