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

# A block that fails only while the result is verified: listed with the others and
# left out of both hashes (not verified); the result keeps what the copy read.
held_file h $((3 << 20))
bad "h 4096 4096"
mkdir "$T/out3"
"$RT_BIN" --recover "$ID" --to "$T/out3" --method copy --retries 5 --yes --json \
	--log "$T/actions.log" </dev/null >"$T/out.json" 2>"$T/err" &
rpid=$!
PIDS+=($rpid)
# the map is saved after the first retry round; four more (200 ms each) follow
for _ in $(seq 200); do
	[ -e "$T/out3/h.unread" ] && break
	sleep 0.02
done
[ -e "$T/out3/h.partial" ] || fail "the retries were over before the block could fail"
bad "h 4096 4096" "h 2097152 4096"
RC=0
wait $rpid || RC=$?
assert_eq "$RC" 3 "incomplete"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length)"] | join(" ")')" \
	"4096+4096 2097152+4096" "the block that failed while verifying is listed"
assert_eq "$(jr .verified)" false "not verified"
cmp -i 2097152 -n 4096 "$T/out3/h" "$T/h.orig" || fail "what the copy read was dropped"
unread_zeros "$T/out3/h" "$T/h.orig" 4096 4096
echo "readerr_retry: all checks passed"
