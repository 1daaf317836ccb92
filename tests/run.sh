#!/usr/bin/env bash
# Run every test: the check suites (unit and live), then the live shell tests.
# Usage: tests/run.sh BUILDDIR [NAME-FILTER...]
#        tests/run.sh --bin PROGRAM BUILDDIR [NAME-FILTER...]
#        RT_BIN=PROGRAM tests/run.sh BUILDDIR [NAME-FILTER...]
# With --bin (or RT_BIN set), only the shell tests run (tests/live/*.sh: those that
# run the program), against PROGRAM instead of BUILDDIR/rescuetui, e.g. the static
# build; BUILDDIR still gives the helpers they start.
#
# It counts tests, not files:
# - a check suite counts each of its tests, from Check's own TAP log
#   (CK_TAP_LOG_FILE_NAME); a test that called tl_skip() wrote its reason to
#   $RT_SKIP_LOG and counts as skipped, not passed;
# - a shell test counts each case it declared with tcase (tests/live/lib.bash); a case
#   that called tskip counts as skipped; a script without tcase is one test;
# - exit status 77 means "cannot run here" (the old way): what did not run is skipped.
# A suite that exits non-zero without a failed test (a crash, a setup error) counts
# one failure; a run that finds no test at all fails. The skips are listed with
# their reasons, and the last line is always "N passed, N failed, N skipped".
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
top=$(cd "$(dirname "$0")/.." && pwd)
[[ $O == /* ]] || O="$top/$O"
# A filter that is some test's exact name picks that test alone (check-tsan's
# "recover" is recover.sh, not every recover_*); any other picks every test whose
# name contains it.
all_names=" $(cd "$O/tests" 2>/dev/null && ls -d test_* 2>/dev/null | tr '\n' ' ') $(cd "$top/tests/live" && ls *.sh | sed 's/\.sh$//' | tr '\n' ' ') "
wanted() {
	[ ${#filters[@]} -eq 0 ] && return 0
	local f
	for f in "${filters[@]}"; do
		if [[ $all_names == *" $f "* ]]; then
			[[ $1 == "$f" ]] && return 0
		elif [[ $1 == *$f* ]]; then
			return 0
		fi
	done
	return 1
}
export RT_BIN="${bin:-$O/rescuetui}" RT_TESTBIN="$O/tests" RT_TOP="$top"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-120}
passed=0 failed=0 skipped=0 failures=() skips=()
# A user runs the unit tests; the live ones make loop devices and mounts and hold
# other users' files, so they are skipped, and counted and listed as such.
live_skip=
if [ "$(id -u)" != 0 ]; then
	live_skip="needs root (live tests: loop devices, mounts, other users' processes)"
	printf 'not root: running the unit tests; the live tests are skipped\n'
fi
logdir=$(mktemp -d "${TMPDIR:-/tmp}/rt-testlog.XXXXXX")
trap 'rm -rf "$logdir"' EXIT

show_log() { sed 's/^/    | /' "$1" | tail -n 60; }

# count_suite NAME LOG TAP SKIPS RC: one check suite's tests into the totals.
count_suite() {
	local name=$1 log=$2 tap=$3 skl=$4 rc=$5 ok=0 bad=0 nsk=0 line
	if [ -f "$tap" ]; then
		ok=$(grep -c '^ok ' "$tap")
		bad=$(grep -c '^not ok ' "$tap")
	fi
	[ -f "$skl" ] && nsk=$(grep -c . "$skl")
	# A skipped test ends early and Check calls that a pass.
	[ "$nsk" -le "$ok" ] || nsk=$ok
	while IFS= read -r line; do
		skips+=("$name: $line")
	done < <([ -f "$skl" ] && cat "$skl")
	if [ "$rc" -eq 77 ] && [ $((ok + bad)) -eq 0 ]; then
		skipped=$((skipped + 1))
		skips+=("$name: $(tail -n 1 "$log")")
		printf 'SKIP %s: %s\n' "$name" "$(tail -n 1 "$log")"
		return
	fi
	passed=$((passed + ok - nsk))
	skipped=$((skipped + nsk))
	failed=$((failed + bad))
	if [ "$bad" -gt 0 ]; then
		grep '^not ok ' "$tap" | while IFS= read -r line; do
			printf 'FAIL %s: %s\n' "$name" "${line#not ok }"
		done
		failures+=("$name")
	elif [ "$rc" -ne 0 ] || [ $((ok + bad)) -eq 0 ]; then
		# Crashed outside a test, or ran none: that is a failure of its own.
		failed=$((failed + 1))
		failures+=("$name")
		printf 'FAIL %s (exit %d after %d tests)\n' "$name" "$rc" $((ok + bad))
		show_log "$log"
		return
	fi
	printf '%s %s: %d passed, %d failed, %d skipped\n' \
		"$([ "$bad" -gt 0 ] && echo FAIL || echo PASS)" "$name" $((ok - nsk)) "$bad" "$nsk"
	[ "$bad" -eq 0 ] || show_log "$log"
}

# count_script NAME LOG CASES RC: one shell test's cases into the totals. CASES has
# "case NAME" and "skip REASON" lines in the order the script ran them.
count_script() {
	local name=$1 log=$2 cases=$3 rc=$4 cur= cur_skip= n=0 p=0 s=0 f=0 kind rest
	local reason
	reason=$(tail -n 1 "$log")
	if [ ! -s "$cases" ]; then
		case $rc in
		0) p=1 ;;
		77) s=1; skips+=("$name: $reason") ;;
		*) f=1 ;;
		esac
	else
		# The case still open when the script ended is the one that failed (or
		# skipped with 77); every earlier one finished.
		close_case() {
			[ -n "$cur" ] || return 0
			if [ -n "$cur_skip" ]; then
				s=$((s + 1)); skips+=("$name/$cur: $cur_skip")
			else
				p=$((p + 1))
			fi
		}
		while IFS= read -r line; do
			kind=${line%% *} rest=${line#* }
			case $kind in
			case) close_case; cur=$rest cur_skip= n=$((n + 1)) ;;
			skip) cur_skip=${rest:-no reason given} ;;
			esac
		done <"$cases"
		if [ "$rc" -eq 0 ] || [ -n "$cur_skip" ]; then
			close_case
		elif [ "$rc" -eq 77 ]; then
			s=$((s + 1)); skips+=("$name/$cur: $reason")
		else
			f=$((f + 1))
			printf 'FAIL %s/%s\n' "$name" "$cur"
		fi
	fi
	passed=$((passed + p)) skipped=$((skipped + s)) failed=$((failed + f))
	if [ $f -gt 0 ]; then
		failures+=("$name")
		printf 'FAIL %s (exit %d): %d passed, %d failed, %d skipped\n' "$name" "$rc" $p $f $s
		show_log "$log"
	elif [ $s -gt 0 ] && [ $p -eq 0 ]; then
		printf 'SKIP %s: %d skipped\n' "$name" $s
	else
		printf 'PASS %s: %d passed, %d skipped\n' "$name" $p $s
	fi
}

for t in "$O"/tests/test_*; do
	[ -x "$t" ] && [ -z "$bin" ] || continue
	name=$(basename "$t")
	wanted "$name" || continue
	log="$logdir/$name.log"
	live=
	[ -e "$top/tests/live/$name.c" ] && live=$live_skip
	CK_TAP_LOG_FILE_NAME="$logdir/$name.tap" RT_SKIP_LOG="$logdir/$name.skip" RT_SKIP_ALL=$live \
		"$t" >"$log" 2>&1
	count_suite "$name" "$log" "$logdir/$name.tap" "$logdir/$name.skip" $?
done
for t in "$top"/tests/live/*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	wanted "$name" || continue
	if [ ! -x "$RT_BIN" ] || [ ! -x "$RT_TESTBIN/holder" ]; then
		failed=$((failed + 1)) failures+=("shell tests")
		printf 'FAIL shell tests: no %s or %s (make tests)\n' "$RT_BIN" "$RT_TESTBIN/holder"
		break
	fi
	log="$logdir/$name.log"
	: >"$logdir/$name.cases"
	RT_CASES="$logdir/$name.cases" RT_SKIP_ALL=$live_skip bash "$t" >"$log" 2>&1
	count_script "$name" "$log" "$logdir/$name.cases" $?
done

if [ ${#skips[@]} -gt 0 ]; then
	printf 'skipped (could not run here):\n'
	printf '  %s\n' "${skips[@]}"
fi
if [ ${#failures[@]} -gt 0 ]; then
	printf 'failed: %s\n' "$(printf '%s\n' "${failures[@]}" | sort -u | tr '\n' ' ')"
fi
if [ $((passed + failed + skipped)) -eq 0 ]; then
	printf 'no tests found in %s (build them first: make tests)\n' "$O/tests"
	failed=1
fi
printf '%d passed, %d failed, %d skipped\n' $passed $failed $skipped
[ $failed -eq 0 ]
