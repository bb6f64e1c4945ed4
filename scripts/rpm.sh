#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# rpm.sh: make rpm. A source tarball of this checkout (every file git
# tracks or would track, as the working tree has it), then rpmbuild -ba of
# packaging/hvkit.spec with build/rpm as its top directory: the source RPM
# in build/rpm/SRPMS, the binary RPMs in build/rpm/RPMS/<arch>. Prints
# their paths.
#
# On Debian, rpmbuild's database knows none of the build dependencies
# (they are dpkg packages: cmake, g++, libnl-genl-3-dev, libudev-dev), so
# it runs with --nodeps, and without debuginfo packages (Debian's rpm
# does not set up find-debuginfo). Each daemons/<name> that exists turns
# on the spec's --with <name> (kvp, vss, fcopy).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/lib.sh"
cd "$top"

command -v rpmbuild >/dev/null || die "rpmbuild is not installed; run 'make deps'"
git rev-parse --git-dir >/dev/null 2>&1 || die "make rpm needs a git checkout (it packs the files git knows)"
version=$(sed -n 's/^Version:[[:space:]]*//p' packaging/hvkit.spec)
[ -n "$version" ] || die "packaging/hvkit.spec has no Version:"

out=$top/build/rpm
rm -rf "$out"
mkdir -p "$out"/{SOURCES,SPECS,BUILD,BUILDROOT,RPMS,SRPMS}

# Tracked and untracked-but-not-ignored files that exist now.
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
	tar --null -T - --sort=name --owner=0 --group=0 --numeric-owner \
		--transform "s,^,hvkit-$version/," -czf "$out/SOURCES/hvkit-$version.tar.gz"
cp packaging/hvkit.spec "$out/SPECS/"

with=()
for d in kvp vss fcopy; do
	[ -d "daemons/$d" ] && with+=(--with "$d")
done

log "rpmbuild -ba hvkit.spec ${with[*]} (log: build/rpm/rpmbuild.log)"
if ! rpmbuild -ba --nodeps --define "_topdir $out" --define 'debug_package %{nil}' \
	"${with[@]}" "$out/SPECS/hvkit.spec" >"$out/rpmbuild.log" 2>&1; then
	tail -n 40 "$out/rpmbuild.log"
	die "rpmbuild failed (log: build/rpm/rpmbuild.log)"
fi
find "$out/SRPMS" "$out/RPMS" -name '*.rpm' | sort
