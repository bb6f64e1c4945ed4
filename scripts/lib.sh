# SPDX-License-Identifier: GPL-2.0
# Helpers shared by hvkit's scripts. Source it; it defines functions only.

log() { printf 'hvkit: %s\n' "$*" >&2; }
die() { printf 'hvkit: error: %s\n' "$*" >&2; exit 1; }

# Where downloaded kernel images, unpacked packages and guest images live.
# Outside the tree so that clean clones share it; every entry is keyed by
# the exact package version, so a stale entry is never reused.
hvkit_cache() {
	local c=${HVKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvkit}
	mkdir -p "$c"
	printf '%s\n' "$c"
}

# Debian's meta package for the headers of a kernel series.
headers_meta() {
	case "$1" in
	6.1) echo linux-headers-amd64 ;;
	*) echo "linux-headers-$1-amd64" ;;
	esac
}

# Where the headers of release $1 are unpacked: the tree to build against is
# $(headers_root $1)/usr/src/linux-headers-$1.
headers_root() { printf '%s/headers/%s\n' "$(hvkit_cache)" "$1"; }
headers_kdir() { printf '%s/usr/src/linux-headers-%s\n' "$(headers_root "$1")" "$1"; }

# The exact release (uname -r) of the newest unpacked headers of a series,
# e.g. "6.12" -> "6.12.117+deb12-amd64", "6.1" -> "6.1.0-56-amd64".
krel_of() {
	local s=$1 d best=
	for d in "$(hvkit_cache)"/headers/"$s".*-amd64; do
		[ -f "$d/.complete" ] || continue
		best=$(printf '%s\n%s\n' "$best" "${d##*/}" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || return 1
	printf '%s\n' "$best"
}

# The release apt offers now for a series (through its meta package), or
# nothing when apt's lists do not know it.
krel_from_apt() {
	apt-cache depends "$(headers_meta "$1")" 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(.*-amd64\)$/\1/p' | sort -V | tail -n1
}

# download_debs DIR PKG...: the .deb files of PKGs into DIR, with no install.
download_debs() {
	local dir=$1; shift
	(cd "$dir" && apt-get download "$@" >/dev/null 2>&1) ||
		(apt-get update >/dev/null 2>&1 && cd "$dir" && apt-get download "$@" >/dev/null) ||
		die "cannot download $*"
}

# The headers of release $1 (the arch package, its -common package and
# linux-kbuild), unpacked into the cache, never installed: installing them
# would pull in the matching linux-image package, which writes an initramfs
# and a boot entry on this machine. The arch Makefile includes -common by
# an absolute path, which is pointed into the cache.
ensure_headers() {
	local krel=$1 root dl deps d
	root=$(headers_root "$krel")
	[ -f "$root/.complete" ] && return 0
	log "fetching the headers of $krel (unpacked into the cache, not installed)"
	deps=$(apt-cache depends "linux-headers-$krel" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-.*-common\|linux-kbuild-.*\)$/\1/p')
	[ -n "$deps" ] || die "apt does not know linux-headers-$krel"
	dl=$(mktemp -d)
	# shellcheck disable=SC2086
	download_debs "$dl" "linux-headers-$krel" $deps
	rm -rf "$root"
	mkdir -p "$root"
	for d in "$dl"/*.deb; do
		dpkg-deb -x "$d" "$root"
	done
	rm -rf "$dl"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$root/usr/src/linux-headers-$krel/Makefile"
	[ -e "$root/usr/src/linux-headers-$krel/scripts/basic/fixdep" ] ||
		die "the headers of $krel unpacked without kbuild's tools"
	touch "$root/.complete"
}

# Unpacked image for release $1 in the cache: prints its root directory.
kernel_root() { printf '%s/kernel/%s\n' "$(hvkit_cache)" "$1"; }

ensure_kernel_image() {
	local krel=$1 root dl
	root=$(kernel_root "$krel")
	[ -f "$root/.complete" ] && return 0
	log "fetching linux-image-$krel (unpacked into the cache, not installed)"
	dl=$(mktemp -d)
	download_debs "$dl" "linux-image-$krel"
	rm -rf "$root"
	mkdir -p "$root"
	dpkg-deb -x "$dl"/*.deb "$root"
	rm -rf "$dl"
	touch "$root/.complete"
}

# guest_workdir NAME: makes and prints a work directory for a guest's serial
# logs, initrd and disks, hvkit-NAME.PID.XXXXXX, in /dev/shm when there is
# one. QEMU writes a serial port's file from the vCPU's own thread, holding
# its global lock, so a write to a disk-backed file that blocks (the host's
# disk busy, a journal commit) stops every vCPU, and the guest's kernel,
# whose clock ran on, reports a soft lockup or an RCU stall that is not its
# own. Shown here with fsfreeze under a guest's console log: the guest stood
# still for the 40 s and then reported an RCU stall. A likely cause of the
# 26 s "soft lockup" CI saw in dracut-boot's guest (its log on /tmp, on the
# disk). tmpfs never waits for a disk. Memory is what a run killed with
# SIGKILL (no trap) would leak there, so the directories of NAME whose
# process is gone are removed first.
guest_workdir() {
	local d t=${TMPDIR:-/tmp} pid
	[ -d /dev/shm ] && [ -w /dev/shm ] && t=/dev/shm
	for d in "$t/hvkit-$1".*.*; do
		[ -d "$d" ] || continue
		pid=${d#"$t/hvkit-$1".}
		pid=${pid%%.*}
		case "$pid" in '' | *[!0-9]*) continue ;; esac
		kill -0 "$pid" 2>/dev/null || rm -rf "$d"
	done
	mktemp -d "$t/hvkit-$1.$$.XXXXXX"
}

# qemu_boot TIMEOUT CONSOLE QEMU_LOG QEMU_ARGS...: runs QEMU (whose first
# -serial, among QEMU_ARGS, writes CONSOLE) under timeout, in the
# background with its pid in qpid so that a caller's trap can kill it;
# sets qrc to its exit status. A guest whose kernel crashed before /init
# ran never got to any hvkit code. Seen here: the stock kernel's boot-time
# code patching (an int3 left in sched_clock_cpu) racing under
# multi-threaded TCG. Such a boot is tried once more, loudly, its log kept
# as CONSOLE with .first-boot before .log; a crash after /init never is.
qemu_boot() {
	local tmo=$1 con=$2 qlog=$3 attempt first
	shift 3
	first=${con%.log}.first-boot.log
	for attempt in 1 2; do
		set +e
		timeout -k 5 "$tmo" "$@" </dev/null >"$qlog" 2>&1 &
		qpid=$!
		wait "$qpid"
		qrc=$?
		qpid=
		set -e
		if [ $attempt = 1 ] && ! grep -aq 'Run /init as init process' "$con" &&
			grep -aqE 'Kernel panic|Oops' "$con"; then
			mv "$con" "$first"
			echo "hvkit: the guest kernel crashed while booting, before /init and any hvkit code:" >&2
			grep -aE 'Oops|RIP:|Kernel panic' "$first" | head -n 3 | sed 's/^/hvkit:   /' >&2
			echo "hvkit: booting once more (the first log is kept as ${first##*/})" >&2
			continue
		fi
		break
	done
}

# qmp_relay QMP GUEST: lets a guest test ask QEMU's QMP monitor for a device
# (docs/testing.md, "QMP"). QMP and GUEST are QEMU pipe chardevs, each a
# pair of FIFOs: PATH.in (QEMU reads it) and PATH.out (QEMU writes it); the
# monitor is QMP's, the guest's end a serial port. Each line the guest sends
# is one QMP command; the one line sent back is QEMU's reply (events are
# skipped), or an error of the relay's own. Only device_add, device_del,
# stop and query-* are passed: the guest can pause its own vCPUs (the
# harness's frozen guest), but not quit QEMU or reach the host's files.
# Runs until the FIFOs go (QEMU's end, in the background).
qmp_relay() {
	local q=$1 g=$2 line reply rest
	exec 3<>"$q.out" 4<>"$q.in" 5<>"$g.out" 6<>"$g.in"
	qmp_reply() {
		reply=
		while IFS= read -r -t 120 line <&3; do
			line=${line%$'\r'}
			case "$line" in
			*'"event"'*) ;;
			*'"return"'*|*'"error"'*) reply=$line; return 0 ;;
			esac
		done
		reply='{"error":{"class":"GenericError","desc":"hvkit relay: QEMU did not answer"}}'
		return 1
	}
	# The greeting, then capabilities negotiation.
	IFS= read -r -t 120 line <&3 || return 1
	printf '{"execute":"qmp_capabilities"}\n' >&4
	qmp_reply || return 1
	while IFS= read -r line <&5; do
		line=${line%$'\r'}
		[ -n "$line" ] || continue
		# The command named first, and only once (nothing else smuggled).
		rest=${line#*'"execute"'}
		if [[ "$line" =~ ^\{[[:space:]]*\"execute\"[[:space:]]*:[[:space:]]*\"(device_add|device_del|stop|query-[a-z0-9-]+)\" ]] &&
			[[ "$rest" != *'"execute"'* && "$line" != *exec-oob* ]]; then
			printf '%s\n' "$line" >&4
			qmp_reply || true
		else
			reply='{"error":{"class":"GenericError","desc":"hvkit relay: only device_add, device_del, stop and query-* are passed"}}'
		fi
		printf '%s\n' "$reply" >&6
	done
}
