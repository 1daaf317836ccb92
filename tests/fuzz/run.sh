#!/usr/bin/env bash
# Run every fuzzer of BUILDDIR/fuzz for SECONDS each, starting from its committed
# seed corpus (tests/fuzz/corpus/NAME/, only read) with new inputs kept in a scratch
# directory. A crash leaves its input in the scratch directory and fails the run.
# Usage: tests/fuzz/run.sh BUILDDIR SECONDS
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/${1:-build-fuzz}/fuzz
secs=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/rt-fuzz.XXXXXX")
status=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	mkdir -p "$work/$name"
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$work/$name/" "$work/$name" "$top/tests/fuzz/corpus/$name" \
		>"$work/$name.log" 2>&1; then
		echo "ok: $name ($(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -n 1))"
	else
		echo "FAIL: $name"
		tail -n 40 "$work/$name.log"
		ls "$work/$name"/crash-* "$work/$name"/leak-* 2>/dev/null | head -n 3 |
			while read -r c; do echo "input: $(od -An -c "$c" | head -n 5)"; done
		status=1
	fi
done
[ $status -eq 0 ] && rm -rf "$work"
exit $status
