#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# verify-units.sh SYSTEMD_ANALYZE BINDIR: every unit in daemons/systemd,
# with @SBINDIR@ as install.sh substitutes it (here: BINDIR, where the
# daemons were built), passes `systemd-analyze verify`.
set -eu
sa=$1 bindir=$2
top=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
for u in "$top"/daemons/systemd/*.service; do
	[ -f "$u" ] || continue
	sed -e "s|@SBINDIR@|$bindir|g" "$u" >"$t/${u##*/}"
	n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no units in daemons/systemd"; exit 1; }
out=$("$sa" verify --man=no "$t"/*.service 2>&1) || { echo "$out"; exit 1; }
# verify exits 0 on some warnings; any line about our units is a failure.
if echo "$out" | grep -F "$t/" | grep -v '^$'; then exit 1; fi
echo "ok: $n unit(s)"
