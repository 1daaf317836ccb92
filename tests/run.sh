#!/usr/bin/env bash
# Run every test: the check suites (unit and live), then the live shell tests.
# Usage: tests/run.sh BUILDDIR [NAME-FILTER...]
#        tests/run.sh --bin PROGRAM BUILDDIR [NAME-FILTER...]
#        RT_BIN=PROGRAM tests/run.sh BUILDDIR [NAME-FILTER...]
# With --bin (or RT_BIN set), only the shell tests run (tests/live/*.sh: those that
# run the program), against PROGRAM instead of BUILDDIR/rescuetui, e.g. the static
# build; BUILDDIR still gives the helpers they start.
# Each suite or script is one line of the report; the last line is the summary
# "N passed, N failed" (", N skipped" when a test could not run here, e.g. no root).
set -u
bin=${RT_BIN:-}
if [ "${1:-}" = --bin ]; then
	bin=$2
	shift 2
fi
if [ -n "$bin" ]; then
	bin=$(realpath "$bin") || exit 2
	echo "shell tests against $bin"
fi
O=${1:-build}
shift
filters=("$@")
wanted() {
	[ ${#filters[@]} -eq 0 ] && return 0
	local f
	for f in "${filters[@]}"; do [[ $1 == *$f* ]] && return 0; done
	return 1
}
top=$(cd "$(dirname "$0")/.." && pwd)
export RT_BIN="${bin:-$top/$O/rescuetui}" RT_TESTBIN="$top/$O/tests" RT_TOP="$top"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
passed=0 failed=0 skipped=0 failures=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/rt-testlog.XXXXXX")

run_one() {
	local name=$1; shift
	local log="$logdir/$name.log" rc
	"$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); printf 'PASS %s\n' "$name"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); printf 'SKIP %s: %s\n' "$name" "$(tail -n 1 "$log")"
	else
		failed=$((failed + 1)); failures+=("$name"); printf 'FAIL %s (exit %d)\n' "$name" $rc
		sed 's/^/    | /' "$log" | tail -n 60
	fi
}

for t in "$top/$O"/tests/test_*; do
	[ -x "$t" ] && [ -z "$bin" ] || continue
	name=$(basename "$t")
	wanted "$name" || continue
	run_one "$name" "$t"
done
for t in "$top"/tests/live/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	wanted "$name" || continue
	run_one "$name" bash "$t"
done

rm -rf "$logdir"
if [ ${#failures[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failures[*]}"
fi
if [ $skipped -gt 0 ]; then
	printf '%d passed, %d failed, %d skipped\n' $passed $failed $skipped
else
	printf '%d passed, %d failed\n' $passed $failed
fi
[ $failed -eq 0 ]
