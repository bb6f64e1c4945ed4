#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: install what is missing, build everything, boot a guest and
# show what hvkit does today, then print a short report. Each capability
# adds its own part to scripts/demo-guest.sh as it lands.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"
log "installing what is missing"
scripts/deps.sh
log "building modules and userspace"
scripts/build-modules.sh "$(scripts/kdir.sh)" W=1 >/dev/null
scripts/build-user.sh
krel=$(scripts/kdir.sh --krel)
log "booting a $krel guest (QEMU, TCG)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
selftests/run.sh --krel "$krel" --script scripts/demo-guest.sh | tee "$out"
rc=${PIPESTATUS[0]}
set -e
echo
echo "================ hvkit demo report ================"
grep -a '^REPORT ' "$out" | sed 's/^REPORT /  /'
echo "  guest kernel: $krel; exit status $rc"
echo "===================================================="
exit "$rc"
