# Shared by the benchmarks that start holders: sourced after setting NAME (for
# messages and the work directory).
#
# bench_start TOP HELPER: build rescuetui (unless RT_BIN is set) and the test helper
# HELPER, make the work directory $work under ${DIR:-/var/tmp}, and remove it and
# kill every pid in $pids on exit.
bench_start() {
	local top=$1 helper=$2
	if [ -z "${RT_BIN:-}" ]; then
		RT_BIN=$top/rescuetui
		make -s -C "$top" >&2 || exit 1
	fi
	make -s -C "$top" "build/tests/$helper" >&2 || exit 1
	work=$(mktemp -d "${DIR:-/var/tmp}/rt-$NAME.XXXXXX") || exit 1
	pids=()
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}

# median: the median of the numbers on standard input.
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
