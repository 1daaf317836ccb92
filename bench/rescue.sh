#!/usr/bin/env bash
# Rescue benchmark: what a verified rescue costs next to doing it by hand, and what a
# sparse file costs next to a dense one holding the same data. Measured in one run,
# in interleaved rounds after a warm-up, every run's exit status checked; medians
# with their spread (min-max).
#
#   1 GiB random file, held deleted (warm cache):
#     rt:      rescuetui --recover ID --to OUT --method copy   (the whole command:
#              scan, copy, fsync, read back with O_DIRECT, compare hashes)
#     careful: cp SRC OUT && sync OUT && cksum SRC && dd if=OUT iflag=direct | cksum
#              (the same guarantees by hand; CRC, the fastest hash coreutils has)
#     cp:      cp SRC OUT (no fsync, no check)
#   8 GiB sparse file with 3 MiB of data (three 1 MiB extents: first, middle,
#   last) against a dense 3 MiB file with the same bytes: the whole
#   rescuetui --recover command for each.
# Goals: careful/rt >= 1.0; sparse/dense <= 2.
#
# Usage: bench/rescue.sh (as root). Environment: RT_BIN, RUNS (5), DIR (default: a
# temp dir under /var/tmp; needs ~3 GiB free).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
[ "$(id -u)" -eq 0 ] || { echo "rescue.sh: run as root" >&2; exit 1; }
for c in jq cksum dd; do command -v $c >/dev/null || { echo "rescue.sh: needs $c" >&2; exit 1; }; done
NAME=rescuebench
. "$top/bench/lib.sh"
bench_start "$top" holder

die() {
	echo "rescue.sh: $*" >&2
	exit 1
}
now() { echo "${EPOCHREALTIME/./}"; } # microseconds

# hold SPEC: start a holder; sets HPID and HFD (fd of the first spec)
hold() {
	"$top/build/tests/holder" "$@" >"$work/h.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -qx ready "$work/h.out" && break; sleep 0.05; done
	grep -qx ready "$work/h.out" || die "holder not ready: $(cat "$work/h.out")"
	HPID=$(awk '$1 == "pid" {print $2; exit}' "$work/h.out")
	HFD=$(awk '$1 == "fd" {print $3; exit}' "$work/h.out")
}
id_of() {
	"$RT_BIN" --list --json --sample 0 2>/dev/null | jq -r --arg p "$1" '.files[] | select(.path == $p) | .id'
}

# run TOOL: one timed run, appended to $work/TOOL.times; any failure stops us.
run() {
	local tool=$1 s e a b
	rm -f "$work/out"
	s=$(now)
	case $tool in
	rt | sparse | dense)
		local id=$gid
		[ "$tool" = sparse ] && id=$sid
		[ "$tool" = dense ] && id=$did
		"$RT_BIN" --recover "$id" --to "$work/out" --method copy --yes --log /dev/null \
			--json </dev/null >"$work/r.json" 2>"$work/r.err" ||
			die "rescuetui ($tool) failed: $(tail -n 2 "$work/r.err")"
		[ "$(jq -r .result.verified "$work/r.json")" = true ] || die "rescuetui ($tool): not verified" ;;
	careful)
		cp "$gsrc" "$work/out" && sync "$work/out" || die "cp or sync failed"
		a=$(cksum <"$gsrc") || die "cksum of the source failed"
		b=$(dd if="$work/out" iflag=direct bs=4M status=none | cksum) || die "read back failed"
		[ "$a" = "$b" ] || die "careful: the copy differs" ;;
	cp)
		cp "$gsrc" "$work/out" || die "cp failed" ;;
	esac
	e=$(now)
	echo $((e - s)) >>"$work/$tool.times"
}

stats() {
	sort -n "$work/$1.times" | awk '{ v[NR] = $1 } END {
		printf "%.1f %.1f %.1f", v[int((NR + 1) / 2)] / 1000, v[1] / 1000, v[NR] / 1000 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "preparing files in $work ..." >&2
head -c $((1 << 30)) /dev/urandom >"$work/g1"
hold r:"$work/g1"
gsrc=/proc/$HPID/fd/$HFD
gid=$(id_of "$work/g1")
head -c $((3 << 20)) /dev/urandom >"$work/data"
truncate -s 8G "$work/sparse"
i=0
for at in 0 4096 8191; do # MiB: the data's 1st, 2nd and 3rd MiB there
	dd if="$work/data" of="$work/sparse" bs=1M skip=$i seek=$at count=1 conv=notrunc status=none
	i=$((i + 1))
done
cp "$work/data" "$work/dense"
hold r:"$work/sparse"
sid=$(id_of "$work/sparse")
hold r:"$work/dense"
did=$(id_of "$work/dense")
[ -n "$gid" ] && [ -n "$sid" ] && [ -n "$did" ] || die "rescuetui does not list the files"
cat "$gsrc" >/dev/null # warm

tools=(rt careful cp sparse dense)
for t in "${tools[@]}"; do run "$t"; done
rm -f "$work"/*.times
for ((r = 0; r < runs; r++)); do
	for t in "${tools[@]}"; do run "$t"; done
done
run sparse
sp_read=$(jq -r .result.bytes_read "$work/r.json")
sp_copy=$(jq -r .result.seconds_copy "$work/r.json")
sp_verify=$(jq -r .result.seconds_verify "$work/r.json")

echo
printf '%-58s %9s %15s\n' "($runs interleaved runs each, warm cache)" 'median ms' 'min-max ms'
row() {
	read -r m lo hi < <(stats "$1")
	printf '%-58s %9s %15s\n' "$2" "$m" "$lo-$hi"
	eval "M_$1=$m"
}
row rt "rescuetui --recover (1 GiB, copy, verified)"
row careful "cp + sync + cksum + dd iflag=direct | cksum (1 GiB)"
row cp "cp (1 GiB, no fsync, no check)"
row sparse "rescuetui --recover (8 GiB sparse, 3 MiB data)"
row dense "rescuetui --recover (3 MiB dense, same data)"
echo
cr=$(ratio "$M_careful" "$M_rt")
sr=$(ratio "$M_sparse" "$M_dense")
echo "careful/rescuetui $cr (goal >= 1.0: $(awk -v r="$cr" 'BEGIN { print (r >= 1.0 ? "yes" : "NO") }'))"
echo "cp/rescuetui      $(ratio "$M_cp" "$M_rt") (cp neither syncs nor checks)"
echo "sparse/dense      $sr (goal <= 2: $(awk -v r="$sr" 'BEGIN { print (r <= 2 ? "yes" : "NO") }'));" \
	"the sparse rescue read $((sp_read >> 20)) MiB, copied in ${sp_copy} s, verified in ${sp_verify} s"
