# Follow through read errors (issue #15), with real errors from badfs: the follow
# reads around the failing blocks to the end of the file, leaves them as holes with
# a map and exit 3; once they read, the same command reads only them and verifies.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/readerr_lib.bash"

badfs_up
size=$(((1536 << 10) + 1000)) # 1.5 MiB and a last block that the end cuts short
held_file f $size
bad "f 1573000 1" # in that last block
mkdir "$T/out"

rt "$ID" --to "$T/out" --method follow
assert_eq "$RC" 3 "exit status of an incomplete follow"
assert_eq "$(jr '"\(.ok) \(.verified) \(.size)"')" "false false $size" \
	"not verified, full size"
assert_eq "$(jr '[.unread.ranges[] | "\(.start)+\(.length)"] | join(" ")')" \
	"1572864+1000" "the last block, up to the end"
unread_zeros "$T/out/f" "$T/f.orig" 1572864 1000
cmp -n 1572864 "$T/out/f" "$T/f.orig" || fail "what was read differs"
assert_eq "$(stat -c %s "$T/out/f")" $size "the result's size"

bad
rt "$ID" --to "$T/out" --method follow
assert_eq "$RC" 0 "exit status once the block reads"
assert_eq "$(jr '"\(.verified) \(.bytes_read) \(.unread.bytes)"')" "true 1000 0" \
	"only the map's block was read"
cmp "$T/out/f" "$T/f.orig" || fail "the completed follow is not bit-exact"
[ ! -e "$T/out/f.unread" ] || fail "the map outlived a complete result"
echo "readerr_follow: all checks passed"
