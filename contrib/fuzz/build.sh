#!/bin/sh
# Builds the libFuzzer targets in contrib/fuzz/ with clang, ASan and UBSan.
#
#   contrib/fuzz/build.sh [-b BUILDDIR] OUTDIR [http|ipc]...
#
# BUILDDIR is a configured build tree whose config.h is used; without -b,
# configure runs in a temporary directory that is removed afterwards.
# With no target named, both are built. CC defaults to clang; CFLAGS and
# LDFLAGS from the environment are added.
set -eu

usage()
{
	echo "usage: $0 [-b BUILDDIR] OUTDIR [http|ipc]..." >&2
	exit 2
}

die()
{
	echo "$0: $*" >&2
	exit 1
}

top=$(cd "$(dirname "$0")/../.." && pwd)
builddir=
while getopts b: opt; do
	case $opt in
	b) builddir=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
out=$1
shift
targets=${*:-http ipc}
for t in $targets; do
	case $t in
	http | ipc) ;;
	*) usage ;;
	esac
done
CC=${CC:-clang}
command -v "$CC" >/dev/null || die "$CC not found: apt-get install clang"

if [ -z "$builddir" ]; then
	[ -x "$top/configure" ] ||
	    die "no configure script: run 'autoreconf -fi' in $top first"
	builddir=$(mktemp -d "${TMPDIR:-/tmp}/mpmd-fuzz.XXXXXX")
	trap 'rm -rf "$builddir"' EXIT
	(cd "$builddir" && "$top/configure" -q CC="$CC") ||
	    die "configure failed in $builddir"
fi
builddir=$(cd "$builddir" && pwd)
[ -f "$builddir/config.h" ] ||
    die "$builddir/config.h not found: run configure there first"

mkdir -p "$out"
for t in $targets; do
	case $t in
	http)	srcs="protocol/http.c protocol/http_date.c protocol/uri.c" libs=-lhttp_parser ;;
	ipc)	srcs="protocol/ipc.c" libs= ;;
	esac
	set -- "$top/contrib/fuzz/fuzz_$t.c"
	for s in $srcs lib/log.c lib/xmalloc.c; do
		set -- "$@" "$top/$s"
	done
	echo "  CCLD     $out/fuzz_$t"
	# shellcheck disable=SC2086 # CFLAGS, LDFLAGS and libs are word lists
	"$CC" -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I"$top" -I"$builddir" \
	    ${CFLAGS:-} -o "$out/fuzz_$t" "$@" ${LDFLAGS:-} $libs
done
