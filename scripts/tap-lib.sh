# SPDX-License-Identifier: GPL-2.0
# What the host-side checks (install-test.sh, dkms-test.sh, rpm-test.sh)
# share: numbered TAP lines, a check that shows a failing command's output,
# and the closing count. Source it; end with tap_end.
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# not_ok NAME [DETAIL...]: a failure, with up to 30 lines of detail.
not_ok() {
	n=$((n + 1)) fails=$((fails + 1))
	echo "not ok $n - $1"
	shift
	[ $# = 0 ] || printf '%s\n' "$@" | head -n 30 | sed 's/^/    # /'
}
# check NAME CMD...: ok when CMD succeeds; its output is shown when not.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
# tap_end: the count, and the exit status (0 when nothing failed).
tap_end() {
	echo "# $((n - fails)) of $n passed"
	[ "$fails" = 0 ]
}
