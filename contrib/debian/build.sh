#!/bin/sh
# Builds the Debian package of this tree: copies the tree (the files git
# tracks and the untracked ones it does not ignore) to a scratch
# directory, puts contrib/debian there as debian/, and runs
# `dpkg-buildpackage -us -uc -b`. The .deb, .buildinfo and .changes land
# in OUT (default: build/deb/), and the .deb's path is printed last.
#   contrib/debian/build.sh [OUT]
# Needs dpkg-dev, debhelper and the Build-Depends of contrib/debian/control
# (dpkg-buildpackage names what is missing).
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/deb}
case $out in /*) ;; *) out=$(pwd)/$out ;; esac

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mpmd-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
src=$scratch/mpmd

copy_tree() {
	mkdir -p "$src"
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# a file deleted but not yet committed is listed, and skipped
		git -C "$top" ls-files -z --cached --others --exclude-standard |
			(cd "$top" && xargs -0 -r sh -c \
				'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
			(cd "$top" && tar --null -T - -cf -) | tar -xf - -C "$src"
	else
		(cd "$top" && tar --exclude='./build*' --exclude=./debian \
			-cf - .) | tar -xf - -C "$src"
	fi
	rm -rf "$src/debian"
	cp -R "$top/contrib/debian" "$src/debian"
	rm -f "$src/debian/build.sh" "$src/debian/test.sh"
}

copy_tree
echo "build.sh: building in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b -Jauto)
mkdir -p "$out"
for f in "$scratch"/*.deb "$scratch"/*.buildinfo "$scratch"/*.changes; do
	[ -e "$f" ] && mv -f "$f" "$out/"
done
version=$(cd "$src" && dpkg-parsechangelog -S Version)
deb=$out/mpmd_${version}_$(dpkg-architecture -q DEB_HOST_ARCH).deb
[ -f "$deb" ] || {
	echo "build.sh: dpkg-buildpackage made no $deb" >&2
	exit 1
}
echo "build.sh: $deb"
