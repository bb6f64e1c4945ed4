#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots a QEMU guest (TCG) with a stock Debian kernel, hvkit's modules and
# the selftests, and judges the run. See docs/testing.md.
#
#   run.sh [options]                run the guest selftests
#   run.sh [options] --script FILE [args]   run FILE in the guest (options go
#                                   before --script), print its output,
#                                   exit with its status
#   run.sh --shell                  interactive guest shell
# Options:
#   --krel R        kernel release (default: the installed 6.12 headers)
#   --kodir D       where the .ko files are (default build/kmod/R)
#   --tests PAT     run only tests whose name (area/name) contains PAT
#   --dir D         test area directories to run (default: every area)
#   --except D      leave out this area (with the default: every other one)
#   --timeout S     per-test timeout in seconds (default 300)
#   --mem M         guest memory in MiB (default 1024)
#   --results F     append "passed failed skipped" to F
#   --keep D        keep console.log and tap.log in D
#   --numa          4 CPUs in 2 NUMA nodes (CPUs 0-1 and 2-3), memory split
#                   between them, instead of 2 CPUs in one node
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"

krel= kodir= pat= dirs= except= timeout=300 mem=1024 results= keep= mode=tests script= numa=
while [ $# -gt 0 ]; do
	case "$1" in
	--krel) krel=$2; shift 2 ;;
	--kodir) kodir=$2; shift 2 ;;
	--tests) pat=$2; shift 2 ;;
	--dir) dirs="$dirs $2"; shift 2 ;;
	--except) except="$except $2 "; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--numa) numa=1; shift ;;
	--script) mode=script; script=$2; shift 2; break ;;
	--shell) mode=shell; shift ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed -n 's/^# \{0,1\}//p'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
case "$timeout$mem" in *[!0-9]*) die "--timeout and --mem take whole numbers" ;; esac
[ -n "$krel" ] || krel=$(krel_of 6.12) || die "no 6.12 kernel headers; run 'make deps'"
[ -n "$kodir" ] || kodir=$top/build/kmod/$krel
[ -d "$kodir" ] || die "no modules built for $krel in $kodir; run 'make modules'"
[ "$mode" != script ] || [ -f "$script" ] || die "script '$script' not found"

kernel=$("$top/selftests/guest/kernel.sh" "$krel")
work=$(guest_workdir run)
qpid=
relay=
# A run that is killed takes its QEMU with it (which would otherwise run on,
# holding what a caller's lock guards, until its own timeout).
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$relay" ] || kill "$relay" 2>/dev/null || true
	[ -z "${watch:-}" ] || kill "$watch" 2>/dev/null || true
	if [ -n "$keep" ]; then mkdir -p "$keep"; cp "$work"/*.log "$keep/" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM HUP
trap 'exit 130' INT

# The base image (selftests/guest/mkimage.sh). The one of build/kmod/R is
# cached in build/guest/R; another --kodir's (make check-debug's signed
# modules) is built in this run's own directory, never over the cached one.
# Either way the run takes its own copy, under the image's lock: a run
# that boots again after a stall or a crash must boot the image it started
# with, even if a run beside it has rebuilt the cached one meanwhile.
if [ "$kodir" -ef "$top/build/kmod/$krel" ]; then
	gdir=$top/build/guest/$krel
	mkdir -p "$gdir"
	"$top/selftests/guest/mkimage.sh" "$krel" "$kodir" "$gdir/base.cpio"
	flock "$gdir/base.cpio.lock" cp "$gdir/base.cpio" "$work/base.cpio"
else
	"$top/selftests/guest/mkimage.sh" "$krel" "$kodir" "$work/base.cpio"
fi

# The per-run overlay: runner, helpers, tests or script, and run.conf.
ov=$work/overlay
mkdir -p "$ov/hvkit/tests" "$ov/hvkit/lib"
cp "$top/selftests/guest/runner.sh" "$ov/hvkit/"
cp "$top"/selftests/lib/*.sh "$ov/hvkit/lib/"
tests=()
if [ "$mode" = tests ]; then
	[ -n "$dirs" ] || dirs=$(cd "$top/selftests" && for d in */; do
		case "$d" in guest/|lib/|kmod/|harness*/|host/) ;; *) echo "${d%/}" ;; esac
	done)
	for d in $dirs; do
		case "$except" in *" $d "*) continue ;; esac
		for src in "$top/selftests/$d"/* "$top/build/user/selftests/$d"/*; do
			[ -f "$src" ] && [ -x "$src" ] || continue
			name=$d/$(basename "$src")
			[ -z "$pat" ] || case "${name%.sh}" in *"$pat"*) ;; *) continue ;; esac
			mkdir -p "$ov/hvkit/tests/$d"
			cp "$src" "$ov/hvkit/tests/$name"
			tests+=("/hvkit/tests/$name")
		done
	done
	[ ${#tests[@]} -gt 0 ] || die "no selftest matches '${pat:-*}' in: $dirs"
	qtimeout=$(( ${#tests[@]} * timeout + 120 ))
elif [ "$mode" = script ]; then
	cp "$script" "$ov/hvkit/script.sh"
	qtimeout=$((timeout + 120))
fi
script_args=("$@")
# make_initrd TEST...: the image with run.conf naming these tests.
make_initrd() {
	{
		echo "HVKIT_MODE=$mode"
		echo "HVKIT_TIMEOUT=$timeout"
		echo "HVKIT_BOOT=${boots:-1}"
		echo "HVKIT_TESTS='$*'"
		printf 'set --'; printf ' %q' "${script_args[@]}"; echo
	} >"$ov/hvkit/run.conf"
	(cd "$ov" && find . -print0 | cpio --null -o -H newc --quiet) >"$work/overlay.cpio"
	cat "$work/base.cpio" "$work/overlay.cpio" >"$work/initrd.cpio"
}
make_initrd "${tests[@]}"

if [ -n "$numa" ]; then
	half=$((mem / 2))
	cpus=(-smp 4,sockets=2,cores=2,threads=1 -object memory-backend-ram,id=m0,size=${half}M
		-object memory-backend-ram,id=m1,size=$((mem - half))M
		-numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1
		-numa cpu,node-id=0,socket-id=0 -numa cpu,node-id=1,socket-id=1)
else
	cpus=(-smp 2)
fi
qemu=(qemu-system-x86_64 -accel tcg -M "${HVKIT_MACHINE:-pc}" -cpu max "${cpus[@]}" -m "$mem"
	-nodefaults -no-reboot -display none
	-kernel "$kernel" -initrd "$work/initrd.cpio"
	-append "console=ttyS0 panic=-1 printk.time=1 hung_task_timeout_secs=60 ${HVKIT_APPEND:-}"
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)

# Devices the tests need beyond the default machine, from selftests/config:
#   qemu ARGS...        passed to QEMU as they are (split at blanks)
#   qemu@M ARGS...      the same, on machine M only (HVKIT_MACHINE)
#   disk NAME SIZE_MB   a zeroed RAM-backed raw file (in /dev/shm when there is
#                       one) as a virtio-blk disk whose serial is NAME
while read -r kw rest; do
	case "$kw" in
	qemu) read -ra a <<<"$rest"; qemu+=("${a[@]}") ;;
	qemu@*) [ "${kw#qemu@}" != "${HVKIT_MACHINE:-pc}" ] || { read -ra a <<<"$rest"; qemu+=("${a[@]}"); } ;;
	disk)
		read -r dname dsize <<<"$rest"
		case "$dname" in *[!A-Za-z0-9_-]*|'') die "selftests/config: bad line 'disk $rest'" ;; esac
		case "$dsize" in *[!0-9]*|'') die "selftests/config: bad line 'disk $rest'" ;; esac
		truncate -s "${dsize}M" "$work/$dname.img"
		qemu+=(-drive "file=$work/$dname.img,if=none,format=raw,id=$dname,cache=unsafe"
			-device "virtio-blk-pci,drive=$dname,serial=$dname") ;;
	esac
done < <(sed 's/#.*//' "$top/selftests/config")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -serial file:"$work/tap.log"
fi

# QMP for the guest's tests (docs/testing.md, "QMP"): QEMU's monitor and the
# guest's third serial port (ttyS2) are FIFO pairs, joined by qmp_relay.
for f in qmp relay; do mkfifo "$work/$f.in" "$work/$f.out"; done
qemu+=(-chardev "pipe,id=hvkqmp,path=$work/qmp" -mon chardev=hvkqmp,mode=control
	-chardev "pipe,id=hvkrelay,path=$work/relay" -device isa-serial,chardev=hvkrelay,index=2)

# The guest's heartbeat: a line on its fourth serial port (ttyS3) every 5 s
# (selftests/guest/init), into beat.log.
qemu+=(-chardev "file,id=hvkbeat,path=$work/beat.log" -device isa-serial,chardev=hvkbeat,index=3)

# stall_watch LIMIT BEAT_LIMIT: a guest that stops (its clock with it, so
# its own per-test timeout never fires) would hold the run for the whole
# QEMU timeout, tests x --timeout. Seen on stock 6.12 and on the debug
# kernel under TCG, each time in net/rxhash: both vCPUs silent, CPU 0 on an
# exception stack with interrupts off. The watcher calls a guest stalled
# when its heartbeat has been silent for BEAT_LIMIT seconds (once it has
# begun), or, should the heartbeat itself be what stopped, when tap.log has
# not grown for LIMIT seconds (longer than any test may run, since the
# guest's timeout writes a line). Then it saves QEMU's registers through
# QMP (qemu-stallN.log, N the boot) and kills that QEMU: the one whose
# command line names this run's tap.log. $work/stalled says what it saw.
stall_watch() {
	local limit=$1 beat_limit=$2 size last=-1 since now line beat blast=0 bsince
	since=$(date +%s) bsince=$since
	while sleep 5; do
		size=$(stat -c %s "$work/tap.log" 2>/dev/null) || size=0
		beat=$(stat -c %s "$work/beat.log" 2>/dev/null) || beat=0
		now=$(date +%s)
		[ "$beat" = "$blast" ] || blast=$beat bsince=$now
		if [ "$beat" -gt 0 ] && [ $((now - bsince)) -ge "$beat_limit" ]; then
			echo "its heartbeat silent for ${beat_limit}s" >"$work/stalled"
		elif [ "$size" != "$last" ]; then
			last=$size since=$now
			continue
		elif [ $((now - since)) -ge $((limit + (size == 0 ? 120 : 0))) ]; then
			# Before the guest's first line, its boot counts as well.
			echo "tap.log silent for ${limit}s" >"$work/stalled"
		else
			continue
		fi
		# QMP is the relay's: stop it, then ask QEMU on its FIFOs.
		[ -z "$relay" ] || kill "$relay" 2>/dev/null || true
		{
			exec 7<>"$work/qmp.out" 8<>"$work/qmp.in"
			printf '%s\n' '{"execute":"human-monitor-command","arguments":{"command-line":"info registers -a"}}' >&8
			while IFS= read -r -t 10 line <&7; do
				case "$line" in *'"return"'*|*'"error"'*) printf '%b\n' "$line"; break ;; esac
			done
		} >"$work/qemu-stall$boots.log" 2>&1 || true
		pkill -KILL -f "^qemu-system-x86_64 .*file:$work/tap\.log" || true
		return 0
	done
}
# HVKIT_STALL_LIMIT, HVKIT_BEAT_LIMIT: other limits (the harness's own
# test of the watch takes a shorter one).
stall_limit=${HVKIT_STALL_LIMIT:-$((timeout + 300))}
beat_limit=${HVKIT_BEAT_LIMIT:-180}
case "$stall_limit" in *[!0-9]*|'') die "HVKIT_STALL_LIMIT takes a whole number of seconds" ;; esac
case "$beat_limit" in *[!0-9]*|'') die "HVKIT_BEAT_LIMIT takes a whole number of seconds" ;; esac

started=$(date +%s)
# One more boot if the kernel crashed before /init (scripts/lib.sh).
# Then up to two more boots, each resuming the tests, when the guest's
# kernel is fine but the run stopped:
# - QEMU itself crashed (SIGSEGV, exit 139): QEMU 7.2's multi-threaded TCG,
#   a vCPU's MMIO access racing another's memory-map change
#   (docs/testing.md). The boot resumes from the test that was running.
# - The guest stalled (stall_watch). The test that was running runs once
#   more in the new boot; if it stalls again it fails, and the boot after
#   resumes from the next test. A stall is never silent: tap.log says so.
boots=1 stalled_at=
while :; do
	[ -z "$relay" ] || kill "$relay" 2>/dev/null || true
	qmp_relay "$work/qmp" "$work/relay" 2>/dev/null &
	relay=$!
	rm -f "$work/stalled" "$work/beat.log"
	watch=
	if [ "$mode" = tests ]; then stall_watch "$stall_limit" "$beat_limit" & watch=$!; fi
	qemu_boot "$qtimeout" "$work/console.log" "$work/qemu.log" "${qemu[@]}" \
		-serial file:"$work/console.log" -serial file:"$work/tap.log"
	[ -z "$watch" ] || { kill "$watch" 2>/dev/null; wait "$watch" 2>/dev/null; } || true
	touch "$work/console.log" "$work/tap.log"
	if [ "$boots" -gt 1 ]; then
		# One TAP stream: the earlier boots' finished tests, then this
		# boot's, numbered on; one kernel log.
		# (A boot that stopped before its plan left no plan to keep.)
		strip='^(TAP version|1\.\.)'
		grep -aq '^1\.\.' "$work/tap.before" || strip='^$'
		{ grep -avE "$strip" "$work/tap.log" || true; } |
			awk -v off="$ndone" '/^(ok|not ok) [0-9]+ / { i = ($1 == "ok") ? 2 : 3; $i += off } { print }' \
			>>"$work/tap.before"
		mv "$work/tap.before" "$work/tap.log"
		{ cat "$work/console.before"; echo "hvkit: ---- a new boot ($why) ----"; cat "$work/console.log"; } \
			>"$work/console.merged"
		mv "$work/console.merged" "$work/console.log"
		rm -f "$work/console.before"
	fi
	why=
	if [ "$mode" = tests ] && ! grep -aq '^HVKIT-DONE' "$work/tap.log"; then
		if [ -f "$work/stalled" ]; then
			why="the guest stalled"
		elif [ "$qrc" = 139 ] && ! grep -aqE 'Kernel panic|Oops|BUG:' "$work/console.log"; then
			why="QEMU crashed"
		fi
	fi
	[ -n "$why" ] && [ "$boots" -lt 3 ] || break
	boots=$((boots + 1))
	ndone=$(grep -acE '^(ok|not ok) ' "$work/tap.log" || true)
	last=$(grep -anE '^(ok|not ok) |^# hvkit: ' "$work/tap.log" | tail -n1 | cut -d: -f1)
	at=${tests[$ndone]:-}; at=${at#/hvkit/tests/}; at=${at%.sh}
	# The running test's output so far is kept aside, not judged.
	sed -n "$(( ${last:-2} + 1 )),\$p" "$work/tap.log" >"$work/tap.boot$((boots - 1))-rest.log"
	head -n "${last:-2}" "$work/tap.log" >"$work/tap.before"
	if [ "$why" = "the guest stalled" ]; then
		seen=$(cat "$work/stalled")
		if [ "$stalled_at" = "$ndone" ]; then
			echo "hvkit: the guest stalled again during $at ($seen): it fails; resuming from the next test in a new boot" >&2
			echo "not ok $((ndone + 1)) $at # the guest stalled twice, $seen (QEMU's registers: qemu-stall*.log)" \
				>>"$work/tap.before"
			ndone=$((ndone + 1))
		else
			echo "hvkit: the guest stalled during $at ($seen, QEMU killed, its registers in qemu-stall$((boots - 1)).log): running $at again in a new boot" >&2
			echo "# hvkit: the guest stalled during $at; QEMU was killed and $at runs again in a new boot" >>"$work/tap.before"
		fi
		stalled_at=$ndone
	else
		echo "hvkit: QEMU itself crashed (exit 139, no guest kernel crash) during $at:" \
			"QEMU 7.2's multi-threaded TCG (docs/testing.md); resuming from $at in a new boot" >&2
		cp "$work/console.log" "$work/console.qemu-crash.log"
	fi
	mv "$work/console.log" "$work/console.before"
	rm -f "$work/tap.log"
	[ "$ndone" -lt ${#tests[@]} ] || { mv "$work/tap.before" "$work/tap.log"; mv "$work/console.before" "$work/console.log"; break; }
	make_initrd "${tests[@]:ndone}"
	qtimeout=$(( (${#tests[@]} - ndone) * timeout + 120 ))
done
secs=$(( $(date +%s) - started ))
# Serial lines may end in CR LF.
sed -i 's/\r$//' "$work/console.log" "$work/tap.log"

# The kernel log between two selftest markers (or all of it).
klog_of() {
	awk -v n="$1" '
		index($0, "hvkit-selftest: begin " n) { on = 1 }
		on { print }
		index($0, "hvkit-selftest: end " n) { on = 0 }' "$work/console.log" | tail -n 60
}

done_line=$(grep -a '^HVKIT-DONE' "$work/tap.log" | tail -n1 || true)
guest_rc=$(sed -n 's/.*rc=\([0-9]*\).*/\1/p' <<<"$done_line")
tainted=$(sed -n 's/.*tainted=\([0-9]*\).*/\1/p' <<<"$done_line")

problems=()
# The test that was running when a guest stopped short.
if [ -z "$done_line" ] && [ "$mode" = tests ]; then
	at=${tests[$(grep -acE '^(ok|not ok) ' "$work/tap.log" || true)]:-}
	at=${at#/hvkit/tests/}; at=${at%.sh}
	[ -z "$at" ] || at=" during $at"
else
	at=
fi
if [ -z "$done_line" ]; then
	if [ -f "$work/stalled" ] || [ "$why" = "the guest stalled" ]; then
		problems+=("the guest stalled$at ($(cat "$work/stalled" 2>/dev/null || echo "tap.log silent for ${stall_limit}s")) and was stopped; QEMU's registers are in qemu-stall*.log")
	elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		problems+=("guest did not finish within ${qtimeout}s$at")
	else
		problems+=("guest stopped without reporting$at (QEMU exit $qrc: a panic, or a crash)")
	fi
fi
# A WARNING from exc_debug_kernel is a single-step #DB the kernel took
# with no kprobe or debugger to own it: the kernel's own comment there
# names QEMU leaking #DB into the guest, and hvkit code sets neither TF
# nor debug registers. Seen once under QEMU 7.2's multi-threaded TCG, in
# a user's sendto() while net/lifecycle loaded and unloaded modules. Such
# a block (WARNING to its end-of-trace line) is reported, not failed;
# every other line of the log is judged (hvk_klog_bad in the guest's
# lib/tap.sh drops the same block). Dropped lines stay as empty lines, so
# that line numbers still point into console.log.
drop_db_leak() {
	awk '/WARNING: .* at arch\/x86\/kernel\/traps\.c:[0-9]+ exc_debug_kernel\+/ { skip = 1 }
		skip { if ($0 ~ /---\[ end trace/) skip = 0; print ""; next }
		{ print }' "$@"
}
db_leaks=$(grep -acE 'WARNING: .* at arch/x86/kernel/traps\.c:[0-9]+ exc_debug_kernel\+' "$work/console.log" || true)
# Bits other than O (out-of-tree, 4096), E (unsigned, 8192) and N (an
# in-kernel test ran, 262144: KUnit sets it); W (512) too when the only
# WARNINGs were such #DB leaks.
allowed_taint=$((4096 | 8192 | 262144))
if [ "${db_leaks:-0}" -gt 0 ] && ! drop_db_leak "$work/console.log" | grep -aq 'WARNING:'; then
	allowed_taint=$((allowed_taint | 512))
	echo "hvkit: note: the guest kernel took $db_leaks single-step #DB with no owner (exc_debug_kernel WARNING): QEMU's multi-threaded TCG, not judged (docs/testing.md)" >&2
fi
if [ -n "$tainted" ] && [ $((tainted & ~allowed_taint)) -ne 0 ]; then
	problems+=("kernel tainted=$tainted (only out-of-tree, unsigned-module and test taints are allowed)")
fi
bad_re='Oops|BUG:|WARNING:|Call Trace:|general protection fault|Kernel panic|blocked for more than|UBSAN:|KASAN:|KFENCE:|kmemleak: [0-9]+ new suspected|unreferenced object|list_(add|del) corruption|refcount_t:|circular locking|sleeping function called|ODEBUG:|rcu: INFO: .*detected stall'
kbad=$(drop_db_leak "$work/console.log" | grep -naE "$bad_re" || true)
# The first problem's line names it in the failure (make check's list).
[ -z "$kbad" ] ||
	problems+=("kernel log reports a problem: $(head -n1 <<<"$kbad" | cut -d: -f2- | sed -E 's/^\[ *[0-9.]+\] //' | cut -c1-120)")

if [ "$mode" = script ]; then
	grep -av '^HVKIT-DONE' "$work/tap.log" || true
	for p in "${problems[@]:-}"; do [ -z "$p" ] || echo "hvkit: $p" >&2; done
	if [ -n "$kbad" ]; then
		echo "hvkit: kernel log:" >&2
		first=$(head -n1 <<<"$kbad" | cut -d: -f1)
		sed -n "$((first > 5 ? first - 5 : 1)),$((first + 25))p" "$work/console.log" >&2
	fi
	[ ${#problems[@]} -eq 0 ] || exit 1
	[ "${guest_rc:-1}" = 0 ] || echo "hvkit: script exited with status ${guest_rc:-1}" >&2
	exit "${guest_rc:-1}"
fi

# Judge the TAP: subtests are the units counted; a test that failed
# without a failing subtest (timeout, crash, short plan) counts once.
read -r passed failed skipped < <(awk '
	/^# selftest: / { nsub = 0; nbad = 0; next }
	/^    ok / { nsub++; if ($0 ~ /# SKIP/) s++; else p++; next }
	/^    not ok / { nsub++; nbad++; f++; next }
	/^ok / { if ($0 ~ /# SKIP/ && nsub == 0) s++; next }
	/^not ok / { if (nbad == 0) f++; next }
	END { printf "%d %d %d\n", p, f, s }' "$work/tap.log")
plan=$(grep -a -m1 '^1\.\.' "$work/tap.log" | cut -c4- || true)
ran=$(grep -acE '^(ok|not ok) ' "$work/tap.log" || true)
if [ -n "$done_line" ] && [ "${plan:-x}" != "$ran" ]; then
	problems+=("runner planned ${plan:-no} tests and reported $ran")
fi
failed=$((failed + ${#problems[@]}))

# Show every failing test with its output and its kernel log.
while IFS= read -r line; do
	name=$(sed -E 's/^not ok [0-9]+ ([^ ]+).*/\1/' <<<"$line")
	echo "---- FAILED: $line"
	awk -v n="$name" '$0 == "# selftest: " n { on = 1; next } on && /^(ok|not ok) / { exit } on' \
		"$work/tap.log" | tail -n 60
	echo "---- kernel log during $name:"
	klog_of "$name"
done < <(grep -a '^not ok ' "$work/tap.log" || true)
for p in "${problems[@]:-}"; do
	[ -n "$p" ] || continue
	echo "---- FAILED: $p"
done
if [ -n "$kbad" ]; then
	echo "---- kernel log problems (first 10):"
	head -n 10 <<<"$kbad" | cut -d: -f2- | sed 's/^/    /'
	echo "---- kernel log around the first problem:"
	first=$(head -n1 <<<"$kbad" | cut -d: -f1)
	sed -n "$((first > 10 ? first - 10 : 1)),$((first + 40))p" "$work/console.log"
fi
if [ -z "$done_line" ]; then
	echo "---- last kernel log lines:"
	tail -n 40 "$work/console.log"
fi

grep -aE '^(ok|not ok) ' "$work/tap.log" | sed 's/^/  /'
echo "guest $krel: $passed passed, $failed failed, $skipped skipped (${secs}s)"
[ -z "$results" ] || echo "$passed $failed $skipped" >>"$results"
[ "$failed" -eq 0 ]
