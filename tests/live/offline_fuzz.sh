#!/usr/bin/env bash
# Damaged images never crash --offline --list (nor --recover or --relink of what it
# lists): random bytes over the superblock, the
# group descriptors, the inode table and the orphan inode of a real crashed ext4.
# Each run must exit 0 (a report, valid JSON) or 1 (a clear error), within a time
# limit, with no sanitizer report (run it against build-asan for that).
# FUZZ_ROUNDS (default 300) and FUZZ_SEED repeat a run's damage (bytes and places
# come from bash's RANDOM seeded with it; the image itself is made anew); FUZZ_TIMEOUT (60) bounds each
# run; with FUZZ_KEEP=DIR a failing image is kept there.
FS_SIZE=16M
EXTRA_VICTIMS=4 # a chain of five
source "$(dirname "$0")/offline_lib.bash"
need_cmd dumpe2fs
ROUNDS=${FUZZ_ROUNDS:-300}
SEED=${FUZZ_SEED:-$$}
RANDOM=$SEED
echo "seed $SEED, $ROUNDS rounds"

crash mkfs.ext4 ext4 -O ^orphan_file -I 256
base=$IMG
assert_eq "$("$RT_BIN" --offline "$base" --list --json | jq '[.orphans[] | select(.source == "list")] | length')" \
	5 "orphans on the undamaged chain"
itable=$(dumpe2fs "$base" 2>/dev/null | sed -n 's/.*Inode table at \([0-9]*\)-.*/\1/p' | head -n 1)
isize=$(dumpe2fs -h "$base" 2>/dev/null | sed -n 's/^Inode size: *//p')
[ -n "$itable" ] && [ -n "$isize" ] || fail "cannot find the inode table"
orphan_off=$((itable * BS + (INO - 1) * isize))
# Regions: start and length in bytes.
# The last two are the chain's links themselves: s_last_orphan and the i_dtime of the
# first orphan (random values: out of range, loops, free inodes).
regions=("1024 1024" "$BS $BS" "$((itable * BS)) $((64 * isize))" "$orphan_off $isize"
	"$((1024 + 232)) 4" "$((orphan_off + 20)) 4")

# damage N: N bytes from RANDOM as printf escapes into $DAMAGE (in this shell: a
# subshell would draw from a reseeded RANDOM, and the run would not repeat)
damage() {
	local i b
	DAMAGE=""
	for ((i = 0; i < $1; i++)); do
		printf -v b '\\%03o' $((RANDOM % 256))
		DAMAGE+=$b
	done
}
TIMEOUT=${FUZZ_TIMEOUT:-60}
# lost ROUND MESSAGE: fail, keeping the image when asked
lost() {
	if [ -n "${FUZZ_KEEP:-}" ]; then
		cp --sparse=always "$f" "$FUZZ_KEEP/fuzz-$SEED-$1.img" && echo "kept $FUZZ_KEEP/fuzz-$SEED-$1.img"
	fi
	fail "$2"
}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1"
f=$T/fuzz.img
declare -A rcs=() acts=()
probs=0
for ((round = 0; round < ROUNDS; round++)); do
	cp --sparse=always "$base" "$f"
	read -r start len <<<"${regions[$((round % ${#regions[@]}))]}"
	# (RANDOM is read in this shell only: $(...) would reseed it)
	pieces=$((1 + RANDOM % 8))
	for ((p = 0; p < pieces; p++)); do
		n=$((1 + RANDOM % 64))
		[ "$n" -le "$len" ] || n=$len
		damage "$n"
		at=$((start + (RANDOM << 15 | RANDOM) % (len - n + 1)))
		printf "$DAMAGE" |
			dd of="$f" bs="$n" seek="$at" oflag=seek_bytes \
				conv=notrunc status=none
	done
	deep=()
	[ $((round % 3)) = 0 ] && deep=(--deep)
	set +e
	timeout "$TIMEOUT" "$RT_BIN" --offline "$f" --list --json "${deep[@]}" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	if grep -qE "Sanitizer|runtime error" "$T/err" || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
		lost "$round" "round $round (seed $SEED, region $start+$len${deep:+, --deep}): exit $rc: $(head -c 3000 "$T/err")"
	fi
	if [ "$rc" = 0 ]; then
		jq -e .orphans "$T/out" >/dev/null || fail "round $round: JSON does not parse"
		# What it lists must also be safe to copy out, and to relink.
		ino=$(jq -r '[.orphans[] | select(.type == "file")][0].ino // empty' "$T/out")
		if [ -n "$ino" ]; then
			rm -rf "$T/to" && mkdir "$T/to"
			act=(--recover "$ino" --to "$T/to")
			[ $((round % 4)) = 1 ] && act=(--relink "$ino" --yes)
			set +e
			timeout "$TIMEOUT" "$RT_BIN" --offline "$f" "${act[@]}" --log "$T/log" >"$T/out2" 2>"$T/err"
			rc=$?
			set -e
			if grep -qE "Sanitizer|runtime error" "$T/err" || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
				lost "$round" "round $round (seed $SEED) ${act[0]} $ino: exit $rc: $(head -c 3000 "$T/err")"
			fi
			acts[${act[0]}$rc]=$((${acts[${act[0]}$rc]:-0} + 1))
		fi
	else
		[ -s "$T/err" ] || fail "round $round: exit 1 without a message"
	fi
	rcs[$rc]=$((${rcs[$rc]:-0} + 1))
	[ "$rc" = 0 ] && probs=$((probs + $(jq '.problems | length' "$T/out")))
done
for k in "${!acts[@]}"; do echo "  ${k%?} exited ${k: -1} ${acts[$k]} times"; done
echo "ok: $ROUNDS damaged images: exit 0 ${rcs[0]:-0} times, exit 1 ${rcs[1]:-0} times, $probs problems reported"
