#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every hvkit module loads, shows up, and unloads without a trace, in loops.
. /hvkit/lib/tap.sh
loops=${HVK_LOAD_LOOPS:-$(hvk_scale 20)}
mods=$(hvk_modules)
[ -n "$mods" ] || tap_skip_all "no hvkit modules in this guest"
set -- $mods
tap_plan $(($# * 2))
for m in $mods; do
	if [ "$m" = hvkit_hyperv ]; then
		# No Hyper-V under TCG: it must say so and leave nothing behind.
		mark="hvk-hv-$$"
		echo "$mark" >/dev/kmsg
		modprobe hvkit_hyperv 2>/dev/null &&
			tap_fail "hvkit_hyperv refuses to load without Hyper-V" "it loaded" ||
			tap_ok "hvkit_hyperv refuses to load without Hyper-V"
		dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on' | grep -q "not running on Hyper-V" &&
			! grep -q "^hvkit_hyperv " /proc/modules &&
			tap_ok "hvkit_hyperv says why and leaves nothing loaded" ||
			tap_fail "hvkit_hyperv says why and leaves nothing loaded" "$(dmesg | tail -n 3)"
		modprobe -r hvkit_vmbus 2>/dev/null
		continue
	fi
	err=
	i=0
	while [ $i -lt "$loops" ]; do
		modprobe "$m" || { err="load $i failed"; break; }
		grep -q "^$m " /proc/modules || { err="not in /proc/modules after load $i"; break; }
		modprobe -r "$m" || { err="unload $i failed"; break; }
		i=$((i + 1))
	done
	[ -z "$err" ] && tap_ok "$m loads and unloads $loops times" ||
		tap_fail "$m loads and unloads $loops times" "$err"
	if grep -q "^$m " /proc/modules; then
		tap_fail "$m leaves nothing loaded" "still in /proc/modules"
	else
		tap_ok "$m leaves nothing loaded"
	fi
done
tap_done
