#!/bin/sh
# The README's two commands.
#   contrib/quickstart.sh run   build, then serve htdocs/ on
#                               http://127.0.0.1:8080 in the foreground
#   contrib/quickstart.sh test  build, then run every test (make check)
# MPMD_BUILD_DIR (default build/) and CONFIGURE_FLAGS change the build.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${MPMD_BUILD_DIR:-$top/build}
case $build in /*) ;; *) build=$top/$build ;; esac

DEB_PACKAGES="build-essential autoconf automake pkgconf libevent-dev \
libhttp-parser-dev libcap-dev libssl-dev check python3 curl openssl haproxy \
mandoc"

missing_packages() {
	for p in $DEB_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || printf '%s ' "$p"
	done
}

install_deps() {
	command -v dpkg-query >/dev/null 2>&1 || return 0
	missing=$(missing_packages)
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "quickstart: missing Debian packages; as root run:" >&2
		echo "  apt-get install -y $missing" >&2
		exit 1
	fi
	echo "quickstart: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq $missing >/dev/null
}

# KeyUser's default: the key processes' own user, which no worker shares.
KEY_USER=mpmd-keys

ensure_key_user() {
	id "$KEY_USER" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "quickstart: no user $KEY_USER (TLS key processes run as it when mpmd starts as root); as root run:" >&2
		echo "  adduser --system --group --no-create-home --home /nonexistent $KEY_USER" >&2
		return 0
	fi
	echo "quickstart: creating the system user $KEY_USER for TLS key processes"
	if command -v adduser >/dev/null 2>&1; then
		adduser --system --group --no-create-home --home /nonexistent \
			--quiet "$KEY_USER"
	else
		useradd --system --user-group --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin "$KEY_USER"
	fi
}

build_tree() {
	if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ] ||
		[ "$top/Makefile.am" -nt "$top/Makefile.in" ]; then
		(cd "$top" && autoreconf -fi >/dev/null 2>&1) || {
			echo "quickstart: autoreconf failed" >&2
			exit 1
		}
	fi
	mkdir -p "$build"
	cd "$build"
	if [ ! -f Makefile ]; then
		# shellcheck disable=SC2086
		"$top/configure" -q ${CONFIGURE_FLAGS:-}
	fi
	make -j"$(nproc)" >/dev/null
}

run_server() {
	run=$build/run
	mkdir -p "$run/logs"
	cat >"$run/mpmd.conf" <<CONF
# Written by contrib/quickstart.sh run: serve the source tree's htdocs/.
ServerRoot "$run"
WorkerDir "$build"
DocumentRoot "$top/htdocs"
TypesConfig "$top/conf/mime.types"
Listen 127.0.0.1:8080
CONF
	echo "quickstart: config $run/mpmd.conf, logs in $run/logs; Ctrl-C stops"
	exec "$build/mpmd" -D FOREGROUND -f "$run/mpmd.conf"
}

case ${1:-} in
run)
	install_deps
	ensure_key_user
	build_tree
	run_server
	;;
test)
	DEB_PACKAGES="$DEB_PACKAGES prometheus prometheus-apache-exporter iproute2" # test_status.py, test_keys.py (ss)
	install_deps
	ensure_key_user
	build_tree
	cd "$build"
	status=0
	make -j2 check >/dev/null 2>&1 || status=$?
	grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' test-suite.log || true
	if [ $status -ne 0 ]; then
		echo "quickstart: failures; see $build/test-suite.log and tests/*/*.log" >&2
	fi
	exit $status
	;;
*)
	echo "usage: contrib/quickstart.sh run|test" >&2
	exit 2
	;;
esac
