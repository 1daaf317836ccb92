# A copy through read errors (issue #15), with real errors from badfs: the copy
# completes around them, the failing ranges are isolated by bisection to whole
# 4 KiB blocks, left as holes and listed in the map beside the result, and the exit
# status says incomplete. Running the same command again reads only the mapped
# ranges (all of them fail: nothing changes; half of one heals: the map splits),
# and once they read the result verifies bit-exact and the map is gone. A result
# of another file under the same name is never touched.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/readerr_lib.bash"

badfs_up
held_file f $((3 << 20))
# inside block 0; across blocks 257 and 258; block 512 with ENODATA (61)
bad "f 100 10" "f 1056000 1000" "f 2097152 4096 61"
mkdir "$T/out"

# 1. The first copy completes around the errors.
rt "$ID" --to "$T/out" --method copy
assert_eq "$RC" 3 "exit status of an incomplete rescue"
assert_eq "$(jr '"\(.ok) \(.verified) \(.target)"')" "false false $T/out/f" "not verified, renamed"
assert_eq "$(jr '.unread.bytes')" 16384 "bytes unread"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length):\(.error)"] | join(" ")')" \
	"0+4096:EIO 1052672+8192:EIO 2097152+4096:ENODATA" "the ranges, at block granularity"
assert_eq "$(jr '.bytes_read')" $(((3 << 20) - 16384)) "everything else was read"
assert_eq "$(jr '.unread.map')" "$T/out/f.unread" "the map's path"
assert_eq "$(jr '.unread.retry')" "$(basename "$RT_BIN") --recover $ID --to $T/out/f --method copy" \
	"the command to read them again"
[ ! -e "$T/out/f.partial" ] && [ ! -e "$T/out/f.partial.journal" ] || fail "partial left"
for r in "0 4096" "1052672 8192" "2097152 4096"; do
	# shellcheck disable=SC2086
	unread_zeros "$T/out/f" "$T/f.orig" $r
done
cmp -i 4096 -n $((1052672 - 4096)) "$T/out/f" "$T/f.orig" || fail "first good part differs"
cmp -i 1060864 -n $((2097152 - 1060864)) "$T/out/f" "$T/f.orig" || fail "middle good part differs"
cmp -i $((2097152 + 4096)) "$T/out/f" "$T/f.orig" || fail "last good part differs"
assert_eq "$(grep -c '^range ' "$T/out/f.unread")" 3 "ranges in the map file"
grep -qx "ino ${ID##*:}" "$T/out/f.unread" ||
	fail "the map does not name the source's inode"
grep -qF 'result="incomplete: 16384 bytes unread in 3 range(s)"' "$T/actions.log" ||
	fail "the log does not say the result is incomplete: $(tail -n 1 "$T/actions.log")"
# the text summary says it too, with the retry command
"$RT_BIN" --recover "$ID" --to "$T/out" --method copy --yes --log "$T/actions.log" \
	</dev/null >"$T/text" 2>&1 && fail "a still incomplete rescue exited 0"
grep -q "^Rescued incompletely: copy" "$T/text" || fail "summary: $(cat "$T/text")"
grep -q "To read them again: " "$T/text" || fail "no retry command: $(cat "$T/text")"

# 2. The same command again, nothing healed: only the map's ranges are read (and
# fail again); the result is continued in place, not copied to a new name.
rt "$ID" --to "$T/out" --method copy
assert_eq "$RC" 3 "still incomplete"
assert_eq "$(jr '"\(.bytes_read) \(.unread.bytes) \(.resumed) \(.target)"')" \
	"0 16384 true $T/out/f" "nothing more read, in place"
[ ! -e "$T/out/f.1" ] || fail "a second copy was started instead of continuing"

# 3. Half of the middle range heals: the map splits.
bad "f 100 10" "f 1056768 100" "f 2097152 4096 61"
rt "$ID" --to "$T/out/f" --method copy --retries 2
assert_eq "$RC" 3 "still incomplete after a partial heal"
assert_eq "$(jr '.bytes_read')" 4096 "only the healed block was read"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length)"] | join(" ")')" \
	"0+4096 1056768+4096 2097152+4096" "the range split"
cmp -i 1052672 -n 4096 "$T/out/f" "$T/f.orig" || fail "the healed block differs"
assert_eq "$(jr '.unread.retry')" \
	"$(basename "$RT_BIN") --recover $ID --to $T/out/f --method copy --retries 2" \
	"the retry command keeps --retries"

# 4. Everything heals: only the mapped ranges are read, and it verifies.
bad
rt "$ID" --to "$T/out" --method copy
assert_eq "$RC" 0 "exit status once complete"
assert_eq "$(jr '"\(.ok) \(.verified) \(.resumed) \(.bytes_read) \(.unread.bytes)"')" \
	"true true true 12288 0" "verified after reading only the map"
cmp "$T/out/f" "$T/f.orig" || fail "the completed result is not bit-exact"
[ ! -e "$T/out/f.unread" ] || fail "the map outlived a complete result"
[ ! -e "$T/out/f.1" ] || fail "a new copy was made"

# 5. Never an overwrite: a file of the same name whose map is not this file's.
mkdir "$T/other"
echo precious >"$T/other/f"
printf 'rescuetui-unread 1\ndev 1\nino 2\nsize 9\nrange 0 4 5\nend-of-map\n' >"$T/other/f.unread"
rt "$ID" --to "$T/other/f" --method copy
assert_eq "$RC" 1 "a foreign incomplete result is refused"
rt "$ID" --to "$T/other" --method copy
assert_eq "$RC" 0 "a directory gives the next free name"
assert_eq "$(jr .target)" "$T/other/f.1" "the next free name"
assert_eq "$(cat "$T/other/f")" precious "the other file is untouched"
grep -q "^ino 2$" "$T/other/f.unread" || fail "the other map was touched"
echo "readerr: all checks passed"
