#!/bin/sh
# The Debian package's whole life on this machine, as root: build it
# (build.sh), lintian (no error, and an init script beside the units),
# dpkg -i (where nothing starts mpmd, postinst must say so and how),
# /etc/init.d/mpmd start, status, reload (and a broken config refused at
# its line while serving on), GET / is mpmd's own page, each example of
# conf-available/ passes mpmd -t once enabled (and serves: status and
# metrics, TLS with the snakeoil certificate, a PROXY listener), mpmctl
# graceful and reopen-logs, a forced logrotate, dpkg -i over the running
# server (an upgrade in place), the init script's upgrade, restart and
# stop, an empty config that passes -t and serves with the compiled-in
# defaults, dpkg --purge, and nothing of it left behind. Ends with one
# line, PASS or FAIL.
#   contrib/debian/test.sh [DEB]   test DEB instead of building one
# It needs root, dpkg-dev, debhelper, lintian, curl and ssl-cert, and
# refuses to run where mpmd is installed already or port 80, 443, 8080
# or 8081 is taken.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
url=http://127.0.0.1:80/
pidfile=/run/mpmd/mpmd.pid
initd=/etc/init.d/mpmd
page=/var/www/html/index.mpmd-debian.html
snakeoil=/etc/ssl/certs/ssl-cert-snakeoil.pem
started=$(date +%s)
pid='' installed='' failed='' out='' scratch=''

say() { echo "test.sh: $*"; }

fail() {
	say "FAILED: $*"
	failed=1
	finish
}

# Stops what this script started, by its pid, and purges what it
# installed, whatever step failed.
cleanup() {
	[ -n "$pid" ] || pid=$(cat "$pidfile" 2>/dev/null)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		mpmctl stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
		wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	if [ -n "$installed" ]; then
		dpkg --purge mpmd >/dev/null 2>&1
		installed=
	fi
	[ -n "$scratch" ] && rm -rf "$scratch"
}

finish() {
	cleanup
	secs=$(($(date +%s) - started))
	if [ -n "$failed" ]; then
		echo "FAIL: the Debian package (${secs}s)"
		exit 1
	fi
	[ -n "$out" ] && rm -rf "$out"
	echo "PASS: the Debian package: built, lintian clean of errors, installed, started by its init script, served, reloaded, upgraded, purged (${secs}s)"
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

port_free() { # PORT
	if ss -Htln "sport = :$1" 2>/dev/null | grep -q .; then
		fail "port $1 is taken: $(ss -Htlnp "sport = :$1" | head -n 1)"
	fi
}

preconditions() {
	[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, port 80)"
	if dpkg-query -W -f='${Status}' mpmd 2>/dev/null | grep -q installed; then
		fail "mpmd is installed already: this test would replace it"
	fi
	for port in 80 443 8080 8081; do
		port_free $port
	done
	for tool in dpkg-buildpackage dh lintian curl make-ssl-cert; do
		command -v $tool >/dev/null 2>&1 ||
			fail "$tool is not installed (apt-get install dpkg-dev debhelper lintian curl ssl-cert)"
	done
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/mpmd-test.XXXXXX")
	if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
		say "systemd is PID 1 here: mpmd.service runs it, the init script is checked by hand"
	else
		say "systemd is not PID 1 here ($(cat /proc/1/comm 2>/dev/null)): the init script runs mpmd"
	fi
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
	tags=$(lintian --pedantic --fail-on error "$deb" 2>&1)
	rc=$?
	tags=$(echo "$tags" | grep -v 'running with root privileges')
	say "lintian --pedantic $(basename "$deb"): ${tags:-no tags}"
	[ $rc -eq 0 ] || fail "lintian reports errors"
	case $tags in
	*init.d-script* | *-init-*) fail "lintian on the init script: $tags" ;;
	esac
}

install_it() {
	dpkg -i "$deb" >"$scratch/dpkg.out" 2>&1 || {
		cat "$scratch/dpkg.out"
		fail "dpkg -i"
	}
	installed=1
	say "installed; mpmd -t: $(mpmd -t 2>&1)"
	mpmd -t >/dev/null 2>&1 || fail "mpmd -t"
	for f in /etc/mpmd/mpmd.conf /etc/logrotate.d/mpmd $initd \
		/lib/systemd/system/mpmd.service /usr/lib/mpmd/mpm-event \
		/usr/share/man/man5/mpmd.conf.5.gz $page \
		/etc/mpmd/conf-available/tls-snakeoil.conf \
		/etc/mpmd/conf-available/status-localhost.conf \
		/etc/mpmd/conf-available/proxy-protocol.conf; do
		[ -e "$f" ] || fail "$f is not installed"
	done
	ls /etc/rc2.d/S*mpmd >/dev/null 2>&1 || fail "update-rc.d made no /etc/rc2.d link"
	getent passwd mpmd-keys >/dev/null || fail "no system user mpmd-keys"
	[ "$(stat -c '%U:%G %a' /var/log/mpmd)" = "root:adm 750" ] ||
		fail "/var/log/mpmd is $(stat -c '%U:%G %a' /var/log/mpmd)"
	if command -v logrotate >/dev/null 2>&1; then
		logrotate -d /etc/logrotate.d/mpmd >/dev/null 2>&1 ||
			fail "logrotate -d /etc/logrotate.d/mpmd"
	fi
}

# Where nothing started mpmd (no systemd, invoke-rc.d refused or failed),
# postinst says so and how to start it.
postinst_said() {
	if mpmctl status >/dev/null 2>&1; then
		say "postinst started mpmd"
		return
	fi
	if ! grep -q 'NOT started' "$scratch/dpkg.out" ||
		! grep -q 'service mpmd start' "$scratch/dpkg.out"; then
		fail "mpmd is not running and postinst did not say so:
$(cat "$scratch/dpkg.out")"
	fi
	say "postinst: $(grep 'NOT started' "$scratch/dpkg.out")"
}

live_pid() { # WHAT
	pid=$(cat "$pidfile" 2>/dev/null)
	if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
		fail "$1: no live pid in $pidfile"
	fi
	[ "$(readlink "/proc/$pid/exe")" = /usr/sbin/mpmd ] ||
		fail "$1: pid $pid is not /usr/sbin/mpmd"
}

init_start() {
	$initd start || fail "$initd start"
	live_pid "$initd start"
	$initd status >/dev/null || fail "$initd status says it is not running"
	say "$initd start: master pid $pid; status: $($initd status)"
}

# GET / must give the first DirectoryIndex page of /var/www/html: an
# index.html there before, else mpmd's own page, which must be there.
get_page() { # WHAT [URL]
	index=$page
	[ -e /var/www/html/index.html ] && index=/var/www/html/index.html
	got=$scratch/got
	curl -fsS --max-time 5 -o "$got" "${2:-$url}" || fail "$1: GET ${2:-$url}"
	cmp -s "$got" "$index" || fail "$1: GET ${2:-$url} did not give $index"
	say "$1: GET ${2:-$url}: 200, $(wc -c <"$got") bytes, $index"
}

# mpmd's own page, served by its own name whatever index.html there is.
default_page() {
	grep -q '<title>Welcome to mpmd on Debian</title>' "$page" ||
		fail "$page is not mpmd's page"
	curl -fsS --max-time 5 -o "$scratch/own" "${url}index.mpmd-debian.html" ||
		fail "GET /index.mpmd-debian.html"
	cmp -s "$scratch/own" "$page" || fail "/index.mpmd-debian.html is not $page"
	say "the default page is mpmd's own: $page"
}

# reload: a new generation; a typo is refused at its line, one message,
# and the server serves on.
init_reload() {
	$initd reload || fail "$initd reload"
	mpmctl status | grep -q ' graceful ok: ' || fail "no graceful after $initd reload"
	printf 'DocumentRot /var/www/html\n' >/etc/mpmd/conf.d/broken.conf
	if $initd reload >"$scratch/reload.out" 2>&1; then
		fail "$initd reload took a broken config"
	fi
	grep -q "^  /etc/mpmd/conf.d/broken.conf:1: unknown directive 'DocumentRot': did you mean DocumentRoot?$" \
		"$scratch/reload.out" || fail "$initd reload of a typo said:
$(cat "$scratch/reload.out")"
	[ "$(grep -c '^  /' "$scratch/reload.out")" -eq 1 ] ||
		fail "more than one message for one typo:
$(cat "$scratch/reload.out")"
	rm -f /etc/mpmd/conf.d/broken.conf
	say "$initd reload: ok; with a typo: refused, $(grep '^  /' "$scratch/reload.out" | sed 's/^ *//')"
	get_page "after a refused reload"
}

# Each example enabled alone (Debian's way: a link into conf-enabled/):
# mpmd -t passes, and after a graceful restart it serves.
examples() {
	if [ ! -e "$snakeoil" ]; then
		make-ssl-cert generate-default-snakeoil ||
			fail "make-ssl-cert generate-default-snakeoil"
		say "generated the snakeoil certificate (ssl-cert)"
	fi
	for f in /etc/mpmd/conf-available/*.conf; do
		name=$(basename "$f")
		ln -s "../conf-available/$name" "/etc/mpmd/conf-enabled/$name"
		mpmd -t >"$scratch/t.out" 2>&1 ||
			fail "mpmd -t with $name enabled: $(cat "$scratch/t.out")"
		mpmctl graceful >/dev/null || fail "mpmctl graceful with $name enabled"
		example_serves "$name"
		rm "/etc/mpmd/conf-enabled/$name"
		say "conf-available/$name: mpmd -t: $(cat "$scratch/t.out"); served"
	done
	mpmctl graceful >/dev/null || fail "mpmctl graceful with no example"
}

example_serves() { # NAME
	case $1 in
	status-localhost.conf)
		# grep reads it all: -q would close the pipe on curl
		curl -fsS --max-time 5 "${url}server-status?auto" |
			grep '^ServerMPM: ' >/dev/null || fail "$1: no /server-status?auto"
		curl -fsS --max-time 5 "${url}metrics" |
			grep '^mpmd_requests_total ' >/dev/null || fail "$1: no /metrics"
		;;
	tls-snakeoil.conf)
		curl -kfsS --max-time 5 -o "$scratch/tls" https://127.0.0.1:443/index.mpmd-debian.html ||
			fail "$1: GET https://127.0.0.1:443/"
		cmp -s "$scratch/tls" "$page" || fail "$1: the page over TLS"
		;;
	proxy-protocol.conf)
		curl -fsS --max-time 5 --haproxy-protocol -o /dev/null \
			http://127.0.0.1:8081/index.mpmd-debian.html ||
			fail "$1: GET with a PROXY header on 127.0.0.1:8081"
		;;
	esac
}

# A forced rotation with the package's logrotate file (its own state
# file, so logrotate's records stay as they were): the request after it
# lands in the new access.log, which keeps root:adm 0640.
rotate() {
	command -v logrotate >/dev/null 2>&1 || {
		say "logrotate is not installed: rotation not tried"
		return
	}
	state=$scratch/logrotate.state
	logrotate -f -s "$state" /etc/logrotate.d/mpmd ||
		fail "logrotate -f /etc/logrotate.d/mpmd"
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
	old=$pid
	dpkg -i "$deb" >/dev/null || fail "dpkg -i over the running server"
	live_pid "dpkg -i over it"
	[ "$pid" != "$old" ] || fail "master $old was not upgraded in place"
	wait_gone "$old" || fail "the old master $old still runs"
	get_page "after dpkg -i over it (master pid $pid)"
}

# The init script's upgrade, restart and stop, each with a new master.
init_cycle() {
	old=$pid
	$initd upgrade || fail "$initd upgrade"
	live_pid "$initd upgrade"
	[ "$pid" != "$old" ] || fail "$initd upgrade: still pid $old"
	wait_gone "$old" || fail "$initd upgrade: the old master $old still runs"
	mpmctl status | grep -q ' upgrade ok: ' || fail "no upgrade in mpmctl status"
	old=$pid
	$initd restart || fail "$initd restart"
	live_pid "$initd restart"
	[ "$pid" != "$old" ] || fail "$initd restart: still pid $old"
	get_page "after $initd upgrade and restart (master pid $pid)"
	$initd stop || fail "$initd stop"
	wait_gone "$pid" || fail "master $pid still runs after $initd stop"
	pid=
	if $initd status >/dev/null 2>&1; then
		fail "$initd status: running after stop"
	fi
	say "$initd upgrade, restart, stop: ok"
}

serve() {
	get_page "serving"
	default_page
	workers=$(ps -o user= --ppid "$pid" | sort -u | tr '\n' ' ')
	say "workers run as: $workers"
	case $workers in *root*) fail "a worker runs as root" ;; esac
	mpmctl status || fail "mpmctl status"
	init_reload
	examples
	mpmctl reopen-logs || fail "mpmctl reopen-logs"
	grep -q 'GET / HTTP/1.1' /var/log/mpmd/access.log ||
		fail "no request in /var/log/mpmd/access.log"
	rotate
	reinstall
	init_cycle
}

# The compiled-in defaults are the package's layout: an empty config
# passes -t and serves /var/www/html on 127.0.0.1:8080.
empty_config() {
	empty=$scratch/empty.conf
	: >"$empty"
	mpmd -t -f "$empty" >"$scratch/t.out" 2>&1 ||
		fail "mpmd -t on an empty config: $(cat "$scratch/t.out")"
	mpmctl -f "$empty" start >"$scratch/start.out" 2>&1 ||
		fail "mpmctl start on an empty config: $(cat "$scratch/start.out")"
	live_pid "an empty config"
	get_page "an empty config" http://127.0.0.1:8080/
	mpmctl -f "$empty" stop >/dev/null || fail "mpmctl stop (empty config)"
	wait_gone "$pid" || fail "master $pid still runs after mpmctl stop"
	pid=
	say "an empty config: mpmd -t: $(cat "$scratch/t.out"); served on 127.0.0.1:8080"
}

purge() {
	# an example left enabled: purge takes its link, as apache2's does
	ln -s ../conf-available/status-localhost.conf /etc/mpmd/conf-enabled/
	dpkg --purge mpmd >/dev/null || fail "dpkg --purge mpmd"
	installed=
	for f in /etc/mpmd /var/log/mpmd /run/mpmd /usr/lib/mpmd \
		/usr/sbin/mpmd /etc/logrotate.d/mpmd /lib/systemd/system/mpmd.service \
		$initd $page; do
		[ -e "$f" ] && fail "$f is left after dpkg --purge"
	done
	ls /etc/rc?.d/*mpmd >/dev/null 2>&1 && fail "rc.d links left after dpkg --purge"
	say "purged: nothing left"
}

preconditions
build "${1:-}"
run_lintian
install_it
postinst_said
init_start
serve
empty_config
purge
finish
