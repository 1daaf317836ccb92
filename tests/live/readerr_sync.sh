# Sync through read errors (issue #15), with real errors from badfs: pass 1 and the
# later passes read around the failing blocks (never writing zeros over what an
# earlier pass read), the result is renamed with its map and exit 3; once the
# blocks read again, the same command reads only them and verifies bit-exact.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/readerr_lib.bash"

badfs_up
held_file f $((2 << 20))
bad "f 65536 4096" "f 1000000 5000 74" # block 16; blocks 244-245 with EBADMSG
mkdir "$T/out"

rt "$ID" --to "$T/out" --method sync
assert_eq "$RC" 3 "exit status of an incomplete sync"
assert_eq "$(jr '"\(.ok) \(.verified) \(.target)"')" "false false $T/out/f" "not verified, renamed"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length):\(.error)"] | join(" ")')" \
	"65536+4096:EIO 999424+8192:EBADMSG" "the ranges, at block granularity"
[ "$(jr .passes)" -ge 2 ] || fail "sync ended after $(jr .passes) pass(es)"
unread_zeros "$T/out/f" "$T/f.orig" 65536 4096
unread_zeros "$T/out/f" "$T/f.orig" 999424 8192
cmp -n 65536 "$T/out/f" "$T/f.orig" || fail "the head differs"
cmp -i 69632 -n $((999424 - 69632)) "$T/out/f" "$T/f.orig" || fail "the middle differs"
cmp -i 1007616 "$T/out/f" "$T/f.orig" || fail "the tail differs"
[ -s "$T/out/f.unread" ] || fail "no map beside the result"
[ ! -e "$T/out/f.partial" ] || fail "a .partial was left"

bad
rt "$ID" --to "$T/out" --method sync
assert_eq "$RC" 0 "exit status once the blocks read"
assert_eq "$(jr '"\(.verified) \(.resumed) \(.bytes_read) \(.unread.bytes)"')" \
	"true true 12288 0" "only the map's blocks were read"
cmp "$T/out/f" "$T/f.orig" || fail "the completed sync is not bit-exact"
[ ! -e "$T/out/f.unread" ] || fail "the map outlived a complete result"
echo "readerr_sync: all checks passed"

# A block that fails only in a later pass becomes a hole too: never left with
# what pass 1 wrote there (the map must mean "holes").
held_file g $((4 << 20))
mkdir "$T/out2"
"$RT_BIN" --recover "$ID" --to "$T/out2" --method sync --max-rate 1M --yes --json \
	--log "$T/actions.log" </dev/null >"$T/out.json" 2>"$T/err" &
rpid=$!
PIDS+=($rpid)
for _ in $(seq 200); do
	grep -qx "pass 2" "$T/out2/g.partial.journal" 2>/dev/null && break
	sleep 0.05
done
grep -qx "pass 2" "$T/out2/g.partial.journal" || fail "pass 2 did not begin in 10 s"
bad "g $((3584 << 10)) 4096" # 3.5 MiB: pass 2 reaches it about 3.5 s after it began
RC=0
wait $rpid || RC=$?
assert_eq "$RC" 3 "a block failing in pass 2 leaves the result incomplete"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length)"] | join(" ")')" \
	"$((3584 << 10))+4096" "the block that failed in pass 2"
unread_zeros "$T/out2/g" "$T/g.orig" $((3584 << 10)) 4096
cmp -n $((3584 << 10)) "$T/out2/g" "$T/g.orig" || fail "the rest differs"
echo "readerr_sync: pass 2 checks passed"
