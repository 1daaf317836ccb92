#!/usr/bin/env bash
# Copy benchmark: rescuetui's engines against cp and dd on the same held deleted file,
# measured in the same run, printed as ratios.
#
#   1 GiB random file, warm cache and cold (this file's pages dropped with
#   dd iflag=nocache, not the whole machine's cache):
#     rescuetui --recover ID --to OUT --method copy
#     cp --sparse=always /proc/PID/fd/N OUT
#     dd if=/proc/PID/fd/N of=OUT bs=1M
#   4 GiB sparse file with 3 data extents of 64 MiB: rescuetui copy vs cp --sparse=always
#   sync over 1 GiB (held read-write, idle): the unchanged pass writes 0 bytes;
#     sync total against a plain copy of the same file
#   peak RSS of a sync over 4 GiB (GNU time's %M)
# Goals: copy >= 0.95x cp; sparse time proportional to data; unchanged sync pass
# writes 0 bytes at read speed; peak RSS under 32 MiB.
#
# Usage: bench/copy.sh (as root). Environment: RT_BIN, RUNS (3), DIR (default: a temp
# dir under /var/tmp; needs ~10 GiB free for the sparse and sync cases).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
[ "$(id -u)" -eq 0 ] || { echo "copy.sh: run as root" >&2; exit 1; }
for c in jq cmp; do command -v $c >/dev/null || { echo "copy.sh: needs $c" >&2; exit 1; }; done
[ -x /usr/bin/time ] && TIME=/usr/bin/time || TIME=
NAME=copybench
. "$top/bench/lib.sh"
bench_start "$top" holder

now() { echo "${EPOCHREALTIME/./}"; } # microseconds

# hold SPEC: start a holder; sets HPID and HFD (fd of the first spec)
hold() {
	"$top/build/tests/holder" "$@" >"$work/h.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 200); do grep -qx ready "$work/h.out" && break; sleep 0.05; done
	HPID=$(awk '$1 == "pid" {print $2; exit}' "$work/h.out")
	HFD=$(awk '$1 == "fd" {print $3; exit}' "$work/h.out")
}
id_of() { "$RT_BIN" --list --json --sample 0 | jq -r --arg p "$1" '.files[] | select(.path == $p) | .id'; }
rt_copy() { "$RT_BIN" --recover "$1" --to "$2" --method "${3:-copy}" --yes --log /dev/null --json </dev/null 2>/dev/null; }
drop() { dd if="$1" iflag=nocache count=0 status=none; } # this file's cache only
t_ms() { echo $((($2 - $1) / 1000)); }

echo "preparing files in $work ..." >&2
head -c $((1 << 30)) /dev/urandom >"$work/g1"
hold r:"$work/g1"
src=/proc/$HPID/fd/$HFD
id=$(id_of "$work/g1")

declare -A T
for cache in warm cold; do
	for tool in rescuetui cp dd; do
		for ((i = 0; i < runs; i++)); do
			rm -f "$work/out"
			[ $cache = cold ] && drop "$src" || cat "$src" >/dev/null
			sync
			s=$(now)
			case $tool in
			rescuetui) rt_copy "$id" "$work/out" >"$work/r.json"
				jq -r '.result.seconds_copy * 1000 | floor' "$work/r.json" >>"$work/t.$cache.phase"
				jq -r '.result.seconds_verify * 1000 | floor' "$work/r.json" >>"$work/t.$cache.verify" ;;
			cp) cp --sparse=always "$src" "$work/out" && sync "$work/out" ;;
			dd) dd if="$src" of="$work/out" bs=1M status=none conv=fsync ;;
			esac
			e=$(now)
			echo $(t_ms "$s" "$e") >>"$work/t.$cache.$tool"
		done
		T[$cache.$tool]=$(median <"$work/t.$cache.$tool")
	done
	T[$cache.phase]=$(median <"$work/t.$cache.phase")
	T[$cache.verify]=$(median <"$work/t.$cache.verify")
done
cmp -s "$work/out" "$src" || echo "WARNING: last copy differs from the source" >&2
rm -f "$work/out"

# Sparse: 4 GiB with 3 data extents of 64 MiB.
truncate -s 4G "$work/sparse"
for off in 0 1536 3968; do
	head -c $((64 << 20)) /dev/urandom | dd of="$work/sparse" bs=1M seek=$off conv=notrunc status=none
done
hold r:"$work/sparse"
ssrc=/proc/$HPID/fd/$HFD
sid=$(id_of "$work/sparse")
s=$(now); rt_copy "$sid" "$work/sp.rt" >"$work/sp.json"; e=$(now); sp_rt=$(t_ms "$s" "$e")
s=$(now); cp --sparse=always "$ssrc" "$work/sp.cp"; sync "$work/sp.cp"; e=$(now); sp_cp=$(t_ms "$s" "$e")
sp_read=$(jq -r .result.bytes_read "$work/sp.json")
sp_alloc=$(($(stat -c %b "$work/sp.rt") * 512))
rm -f "$work/sp.rt" "$work/sp.cp"

# Sync over the same file, held read-write but idle: the second pass changes nothing.
cp "$src" "$work/g1rw" # g1 itself has no name any more: copy it from its holder
hold rw:"$work/g1rw"
wid=$(id_of "$work/g1rw")
s=$(now); rt_copy "$wid" "$work/sync.out" sync >"$work/sync.json"; e=$(now); sy=$(t_ms "$s" "$e")
s=$(now); rt_copy "$wid" "$work/copy.out" copy >/dev/null; e=$(now); cy=$(t_ms "$s" "$e")
sy_passes=$(jq -r .result.passes "$work/sync.json")
sy_last=$(jq -r .result.last_pass_changed "$work/sync.json")
rm -f "$work/sync.out" "$work/copy.out" "$work/g1rw"

# Peak RSS of a 4 GiB sync.
rss="n/a (no /usr/bin/time)"
if [ -n "$TIME" ]; then
	truncate -s 4G "$work/g4"
	head -c $((256 << 20)) /dev/urandom | dd of="$work/g4" bs=1M seek=1000 conv=notrunc status=none
	hold rw:"$work/g4"
	g4=$(id_of "$work/g4")
	$TIME -f %M -o "$work/rss" "$RT_BIN" --recover "$g4" --to "$work/g4.out" --method sync \
		--yes --log /dev/null </dev/null >/dev/null 2>&1
	rss="$(($(cat "$work/rss") / 1024)) MiB"
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
echo
echo "copy of a 1 GiB held deleted file (median of $runs, ms; rescuetui = the whole command,"
echo "of which 'copy' is the copying and 'verify' the content-hash read-back of the result (and of the source, when someone could write it)):"
printf '  %-6s %10s %6s %7s %6s %6s   cp/rescuetui  cp/copy  dd/copy\n' cache rescuetui copy verify cp dd
for cache in warm cold; do
	printf '  %-6s %10s %6s %7s %6s %6s   %12s  %7s  %7s\n' $cache "${T[$cache.rescuetui]}" \
		"${T[$cache.phase]}" "${T[$cache.verify]}" "${T[$cache.cp]}" "${T[$cache.dd]}" \
		"$(ratio "${T[$cache.cp]}" "${T[$cache.rescuetui]}")" \
		"$(ratio "${T[$cache.cp]}" "${T[$cache.phase]}")" "$(ratio "${T[$cache.dd]}" "${T[$cache.phase]}")"
done
echo "sparse 4 GiB, 192 MiB of data: rescuetui ${sp_rt} ms, cp ${sp_cp} ms" \
	"(cp/rescuetui $(ratio "$sp_cp" "$sp_rt")); read $((sp_read >> 20)) MiB; result allocates $((sp_alloc >> 20)) MiB"
echo "sync over $size_mb MiB, idle writer: ${sy} ms in $sy_passes passes, last pass changed $sy_last bytes;" \
	"a plain copy ${cy} ms (sync/copy $(ratio "$sy" "$cy"))"
echo "peak RSS of a 4 GiB sync: $rss (goal < 32 MiB)"
