#!/usr/bin/env bash
# Discovery benchmark: how long does finding held deleted files take on a busy box?
#
# Starts a crowd of processes (tests/helpers/crowd.c: by default 2000 processes, ~17k
# fds, 2500 of them on deleted files, plus 200 files held by a mapping only), then
# times, in interleaved rounds after one warm-up round:
#   rescuetui --list --json >/dev/null
#   lsof +L1
#   find /proc/[0-9]*/fd -lname '*(deleted)'
# and prints the median wall time of each and the ratios lsof/rescuetui and
# find/rescuetui. Goal: lsof/rescuetui >= 4 and find/rescuetui >= 1.
#
# Usage: bench/discovery.sh            (as root, so every process is visible)
# Environment: RT_BIN (default: the tree's ./rescuetui, built first), RUNS (7),
#   NPROC (2000), FDS_PER_PROC (8.3, stdio included), DELETED_PER_PROC (1.25),
#   MMAP_EVERY (10).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-7}
nproc=${NPROC:-2000} fds=${FDS_PER_PROC:-8.3} deleted=${DELETED_PER_PROC:-1.25}
mmap_every=${MMAP_EVERY:-10}

die() {
	printf 'discovery.sh: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || printf 'discovery.sh: not root: the tools will not see every process\n' >&2
command -v lsof >/dev/null || die "lsof is not installed"
command -v jq >/dev/null || die "jq is not installed"

if [ -z "${RT_BIN:-}" ]; then
	RT_BIN=$top/rescuetui
	make -s -C "$top" >&2 || printf 'discovery.sh: building rescuetui failed\n' >&2
fi
make -s -C "$top" build/tests/crowd >&2 || die "cannot build build/tests/crowd"
have_rt=1
if [ ! -x "$RT_BIN" ]; then
	have_rt=0
	printf 'discovery.sh: no rescuetui binary at %s (not built yet? set RT_BIN);\n' "$RT_BIN" >&2
	printf '              measuring lsof and find only\n' >&2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/rt-bench.XXXXXX") || die "mktemp failed"
crowd_pid=
cleanup() {
	if [ -n "$crowd_pid" ]; then
		kill -TERM "$crowd_pid" 2>/dev/null
		wait "$crowd_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$work/files"
"$top/build/tests/crowd" "$work/files" "$nproc" "$fds" "$deleted" "$mmap_every" \
	>"$work/crowd.out" &
crowd_pid=$!
for ((i = 0; i < 600; i++)); do
	grep -qx ready "$work/crowd.out" 2>/dev/null && break
	kill -0 "$crowd_pid" 2>/dev/null || { crowd_pid=; die "crowd failed to start"; }
	sleep 0.1
done
grep -qx ready "$work/crowd.out" || die "crowd not ready after 60 s"

# The commands, as a user would type them (the find glob is expanded by this shell,
# as it would be by the user's).
run_rescuetui() { "$RT_BIN" --list --json >/dev/null 2>&1; }
run_lsof() { lsof +L1 >/dev/null 2>&1; }
run_find() { find /proc/[0-9]*/fd -lname '*(deleted)' >/dev/null 2>&1; }

now_us() { echo "${EPOCHREALTIME/./}"; }

# Time one call of a function, in microseconds, appended to $work/NAME.times.
time_one() {
	local t0 t1
	t0=$(now_us)
	"run_$1"
	t1=$(now_us)
	echo $((t1 - t0)) >>"$work/$1.times"
}

median_us() { sort -n "$work/$1.times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

tools=(lsof find)
[ $have_rt -eq 1 ] && tools=(rescuetui lsof find)
for t in "${tools[@]}"; do "run_$t"; done # warm-up: caches, binaries, /proc dentries
for ((r = 0; r < runs; r++)); do
	for t in "${tools[@]}"; do time_one "$t"; done
done

# What the machine looked like, and what each tool found.
procs=$(find /proc -mindepth 1 -maxdepth 1 -name "[0-9]*" 2>/dev/null | wc -l)
allfds=$(find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
n_lsof=$(lsof +L1 2>/dev/null | tail -n +2 | wc -l)
n_find=$(find /proc/[0-9]*/fd -lname '*(deleted)' 2>/dev/null | wc -l)
if [ $have_rt -eq 1 ]; then
	json=$("$RT_BIN" --list --json --all 2>/dev/null) || json=$("$RT_BIN" --list --json 2>/dev/null)
	n_rt=$(jq '.files | length' <<<"$json" 2>/dev/null || echo '?')
	n_rt_fd=$(jq '[.files[].holders[]? | select(.type == "fd")] | length' <<<"$json" 2>/dev/null || echo '?')
	n_rt_mm=$(jq '[.files[] | select(all(.holders[]?; .type == "mmap"))] | length' \
		<<<"$json" 2>/dev/null || echo '?')
fi

printf 'crowd: %s processes x %s fds, %s deleted per process, mmap every %s\n' \
	"$nproc" "$fds" "$deleted" "$mmap_every"
printf 'machine: %s processes, %s open fds; %s runs each after one warm-up\n\n' \
	"$procs" "$allfds" "$runs"
printf '%-44s %10s  %s\n' command 'median ms' 'deleted entries reported'
ms() { local us; us=$(median_us "$1"); printf '%d.%02d' $((us / 1000)) $((us % 1000 / 10)); }
if [ $have_rt -eq 1 ]; then
	printf '%-44s %10s  %s files (%s fd holders, %s mmap-only files)\n' \
		'rescuetui --list --json' "$(ms rescuetui)" "$n_rt" "$n_rt_fd" "$n_rt_mm"
fi
printf '%-44s %10s  %s lines\n' 'lsof +L1' "$(ms lsof)" "$n_lsof"
printf '%-44s %10s  %s lines\n' "find /proc/[0-9]*/fd -lname '*(deleted)'" "$(ms find)" "$n_find"

[ $have_rt -eq 1 ] || exit 1
rt=$(median_us rescuetui)
[ "$rt" -gt 0 ] || rt=1
ratio() { local x=$(($1 * 100 / rt)); printf '%d.%02d' $((x / 100)) $((x % 100)); }
lsof_ok=no find_ok=no
[ $(($(median_us lsof) * 100 / rt)) -ge 400 ] && lsof_ok=yes
[ $(($(median_us find) * 100 / rt)) -ge 100 ] && find_ok=yes
printf '\nlsof/rescuetui %s (goal >= 4: %s)   find/rescuetui %s (goal >= 1: %s)\n' \
	"$(ratio "$(median_us lsof)")" "$lsof_ok" "$(ratio "$(median_us find)")" "$find_ok"
