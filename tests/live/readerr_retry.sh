# The retries of one run (issue #15), with real errors from badfs: a block fails
# during the copy and reads again before the retry round, so the same run ends
# complete and verified; with --retries 0 the map is kept as it was; progress and
# the summary count what is unread.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/readerr_lib.bash"

badfs_up
held_file f $((8 << 20))
bad "f 8192 4096"
mkdir "$T/out" "$T/out0"

# --retries 0: no second look; the map keeps the block
rt "$ID" --to "$T/out0" --method copy --retries 0
assert_eq "$RC" 3 "no retries: incomplete"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length)"] | join(" ")')" "8192+4096" \
	"the failing block"

# 2 MB/s: the copy takes about 4 s; the block heals once the copy is past it
"$RT_BIN" --recover "$ID" --to "$T/out" --method copy --max-rate 2M --retries 2 --yes \
	--json --log "$T/actions.log" </dev/null >"$T/out.json" 2>"$T/err" &
rpid=$!
PIDS+=($rpid)
sleep 1.5
[ -e "$T/out/f.partial" ] || fail "the copy ended before the block could heal"
bad
RC=0
wait $rpid || RC=$?
assert_eq "$RC" 0 "healed during the run: complete"
assert_eq "$(jr '"\(.verified) \(.unread.bytes) \(.bytes_read)"')" "true 0 $((8 << 20))" \
	"the retry read the block"
cmp "$T/out/f" "$T/f.orig" || fail "the result is not bit-exact"
[ ! -e "$T/out/f.unread" ] || fail "a map was left"
echo "readerr_retry: all checks passed"
