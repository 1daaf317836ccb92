#!/usr/bin/env bash
# Change-sampling benchmark: what does watching a file cost, and how close is the
# estimate to the truth?
#
# Starts six writers on held deleted 64 MiB files (tests/helpers/holder): three
# writing random 4 KiB blocks (rr) and three appending (aw), at 0.5, 1 and 2 MB/s.
# Then, in interleaved rounds after one warm-up:
#   rescuetui --list --json --sample 1     (all files sampled at once for 1 s)
#   rescuetui --list --json --sample 0     (no sampling: the baseline)
# and prints, side by side per file: the true rate, the median estimate (rate_bps
# for random writers, growth_bps for appenders), its error, the bytes sampling read
# (sample_bytes), and the CPU time sampling cost per file (user+system of --sample 1
# minus --sample 0, medians, divided by the six files).
#
# Usage: bench/sampling.sh (as root, so every holder is visible). Environment:
# RT_BIN (default: the tree's ./rescuetui, built first), RUNS (5), DIR (default: a
# temporary directory under /var/tmp).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
command -v jq >/dev/null || { echo "sampling.sh: needs jq" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || echo "sampling.sh: not root: other users' holders are not seen" >&2
NAME=samplebench
. "$top/bench/lib.sh"
bench_start "$top" holder

# hold NAME SPEC: a holder of its own per writer, so each writes at its own pace.
hold() {
	"$top/build/tests/holder" "$2" >"$work/$1.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -qx ready "$work/$1.out" && return; sleep 0.05; done
	echo "sampling.sh: holder for $1 did not start: $(cat "$work/$1.out")" >&2
	exit 1
}

rates="500000 1000000 2000000"
names=()
for r in $rates; do
	for kind in rr aw; do
		name=$kind-$r
		head -c $((64 << 20)) /dev/urandom >"$work/$name"
		hold "$name" "$kind:$work/$name:$r"
		names+=("$name")
	done
done

# One run: CPU seconds (user+system) on stdout's last line, the JSON in $work/$2.json.
run() { # SAMPLE TAG
	local TIMEFORMAT='%U %S' t
	# Only the benchmark's own files (--only): the rest of the machine is no part of it.
	t=$({ time "$RT_BIN" --list --json --only "$work" --sample "$1" >"$work/$2.json" 2>"$work/err"; } 2>&1) ||
		{ echo "sampling.sh: rescuetui failed: $(cat "$work/err")" >&2; exit 1; }
	awk '{print $1 + $2}' <<<"$t"
}

run 1 warm >/dev/null
for ((i = 0; i < runs; i++)); do
	run 1 "s$i" >>"$work/cpu1"
	run 0 "z$i" >>"$work/cpu0"
	for n in "${names[@]}"; do
		jq -e --arg p "$work/$n" '[.files[] | select(.path == $p)] | length == 1' "$work/s$i.json" >/dev/null ||
			{ echo "sampling.sh: round $i does not list $n once" >&2; exit 1; }
		jq -r --arg p "$work/$n" \
			'.files[] | select(.path == $p) | "\(.change.class) \(.change.rate_bps) \(.change.growth_bps) \(.change.sample_bytes)"' \
			"$work/s$i.json" >>"$work/$n.est"
	done
done

cpu1=$(median <"$work/cpu1") cpu0=$(median <"$work/cpu0")
printf 'change sampling, 1 s, six writers sampled at once (median of %d rounds)\n\n' "$runs"
printf '%-22s %10s %12s %8s %21s %8s %12s\n' writer "true B/s" "estimate" error "(min-max)" class "bytes read"
for n in "${names[@]}"; do
	kind=${n%%-*} truth=${n#*-}
	# the random writer's estimate is rate_bps, the appender's growth_bps
	col=2
	[ "$kind" = aw ] && col=3
	est=$(awk -v c=$col '{print $c}' "$work/$n.est" | median)
	cls=$(awk '{print $1}' "$work/$n.est" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
	bytes=$(awk '{print $4}' "$work/$n.est" | median)
	err=$(awk -v e="$est" -v t="$truth" 'BEGIN {printf "%+.1f%%", (e - t) * 100 / t}')
	rng=$(awk -v c=$col '{print $c}' "$work/$n.est" | sort -g | awk '{a[NR] = $1} END {printf "(%.0f-%.0f)", a[1], a[NR]}')
	label=$([ "$kind" = rr ] && echo "random 4 KiB writes" || echo "appending")
	printf '%-22s %10s %12.0f %8s %21s %8s %12s\n' "$label" "$truth" "$est" "$err" "$rng" "$cls" "$bytes"
done
awk -v a="$cpu1" -v b="$cpu0" -v n="${#names[@]}" 'BEGIN {
	printf "\nCPU time: %.3f s with sampling, %.3f s without: %.1f ms per sampled file\n",
	       a, b, (a - b) * 1000 / n }'
