#!/bin/sh
# Runs the libFuzzer targets of a build configured with --enable-fuzzing.
#
#   contrib/fuzz/run.sh BUILDDIR SECONDS [TARGET...]
#
# Each target (all of them by default: http uri ipc conf range proxy) first runs
# once over every input in contrib/fuzz/regressions/TARGET/, the inputs
# that once crashed it, then fuzzes for SECONDS from a scratch copy of its
# seed corpus contrib/fuzz/corpus/TARGET/ (SECONDS 0: runs the seeds once,
# no fuzzing). Everything goes to BUILDDIR/fuzz-results/TARGET/: log,
# corpus, and crash-*, leak-*, timeout-* or oom-* for an input that failed.
# Prints "PASS: fuzz_TARGET ..." or "FAIL: fuzz_TARGET ..." for each and
# exits 1 if any failed, with the failing input in hex and base64.
set -eu

ALL_TARGETS="http uri ipc conf range proxy"

usage()
{
	echo "usage: $0 BUILDDIR SECONDS [$(echo "$ALL_TARGETS" | tr ' ' '|')]..." >&2
	exit 2
}

# Room for what each target's parser refuses for its size.
max_len()
{
	case $1 in
	http) echo 8192 ;;    # past every limit of fuzz_http.c's tables
	uri) echo 5000 ;;     # past the 4096-byte path buffer
	ipc) echo 33000 ;;    # past header + IPC_MAX_PAYLOAD
	conf) echo 16384 ;;   # past CONF_MAX_LINE, even once escaped
	range) echo 512 ;;
	proxy) echo 4200 ;;   # past PROXY_HEADER_MAX
	esac
}

# The input F in hex (its start) and in base64 (all of it).
show_input()
{
	echo "--- $1 ($(wc -c <"$1") bytes), first 512 in hex:"
	od -A x -t x1z -v -N 512 "$1"
	echo "--- base64 (reproduce: base64 -d >input <<EOF ... EOF; $2 input):"
	base64 "$1"
	echo "--- end"
}

# Each input in the regressions directory of T, run once; the number
# that fail again.
run_regressions()
{
	t=$1 bin=$2 out=$3 bad=0
	for f in "$top/contrib/fuzz/regressions/$t"/*; do
		[ -e "$f" ] || continue
		log=$out/regression-${f##*/}.log
		"$bin" -timeout=10 -rss_limit_mb=2048 "$f" >"$log" 2>&1 && continue
		show_report "$log"
		echo "fuzz_$t: a regression input fails again:"
		show_input "$f" "$bin"
		bad=$((bad + 1))
	done
	return "$bad"
}

# SECONDS of fuzzing of T from a scratch copy of its seed corpus.
run_fuzzer()
{
	t=$1 bin=$2 out=$3
	rm -rf "$out/corpus"
	mkdir -p "$out/corpus"
	cp "$top/contrib/fuzz/corpus/$t"/* "$out/corpus/"
	if [ "$seconds" -eq 0 ]; then
		set -- -runs=0
	else
		set -- -max_total_time="$seconds"
	fi
	"$bin" "$@" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
		-print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" \
		>"$out/log" 2>&1
}

count_files()
{
	set -- "$1"/*
	if [ -e "$1" ]; then echo $#; else echo 0; fi
}

# The sanitizer's or libFuzzer's report in LOG: from its first line.
show_report()
{
	awk '/^fuzz_[a-z]+: |==ERROR|runtime error:|ERROR: libFuzzer|^SUMMARY/ { p = 1 }
		p && n++ < 80' "$1" >"$1.report"
	if [ -s "$1.report" ]; then cat "$1.report"; else tail -n 40 "$1"; fi
}

stat_of()
{
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# What the fuzzer in OUT did, from SEEDS inputs.
summary()
{
	echo "$seconds s, $(stat_of number_of_executed_units "$1/log") runs" \
		"($(stat_of average_exec_per_sec "$1/log")/s), corpus $2 ->" \
		"$(count_files "$1/corpus") inputs, peak RSS" \
		"$(stat_of peak_rss_mb "$1/log") MB"
}

run_target()
{
	t=$1 bin=$build/contrib/fuzz/fuzz_$1 out=$build/fuzz-results/$1
	if [ ! -x "$bin" ]; then
		echo "FAIL: fuzz_$t: $bin not built (configure --enable-fuzzing CC=clang, make)"
		return 1
	fi
	rm -rf "$out"
	mkdir -p "$out"
	regressions=0
	run_regressions "$t" "$bin" "$out" || regressions=$?
	seeds=$(count_files "$top/contrib/fuzz/corpus/$t")
	if ! run_fuzzer "$t" "$bin" "$out"; then
		show_report "$out/log"
		for f in "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*; do
			[ -e "$f" ] && show_input "$f" "$bin"
		done
		echo "FAIL: fuzz_$t: the fuzzer found the input above, see $out/log"
		return 1
	fi
	if [ "$regressions" -gt 0 ]; then
		echo "FAIL: fuzz_$t: $regressions regression input(s) above fail" \
			"again; fuzzing found nothing new: $(summary "$out" "$seeds")"
		return 1
	fi
	echo "PASS: fuzz_$t: $(summary "$out" "$seeds")"
}

[ $# -ge 2 ] || usage
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
seconds=$2
shift 2
case $seconds in '' | *[!0-9]*) usage ;; esac
targets=${*:-$ALL_TARGETS}
for t in $targets; do
	case " $ALL_TARGETS " in *" $t "*) ;; *) usage ;; esac
done
# the sanitizers' reports are all CI's log will show: with stacks
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

passed=0 failed=0
for t in $targets; do
	if run_target "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
