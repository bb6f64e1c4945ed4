#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest runs hvkit as make install lays it out: the image is built by
# installing into it (make install DESTDIR=) and choosing hvkit's drivers
# with hvkit-select, as an operator would.
. /hvkit/lib/tap.sh
tap_plan 4
k=/lib/modules/$(uname -r)
mods=$(hvk_modules)
ok=1 why=
for m in $mods; do
	grep -q "^updates/hvkit/$m.ko:" $k/modules.dep || { ok=0; why="$why $m"; }
done
[ -n "$mods" ] && [ $ok = 1 ] &&
	tap_ok "hvkit's modules are in updates/hvkit and depmod knows them there" ||
	tap_fail "hvkit's modules are in updates/hvkit and depmod knows them there" "missing:$why"
ls $k/extra/*.ko 2>/dev/null | grep -qv '_test.ko$\|hvkit_kunit.ko$' &&
	tap_fail "only test modules are outside updates/hvkit" "$(ls $k/extra)" ||
	tap_ok "only test modules are outside updates/hvkit"
[ "$(command -v hvctl)" = /usr/bin/hvctl ] && [ -f /usr/share/man/man8/hvctl.8 ] &&
	grep -q "updates/hvkit/hvkit_vmbus.ko" /usr/share/hvkit/install-manifest &&
	tap_ok "hvctl, its man page and the install manifest are where make install puts them" ||
	tap_fail "hvctl, its man page and the install manifest are where make install puts them" \
		"$(command -v hvctl); $(ls /usr/share/man/man8 /usr/share/hvkit 2>&1)"
grep -qx hvkit /etc/hvkit/drivers && grep -q '^blacklist hv_vmbus' /etc/modprobe.d/hvkit-select.conf &&
	tap_ok "the driver switch says hvkit, and the in-tree hv_vmbus is blacklisted" ||
	tap_fail "the driver switch says hvkit, and the in-tree hv_vmbus is blacklisted" \
		"$(cat /etc/hvkit/drivers /etc/modprobe.d/hvkit-select.conf 2>&1 | head)"
tap_done
