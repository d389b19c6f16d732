#!/bin/sh
# The Debian package's whole life on this machine, as root: build it
# (build.sh), lintian (no error allowed), dpkg -i, mpmd -t, start
# /usr/sbin/mpmd as an administrator would, GET / on the configured
# address, mpmctl status, graceful and reopen-logs, a forced logrotate,
# dpkg -i over the running server, mpmctl stop, dpkg --purge, and nothing
# of it left behind. Ends with one line, PASS or FAIL.
#   contrib/debian/test.sh [DEB]   test DEB instead of building one
# It refuses to run where mpmd is installed already or port 80 is taken.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
url=http://127.0.0.1:80/
pidfile=/run/mpmd/mpmd.pid
started=$(date +%s)
pid='' installed='' failed='' out=''

say() { echo "test.sh: $*"; }

fail() {
	say "FAILED: $*"
	failed=1
	finish
}

# Stops what this script started, by its pid, and purges what it
# installed, whatever step failed.
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		mpmctl stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
		wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	if [ -n "$installed" ]; then
		dpkg --purge mpmd >/dev/null 2>&1
		installed=
	fi
}

finish() {
	cleanup
	secs=$(($(date +%s) - started))
	if [ -n "$failed" ]; then
		echo "FAIL: the Debian package (${secs}s)"
		exit 1
	fi
	[ -n "$out" ] && rm -rf "$out"
	echo "PASS: the Debian package: built, lintian clean of errors, installed, served, purged (${secs}s)"
	exit 0
}

wait_gone() { # PID: up to 10 s
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

trap 'failed=1; finish' INT TERM

preconditions() {
	[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, port 80)"
	if dpkg-query -W -f='${Status}' mpmd 2>/dev/null | grep -q installed; then
		fail "mpmd is installed already: this test would replace it"
	fi
	if ss -Htln 'sport = :80' 2>/dev/null | grep -q .; then
		fail "port 80 is taken: $(ss -Htlnp 'sport = :80' | head -n 1)"
	fi
	for tool in dpkg-buildpackage dh lintian curl; do
		command -v $tool >/dev/null 2>&1 || fail "$tool is not installed"
	done
}

build() {
	if [ -n "${1:-}" ]; then
		deb=$1
	else
		out=$(mktemp -d "${TMPDIR:-/tmp}/mpmd-debs.XXXXXX")
		log=$out/build.log
		# The package, not the suites, is under test here: make check
		# and distcheck run those (build.sh alone runs them too).
		if ! DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}" \
			DEB_BUILD_PROFILES="nocheck ${DEB_BUILD_PROFILES:-}" \
			"$top/contrib/debian/build.sh" "$out" >"$log" 2>&1; then
			tail -n 40 "$log"
			fail "build.sh (log: $log)"
		fi
		deb=$(tail -n 1 "$log" | sed 's/^build.sh: //')
	fi
	[ -f "$deb" ] || fail "no package at $deb"
	say "built $deb"
}

run_lintian() {
	tags=$(lintian --fail-on error "$deb" 2>&1)
	rc=$?
	tags=$(echo "$tags" | grep -v 'running with root privileges')
	say "lintian $(basename "$deb"): ${tags:-no tags}"
	[ $rc -eq 0 ] || fail "lintian reports errors"
}

install_it() {
	dpkg -i "$deb" >/dev/null || fail "dpkg -i"
	installed=1
	say "installed; mpmd -t: $(mpmd -t 2>&1)"
	mpmd -t >/dev/null 2>&1 || fail "mpmd -t"
	for f in /etc/mpmd/mpmd.conf /etc/logrotate.d/mpmd \
		/lib/systemd/system/mpmd.service /usr/lib/mpmd/mpm-event \
		/usr/share/man/man5/mpmd.conf.5.gz; do
		[ -e "$f" ] || fail "$f is not installed"
	done
	[ "$(stat -c '%U:%G %a' /var/log/mpmd)" = "root:adm 750" ] ||
		fail "/var/log/mpmd is $(stat -c '%U:%G %a' /var/log/mpmd)"
	if command -v logrotate >/dev/null 2>&1; then
		logrotate -d /etc/logrotate.d/mpmd >/dev/null 2>&1 ||
			fail "logrotate -d /etc/logrotate.d/mpmd"
	fi
}

start_it() {
	/usr/sbin/mpmd || fail "/usr/sbin/mpmd did not start"
	# the daemon writes its pid once it has detached
	i=0
	while [ ! -s "$pidfile" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	pid=$(cat "$pidfile" 2>/dev/null)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "no live pid in $pidfile"
	fi
	[ "$(readlink "/proc/$pid/exe")" = /usr/sbin/mpmd ] ||
		fail "pid $pid is not /usr/sbin/mpmd"
	say "started: master pid $pid"
}

# GET / must give the first DirectoryIndex page of /var/www/html: the one
# there before, or the one postinst put there.
get_page() { # WHAT
	for index in /var/www/html/index.html \
		/var/www/html/index.mpmd-debian.html ''; do
		[ -e "$index" ] && break
	done
	[ -n "$index" ] || fail "$1: no index page in /var/www/html"
	got=$(mktemp)
	if ! curl -fsS --max-time 5 -o "$got" "$url"; then
		rm -f "$got"
		fail "$1: GET $url"
	fi
	cmp -s "$got" "$index" || {
		rm -f "$got"
		fail "$1: GET $url did not give $index"
	}
	say "$1: GET $url: 200, $(wc -c <"$got") bytes, $index"
	rm -f "$got"
}

# A forced rotation with the package's logrotate file (its own state
# file, so logrotate's records stay as they were): the request after it
# lands in the new access.log, which keeps root:adm 0640.
rotate() {
	command -v logrotate >/dev/null 2>&1 || {
		say "logrotate is not installed: rotation not tried"
		return
	}
	state=$(mktemp)
	logrotate -f -s "$state" /etc/logrotate.d/mpmd ||
		fail "logrotate -f /etc/logrotate.d/mpmd"
	rm -f "$state"
	[ -s /var/log/mpmd/access.log.1 ] || fail "access.log was not rotated"
	get_page "after logrotate"
	# workers write their lines out within 100 ms
	i=0
	until grep -q 'GET / HTTP/1.1' /var/log/mpmd/access.log; do
		[ $i -lt 30 ] ||
			fail "the request after rotation is not in the new access.log"
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(stat -c '%U:%G %a' /var/log/mpmd/access.log)" = "root:adm 640" ] ||
		fail "new access.log is $(stat -c '%U:%G %a' /var/log/mpmd/access.log)"
	say "logrotate: rotated, reopened, the next request is in the new file"
}

# dpkg -i over the running server: postinst replaces the master in place
# (mpmctl upgrade) or, where it cannot, says so and leaves it serving.
reinstall() {
	local old=$pid
	dpkg -i "$deb" >/dev/null || fail "dpkg -i over the running server"
	pid=$(cat "$pidfile" 2>/dev/null)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "no live master after dpkg -i over it"
	fi
	[ "$pid" != "$old" ] || fail "master $old was not upgraded in place"
	wait_gone "$old" || fail "the old master $old still runs"
	get_page "after dpkg -i over it (master pid $pid)"
}

serve() {
	get_page "serving"
	workers=$(ps -o user= --ppid "$pid" | sort -u | tr '\n' ' ')
	say "workers run as: $workers"
	case $workers in *root*) fail "a worker runs as root" ;; esac
	mpmctl status || fail "mpmctl status"
	mpmctl graceful || fail "mpmctl graceful"
	get_page "after graceful"
	mpmctl reopen-logs || fail "mpmctl reopen-logs"
	grep -q 'GET / HTTP/1.1' /var/log/mpmd/access.log ||
		fail "no request in /var/log/mpmd/access.log"
	rotate
	reinstall
	mpmctl stop || fail "mpmctl stop"
	wait_gone "$pid" || fail "master $pid still runs after mpmctl stop"
	pid=
	say "stopped"
}

purge() {
	dpkg --purge mpmd >/dev/null || fail "dpkg --purge mpmd"
	installed=
	for f in /etc/mpmd /var/log/mpmd /run/mpmd /usr/lib/mpmd \
		/usr/sbin/mpmd /etc/logrotate.d/mpmd /lib/systemd/system/mpmd.service \
		/var/www/html/index.mpmd-debian.html; do
		[ -e "$f" ] && fail "$f is left after dpkg --purge"
	done
	say "purged: nothing left"
}

preconditions
build "${1:-}"
run_lintian
install_it
start_it
serve
purge
finish
