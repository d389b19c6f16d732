#!/bin/sh
# The manual pages, as TAP: each one clean under `mandoc -T lint -W warning`
# (skipped, and said so, where mandoc is not installed), and each one
# naming what the code knows: every directive of the table in conf/conf.c
# in mpmd.conf(5), every control verb of protocol/ctl.c and mpmctl.c in
# mpmctl(8), every option and handled signal of the master in mpmd(8).
set -u

src=${MPMD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${MPMD_BUILDDIR:-.}
pages="mpmd.8 mpmctl.8 mpmd.conf.5"
n=0 failed=0

ok() { # STATUS NAME [DETAILS]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}

# NAME PAGE MACRO WORDS: each word must be in a list item's head, as in
# ".It MACRO WORD" or ".It Ic User Ar name No and MACRO WORD".
covered() {
	page=$build/man/$2 missing=
	if [ -z "$(printf '%s' "$4" | tr -d ' \t\n')" ]; then
		ok 1 "$1" "found no names to look for: has the source changed shape?"
		return
	fi
	for w in $4; do
		grep -qE "^\.It (.* )?$3 $w( |\$)" "$page" 2>/dev/null ||
			missing="$missing $w"
	done
	ok "$([ -z "$missing" ] && echo 0 || echo 1)" "$1" \
		"not in $2:$missing"
}

# The directive names in conf_directives[], blanks dropped so that a name
# wrapped onto the line after its macro is still found.
directives() {
	tr -d ' \t\n' <"$src/conf/conf.c" |
		grep -oE '(STRING|PATH|NUMBER|BOOL|SPECIAL)\("[A-Za-z]+"|\.name="[A-Za-z]+"' |
		sed -E 's/.*"([A-Za-z]+)"/\1/'
}

ctl_verbs() {
	grep -oE '\[CTL_[A-Z_]+\] = "[a-z-]+"' "$src/protocol/ctl.c" |
		sed -E 's/.*"([a-z-]+)"/\1/'
	grep -oE 'strcmp\(what, "[a-z-]+"\)' "$src/master/mpmctl.c" |
		sed -E 's/.*"([a-z-]+)".*/\1/'
}

# getopt's letters of the master, less -h (usage).
options() {
	grep -oE 'getopt\(argc, argv, "[^"]*"' "$src/master/main.c" |
		sed -E 's/.*"([^"]*)"/\1/' | tr -d ':h' | sed 's/./& /g'
}

# The signals master.c acts on, less SIGCHLD (its own children).
signals() {
	grep -oE 'case SIG[A-Z0-9]+:' "$src/master/master.c" |
		sed -E 's/case (SIG[A-Z0-9]+):/\1/' | grep -v '^SIGCHLD$' | sort -u
}

# The verbs of mpmd -k: start and each of signal_verbs[] in main.c.
k_verbs() {
	echo start
	grep -oE '^[[:space:]]*\{ "[a-z-]+", SIG[A-Z0-9]+ \},' \
		"$src/master/main.c" | sed -E 's/.*"([a-z-]+)".*/\1/'
}

# The verbs mpmctl's usage line offers, one a line.
usage_verbs() {
	tr -d '\n\t' <"$src/master/mpmctl.c" |
		grep -oE '"usage: mpmctl [^;]*\\n"' |
		sed -e 's/" *"//g' -e 's/.*\[-f FILE\] //' -e 's/\\n".*//' \
			-e 's/\[--[a-z]*\]//g' | tr '|' '\n' | tr -d ' '
}

# Each "defaults:    NAME VALUE" of mpmd -V must be said in NAME's item
# of mpmd.conf(5), so that the page states this build's defaults.
defaults_stated() {
	missing=
	"$build/mpmd" -V | sed -n 's/^defaults: *//p' >"${TMPDIR:-/tmp}/mpmd-defaults.$$"
	while read -r name value; do
		awk -v name="$name" -v value="$value" '
			$0 ~ "^\\.It Ic " name "( |$)" { inside = 1; next }
			inside && /^\.It / { inside = 0 }
			inside && index($0, value) { found = 1 }
			END { exit !found }' "$build/man/mpmd.conf.5" ||
			missing="$missing $name=$value"
	done <"${TMPDIR:-/tmp}/mpmd-defaults.$$"
	[ -s "${TMPDIR:-/tmp}/mpmd-defaults.$$" ] ||
		missing=" (mpmd -V printed no defaults)"
	rm -f "${TMPDIR:-/tmp}/mpmd-defaults.$$"
	ok "$([ -z "$missing" ] && echo 0 || echo 1)" \
		"mpmd.conf(5) states the compiled-in defaults of mpmd -V" \
		"not in mpmd.conf.5:$missing"
}

echo "1..9"
for p in $pages; do
	f=$build/man/$p
	if ! command -v mandoc >/dev/null 2>&1; then
		n=$((n + 1))
		echo "ok $n - mandoc -T lint $p # SKIP mandoc not installed"
		continue
	fi
	if [ ! -f "$f" ]; then
		ok 1 "mandoc -T lint $p" "$f was not built"
		continue
	fi
	out=$(mandoc -T lint -W warning "$f" 2>&1)
	ok $? "mandoc -T lint $p" "$out"
done
covered "every directive of conf/conf.c in mpmd.conf(5)" mpmd.conf.5 Ic \
	"$(directives)"
covered "every mpmctl command in mpmctl(8)" mpmctl.8 Cm "$(ctl_verbs)"
# signals are listed as ".It Dv SIGTERM , SIGINT": match each name alone
signals_missing=
for s in $(signals); do
	grep -qE "^\.It Dv (.* )?$s( |\$)" "$build/man/mpmd.8" ||
		signals_missing="$signals_missing $s"
done
opts_missing=
for o in $(options); do
	grep -qE "^\.It Fl $o( |\$)" "$build/man/mpmd.8" ||
		opts_missing="$opts_missing -$o"
done
missing="$opts_missing$signals_missing"
[ -z "$(signals)" ] || [ -z "$(options)" ] &&
	missing=" (found no options or signals in master/: has the source changed shape?)"
ok "$([ -z "$missing" ] && echo 0 || echo 1)" \
	"every option and signal of the master in mpmd(8)" \
	"not in mpmd.8:$missing"
# -k VERB is listed as ".It Fl k Cm stop | restart | ...": each alone
k_missing=
for v in $(k_verbs); do
	grep -qE "^\.It Fl k Cm (.* )?$v( |\$)" "$build/man/mpmd.8" ||
		k_missing="$k_missing $v"
done
[ "$(k_verbs | wc -l)" -gt 1 ] ||
	k_missing=" (found no -k verbs in master/main.c: has the source changed shape?)"
ok "$([ -z "$k_missing" ] && echo 0 || echo 1)" \
	"every -k verb of mpmd in mpmd(8)" "not in mpmd.8:$k_missing"
[ -n "$(usage_verbs)" ] || usage_verbs() { echo "(no-verbs-found-in-usage)"; }
covered "every verb of mpmctl's usage in mpmctl(8)" mpmctl.8 Cm \
	"$(usage_verbs)"
defaults_stated
[ $failed -eq 0 ]
