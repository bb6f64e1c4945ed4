#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Every hvkit module loads, shows up, and unloads without a trace, in loops.
. /hvkit/lib/tap.sh
loops=${HVK_LOAD_LOOPS:-20}
mods=$(hvk_modules)
[ -n "$mods" ] || tap_skip_all "no hvkit modules in this guest"
set -- $mods
tap_plan $(($# * 2))
for m in $mods; do
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
