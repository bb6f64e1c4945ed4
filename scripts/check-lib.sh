# SPDX-License-Identifier: GPL-2.0
# What make check and make check-debug share: a log directory, the
# counts, and a step that is one pass or one fail. Source it after lib.sh
# with $top set and the log directory's name as $1.
logs=$top/build/$1
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0 skipped=0
# What failed, one line each: repeated above the closing line, which is
# all a CI log's tail may show.
fails=()
started=$(date +%s)

# step NAME LOG CMD...: one pass or fail, with the log's tail on failure.
step() {
	local name=$1 log=$logs/$2 t0
	shift 2
	t0=$(date +%s)
	if "$@" >"$log" 2>&1; then
		echo "ok - $name ($(( $(date +%s) - t0 ))s)"
		passed=$((passed + 1))
		return 0
	fi
	echo "not ok - $name (log: ${log#"$top"/}, $(( $(date +%s) - t0 ))s)"
	tail -n 30 "$log" | sed 's/^/    /'
	failed=$((failed + 1))
	fails+=("$name")
	return 1
}

# add_counts FILE [LOG [WHERE]]: add the "passed failed skipped" lines a
# runner appended; the runner's failures in LOG are noted, as in WHERE.
add_counts() {
	local p f s line
	while read -r p f s; do
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	done <"$1"
	[ -n "${2:-}" ] && [ -f "$2" ] || return 0
	while IFS= read -r line; do
		fails+=("${3:+$3: }$line")
	done < <(sed -n 's/^---- FAILED: //p' "$2")
}

# note_failure TEXT: a failure counted by hand.
note_failure() {
	failed=$((failed + 1))
	fails+=("$1")
}

# The closing line, and the exit status.
finish() {
	local f n=0
	if [ ${#fails[@]} -gt 0 ]; then
		echo "== what failed"
		for f in "${fails[@]}"; do
			n=$((n + 1))
			[ "$n" -le 12 ] || { echo "  ... and $(( ${#fails[@]} - 12 )) more"; break; }
			echo "  ${f:0:200}"
		done
	fi
	echo "== $(( $(date +%s) - started ))s; logs in ${logs#"$top"/}/"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
}

# section NAME: a heading, with the time since the start (CI's budget).
section() {
	echo "== $* (at $(( $(date +%s) - started ))s)"
}
