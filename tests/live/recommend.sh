# From facts to a decision, through the command line a user runs: real writers give
# the change classes, real btrfs/xfs/ext4/tmpfs filesystems give reflink, fit and
# the recommended method.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd mkfs.btrfs
need_cmd mkfs.xfs

# --- filesystems of our own -------------------------------------------------------
make_fs btrfs "$T/btrfs.img" 256M
truncate -s 320M "$T/xfs.img" && mkfs.xfs -q -f -m reflink=1 "$T/xfs.img"
make_fs ext4 "$T/ext4.img" 128M
for fs in btrfs xfs ext4; do
	attach "$T/$fs.img"
	mount_at "$T/$fs" "$LOOPDEV"
done
mount_at "$T/small" -t tmpfs -o size=16m rt-small

for fs in btrfs xfs ext4; do
	head -c $((8 << 20)) /dev/urandom >"$T/$fs/static.bin"
	declare "ino_$fs=$(stat -c %i "$T/$fs/static.bin")"
done
head -c $((64 << 20)) /dev/urandom >"$T/ext4/big.bin"
ino_big=$(stat -c %i "$T/ext4/big.bin")
hold r:"$T/btrfs/static.bin" r:"$T/xfs/static.bin" r:"$T/ext4/static.bin" rw:"$T/ext4/big.bin"

# --- writers on the machine's temp filesystem -------------------------------------
head -c $((64 << 20)) /dev/urandom >"$T/random.bin"
head -c 1000 /dev/urandom >"$T/append.log"
head -c 100000 /dev/urandom >"$T/ro.bin"
head -c 100000 /dev/urandom >"$T/idle.bin"
for f in random append ro idle; do declare "ino_$f=$(stat -c %i "$T/$f".*)"; done
hold rr:"$T/random.bin":2000000 aw:"$T/append.log":1000000 r:"$T/ro.bin" rw:"$T/idle.bin"

"$RT_BIN" --list --only "$T" --json --sample 1 >"$T/list.json"

# Reflink where the filesystem really supports it.
for fs in btrfs xfs; do
	i=ino_$fs
	assert_eq "$(by_ino "${!i}" .change.class)" static "$fs file held read-only"
	assert_eq "$(by_ino "${!i}" '.recommendation | "\(.method) \(.target)"')" "reflink $T/$fs" \
		"$fs recommendation"
	assert_eq "$(by_ino "${!i}" '.methods[] | select(.method == "reflink") | .feasible')" true \
		"$fs reflink feasible"
	assert_eq "$(jq -r --arg m "$T/$fs" '.targets[] | select(.mountpoint == $m) | .reflink' \
		"$T/list.json")" true "$fs target reflink"
done
assert_eq "$(by_ino "$ino_ext4" '.methods[] | select(.method == "reflink") | .feasible')" false \
	"ext4 reflink infeasible"
by_ino "$ino_ext4" '.methods[] | select(.method == "reflink") | .reason' | grep -q "does not support FICLONE" ||
	fail "ext4 reflink reason: $(by_ino "$ino_ext4" '.methods[] | select(.method == "reflink") | .reason')"
assert_eq "$(by_ino "$ino_ext4" .recommendation.method)" copy "ext4 static file is copied"
assert_eq "$(by_ino "$ino_ext4" '.methods[] | select(.method == "debugfs") | .feasible')" false \
	"debugfs never offered"

# Change classes and what they lead to.
assert_eq "$(by_ino "$ino_random" .change.class)" random "random writer"
assert_eq "$(by_ino "$ino_random" .recommendation.method)" sync "random writer is synced"
assert_eq "$(by_ino "$ino_append" .change.class)" append "appender"
assert_eq "$(by_ino "$ino_append" .recommendation.method)" follow "appender is followed"
assert_eq "$(by_ino "$ino_ro" .change.class)" static "read-only holder"
assert_eq "$(by_ino "$ino_ro" .change.sample_bytes)" 0 "a static file costs no sampling I/O"
assert_eq "$(by_ino "$ino_idle" .change.class)" quiet "idle writer"
assert_eq "$(by_ino "$ino_idle" .recommendation.method)" copy "quiet file is copied"
# The estimate, not the machine's speed: a loaded machine may delay the writer, so
# only the order of magnitude is asked for.
growth=$(by_ino "$ino_append" .change.growth_bps)
[ "$growth" -gt 250000 ] && [ "$growth" -lt 4000000 ] || fail "append growth $growth B/s, want ~1 MB/s"
echo "ok: append growth $growth B/s"

# Fit, in numbers: the 16 MiB tmpfs cannot take the 64 MiB file, and the file's own
# ext4 would leave its writer short.
"$RT_BIN" --targets --json --only "$T" >"$T/targets.json"
fit() { jq -r --arg m "$1" --arg id "$2" \
	'.targets[] | select(.mountpoint == $m) | .files[] | select(.id == $id) | '"$3" "$T/targets.json"; }
id_big=$(by_ino "$ino_big" .id)
assert_eq "$(fit "$T/small" "$id_big" .fits)" false "64 MiB file on a 16 MiB tmpfs"
fit "$T/small" "$id_big" .reason | grep -Eq '^needs 8[0-9]M \(6[4-5]M data \+ 16M margin\); 1[56]M free$' ||
	fail "small target reason: $(fit "$T/small" "$id_big" .reason)"
assert_eq "$(fit "$T/ext4" "$id_big" '"\(.same_fs) \(.fits)"')" "true false" "own ext4 refused"
fit "$T/ext4" "$id_big" .reason | grep -q "free for the live writer" ||
	fail "own filesystem reason: $(fit "$T/ext4" "$id_big" .reason)"
assert_eq "$(jq -r --arg m "$T/small" '.targets[] | select(.mountpoint == $m) | "\(.ram) \(.readonly)"' \
	"$T/targets.json")" "true false" "tmpfs is RAM"
# The static ext4 file goes to the local disk (not RAM, network, read-only or its
# own) with the most free space among those it fits on: the preference order of
# rescuetui(8), with the machine's own disks in the race too.
id_ext4=$(by_ino "$ino_ext4" .id)
best=$(jq -r --arg id "$id_ext4" '[.targets[] | select((.ram or .network or .readonly) | not)
	| select(any(.files[]; .id == $id and .fits and (.same_fs | not)))] | max_by(.free) | .mountpoint' \
	"$T/targets.json")
[ "$best" != null ] && [ "$best" != "$T/ext4" ] || fail "no local disk for the ext4 file: $best"
assert_eq "$(by_ino "$ino_ext4" .recommendation.target)" "$best" "ext4 static file goes to the roomiest local disk"
jq -e '[.targets[].fstype] | index("proc") == null and index("sysfs") == null' "$T/targets.json" \
	>/dev/null || fail "pseudo filesystems listed as targets"

# The table shows the decision under each row.
"$RT_BIN" --list --only "$T" --sample 1 >"$T/table"
grep -q -- "-> sync to .*rewritten inside" "$T/table" || fail "table: $(cat "$T/table")"
grep -q -- "-> follow to .*grows at the end" "$T/table" || fail "no follow line"
grep -q -- "-> reflink to $T/btrfs" "$T/table" || fail "no reflink line"
"$RT_BIN" --targets --only "$T" >"$T/ttable"
grep -q "^btrfs .* yes .*$T/btrfs$" "$T/ttable" || fail "targets table: $(cat "$T/ttable")"
