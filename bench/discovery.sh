#!/usr/bin/env bash
# Discovery benchmark: how does finding held deleted files cost as the machine fills?
#
# For each crowd size (tests/helpers/crowd.c: NPROC processes, ~8.3 fds each, 1.25 of
# them on deleted files of their own, every 10th also holding a file by a mapping
# only) it times, in interleaved rounds after one warm-up round, the whole commands
#   rescuetui --list --json --sample 0 --scan bpf     (BPF iterators)
#   rescuetui --list --json --sample 0 --scan proc    (the walk of /proc)
#   find /proc/[0-9]*/fd -lname '*(deleted)'
#   lsof +L1
# and prints per size the median wall time with its spread (min-max), what each
# reported, and the ratios find/rescuetui and lsof/rescuetui for both paths.
# Every run's exit status is checked (find may only complain about processes that
# vanished or that even root may not read); a failed run stops the benchmark.
# Goals: bpf: find/rt >= 1.5 and lsof/rt >= 8 at 2000 and 10000 processes;
#        proc: find/rt >= 1 and lsof/rt >= 4.
#
# Usage: bench/discovery.sh (as root). Environment: RT_BIN (default: the tree's
#   ./rescuetui, built first), SIZES ("200 2000 10000"), RUNS (7; 5 above 5000
#   processes), FDS_PER_PROC (8.3), DELETED_PER_PROC (1.25), MMAP_EVERY (10).
# A size is skipped, and says so, when pid_max, the process limit or free memory
# leave no room for it next to what already runs. Everything started is killed and
# every file removed on exit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
sizes=${SIZES:-200 2000 10000}
fds=${FDS_PER_PROC:-8.3} deleted=${DELETED_PER_PROC:-1.25} mmap_every=${MMAP_EVERY:-10}
LIMIT=120 # seconds any one run may take

die() {
	printf 'discovery.sh: %s\n' "$*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: the tools must see every process"
for c in lsof jq find; do command -v $c >/dev/null || die "needs $c"; done
if [ -z "${RT_BIN:-}" ]; then
	RT_BIN=$top/rescuetui
	make -s -C "$top" >&2 || die "building rescuetui failed"
fi
make -s -C "$top" build/tests/crowd >&2 || die "cannot build build/tests/crowd"

work=$(mktemp -d "${TMPDIR:-/tmp}/rt-bench.XXXXXX") || die "mktemp failed"
crowd_pid=
stop_crowd() {
	if [ -n "$crowd_pid" ]; then
		kill -TERM "$crowd_pid" 2>/dev/null
		wait "$crowd_pid" 2>/dev/null
		crowd_pid=
	fi
}
cleanup() {
	stop_crowd
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

have_bpf=1
"$RT_BIN" --list --json --sample 0 --scan bpf >"$work/probe.json" 2>"$work/probe.err" || {
	have_bpf=0
	printf 'discovery.sh: the BPF path does not work here (%s): timing /proc only\n' \
		"$(tail -n 1 "$work/probe.err")" >&2
}

# Room for N more processes: under pid_max and the process limit with a margin of
# 2000 for everyone else, and ~200 KiB of memory each.
room_for() {
	local n=$1 running pid_max ulim avail_kb
	running=$(find /proc -mindepth 1 -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l)
	pid_max=$(cat /proc/sys/kernel/pid_max)
	ulim=$(ulimit -u)
	avail_kb=$(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo)
	[ $((running + n + 2000)) -le "$pid_max" ] || { echo "pid_max $pid_max"; return 1; }
	[ "$ulim" = unlimited ] || [ $((running + n + 2000)) -le "$ulim" ] ||
		{ echo "ulimit -u $ulim"; return 1; }
	[ $((n * 200)) -le $((avail_kb / 2)) ] || { echo "memory: $((avail_kb >> 10)) MiB available"; return 1; }
}

start_crowd() {
	mkdir -p "$work/files"
	"$top/build/tests/crowd" "$work/files" "$1" "$fds" "$deleted" "$mmap_every" \
		>"$work/crowd.out" &
	crowd_pid=$!
	for ((i = 0; i < 1200; i++)); do
		grep -qx ready "$work/crowd.out" 2>/dev/null && return 0
		kill -0 "$crowd_pid" 2>/dev/null || { crowd_pid=; die "crowd failed to start"; }
		sleep 0.1
	done
	die "crowd of $1 not ready after 120 s"
}

# The commands as a user types them (the find glob is expanded by this shell). Each
# leaves its output in $work/out.TOOL for the counts; a non-zero exit stops us.
run_tool() {
	local tool=$1 rc
	case $tool in
	bpf | proc)
		"$RT_BIN" --list --json --sample 0 --scan "$tool" >"$work/out.$tool" 2>"$work/err.$tool"
		rc=$?
		[ $rc -eq 0 ] || die "rescuetui --scan $tool exited $rc: $(tail -n 2 "$work/err.$tool")" ;;
	find)
		find /proc/[0-9]*/fd -lname '*(deleted)' >"$work/out.find" 2>"$work/err.find"
		rc=$?
		# vanished processes, and fds even root may not read here, are no failure
		if [ $rc -ne 0 ] && grep -qvE 'No such file or directory|Permission denied' "$work/err.find"; then
			die "find exited $rc: $(grep -vE 'No such file|Permission denied' "$work/err.find" | head -n 2)"
		fi ;;
	lsof)
		# lsof stats every open file and hangs on a FUSE server that does not answer
		timeout "$LIMIT" lsof +L1 "${lsof_x[@]}" >"$work/out.lsof" 2>"$work/err.lsof"
		rc=$?
		[ $rc -ne 124 ] || die "lsof took over $LIMIT s (a FUSE filesystem not answering?)"
		[ $rc -eq 0 ] || die "lsof exited $rc: $(tail -n 2 "$work/err.lsof")" ;;
	esac
}

# CPU time too: on a machine others load, wall time swings, CPU time much less.
# It is what the shell's children used (user + system, every descendant waited
# for), from the builtin times just before and after each run, so that nothing
# runs in between but the command: no wrapper adds its own start-up to the wall
# time (perf stat added 8 ms and more to every run, more for a program with
# threads, which made the ratios look closer to 1).
children_cpu_us() { # FILE: what times wrote there
	awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
		printf "%d\n", t * 1e6 }' "$1"
}
# stats FILE: "median min max" in ms with two decimals
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%.2f %.2f %.2f", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
meets() { awk -v r="$1" -v g="$2" 'BEGIN { print (r >= g ? "yes" : "NO") }'; }

tools=(proc find lsof)
[ $have_bpf -eq 1 ] && tools=(bpf proc find lsof)
summary=()
for n in $sizes; do
	if ! why=$(room_for "$n"); then
		printf '\n== %s processes: skipped, no room (%s)\n' "$n" "$why"
		continue
	fi
	start_crowd "$n"
	# a process stuck in D (say a FUSE server that stopped answering) makes lsof
	# wait for ever on its files: leave such processes out of lsof's view
	stuck=$(ps -eo pid=,stat= | awk '$2 ~ /^D/ {printf "%s^%s", (n++ ? "," : ""), $1}')
	lsof_x=()
	[ -z "$stuck" ] || { lsof_x=(-p "$stuck"); echo "lsof leaves out processes in state D: $stuck"; }
	runs=${RUNS:-$([ "$n" -gt 5000 ] && echo 5 || echo 7)}
	rm -f "$work"/*.times "$work"/*.cpu
	for t in "${tools[@]}"; do run_tool "$t"; done # warm-up: caches, binaries, dentries
	for ((r = 0; r < runs; r++)); do
		for t in "${tools[@]}"; do
			times >"$work/cpu.0" # builtins, in this shell: no fork
			t0=${EPOCHREALTIME/./}
			run_tool "$t"
			t1=${EPOCHREALTIME/./}
			times >"$work/cpu.1"
			echo $((t1 - t0)) >>"$work/$t.times"
			echo $(($(children_cpu_us "$work/cpu.1") - $(children_cpu_us "$work/cpu.0"))) >>"$work/$t.cpu"
		done
	done
	procs=$(find /proc -mindepth 1 -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l)
	printf '\n== crowd of %s processes (machine: %s processes, load %s; %s runs each, interleaved)\n' \
		"$n" "$procs" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs"
	printf '%-36s %9s %17s %8s  %s\n' command 'median ms' 'min-max ms' 'CPU ms' 'reported'
	declare -A med=()
	for t in "${tools[@]}"; do
		read -r m lo hi < <(stats "$work/$t.times")
		med[$t]=$m
		case $t in
		bpf | proc)
			what="$(jq '.files | length' "$work/out.$t") files, $(jq '[.files[].holders[]] | length' "$work/out.$t") holders ($(jq '.scan.threads' "$work/out.$t") threads looked at)"
			label="rescuetui --list --json --scan $t" ;;
		find) what="$(wc -l <"$work/out.find") fd lines"; label="find /proc/[0-9]*/fd -lname ..." ;;
		lsof) what="$(($(wc -l <"$work/out.lsof") - 1)) lines"; label="lsof +L1" ;;
		esac
		c=-
		[ -s "$work/$t.cpu" ] && read -r c _ < <(stats "$work/$t.cpu")
		printf '%-36s %9s %17s %8s  %s\n' "$label" "$m" "$lo-$hi" "$c" "$what"
	done
	for t in bpf proc; do
		[ -n "${med[$t]:-}" ] || continue
		fr=$(ratio "${med[find]}" "${med[$t]}") lr=$(ratio "${med[lsof]}" "${med[$t]}")
		if [ $t = bpf ]; then fg=1.5 lg=8; else fg=1 lg=4; fi
		line=$(printf '%6s procs  %-4s find/rt %5s (goal >= %s: %-3s)  lsof/rt %6s (goal >= %s: %s)' \
			"$n" "$t" "$fr" "$fg" "$(meets "$fr" $fg)" "$lr" "$lg" "$(meets "$lr" $lg)")
		echo "$line"
		summary+=("$line")
	done
	unset med
	stop_crowd
	rm -rf "$work/files"
done
printf '\nsummary (goals for bpf apply at 2000 and 10000 processes):\n'
printf '%s\n' "${summary[@]}"
