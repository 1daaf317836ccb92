# Each method through the command line, on the real thing: a live sync succeeds as
# a crash-consistent copy, a deleted loop image is selected by its device and comes
# back whole (tail included), an O_TMPFILE file gets its very inode linked back, and
# a btrfs file is reflinked without using space.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd mkfs.btrfs

rt() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null; }
id_of() { jq -r --arg p "$1" '.files[] | select(.path == $p) | .id' "$T/list.json"; }
mkdir "$T/out"

tcase '1. sync of a file being rewritten'
# 1. sync of a file being rewritten: converges, exit 0, says it is a live copy.
head -c $((32 << 20)) /dev/urandom >"$T/db.bin"
hold rr:"$T/db.bin":1000000
list
rt "$(id_of "$T/db.bin")" --to "$T/out/db.bin" --json >"$T/sync.json" 2>"$T/err" ||
	fail "live sync failed: $(cat "$T/err")"
assert_eq "$(jq -r '.result | "\(.ok) \(.method)"' "$T/sync.json")" "true sync" "auto picks sync"
[ "$(jq -r .result.passes "$T/sync.json")" -ge 2 ] || fail "sync ran one pass only"
jq -r '.checks[]' "$T/sync.json" | grep -q "crash-consistent" || fail "no crash-consistent note"
[ "$(stat -c %s "$T/out/db.bin")" = $((32 << 20)) ] || fail "sync result has the wrong size"

tcase '2. A deleted loop image on ext4, selected as loopN'
# 2. A deleted loop image on ext4, selected as loopN: every byte, the tail too.
make_fs ext4 "$T/outer.img" 64M
attach "$T/outer.img"
mount_at "$T/outer" "$LOOPDEV"
size=$((5 * 1000 * 1000 + 77))
head -c $size /dev/urandom >"$T/outer/disk.raw"
cp "$T/outer/disk.raw" "$T/disk.expected"
attach "$T/outer/disk.raw"
loop=$LOOPDEV
rm "$T/outer/disk.raw"
rt "${loop#/dev/}" --to "$T/out" >"$T/summary" 2>"$T/err" || fail "loop rescue: $(cat "$T/err")"
cmp "$T/out/disk.raw" "$T/disk.expected" || fail "loop image differs"
grep -q "losetup -d $loop" "$T/summary" || fail "no advice about the loop device: $(cat "$T/summary")"
losetup -d "$loop"

tcase '3. O_TMPFILE'
# 3. O_TMPFILE: relink gives the very inode a name, and later writes show through it.
head -c 5000 /dev/urandom >"$T/tsrc"
hold t:"$T":"$T/tsrc"
tfd=$(hfd "$HOUT" 0)
tino=$(stat -L -c %i /proc/"$HPID"/fd/"$tfd")
list
tid=$(jq -r --argjson i "$tino" '.files[] | select(.ino == $i) | .id' "$T/list.json")
assert_eq "$(jq -r --argjson i "$tino" '.files[] | select(.ino == $i) | .recommendation.method' \
	"$T/list.json")" relink "O_TMPFILE is relinked"
rt "$tid" --to "$T/linked" >/dev/null 2>"$T/err" || fail "relink: $(cat "$T/err")"
assert_eq "$(stat -c %i "$T/linked")" "$tino" "same inode"
printf 'written later' | dd of=/proc/"$HPID"/fd/"$tfd" bs=1 seek=100 conv=notrunc status=none
[ "$(dd if="$T/linked" bs=1 skip=100 count=13 status=none)" = "written later" ] ||
	fail "a later write does not show through the new name"

tcase '4. reflink on btrfs'
# 4. reflink on btrfs: instant, no space used, bytes equal.
make_fs btrfs "$T/btrfs.img" 256M
attach "$T/btrfs.img"
mount_at "$T/btrfs" "$LOOPDEV"
head -c $((64 << 20)) /dev/urandom >"$T/btrfs/vm.img"
cp "$T/btrfs/vm.img" "$T/vm.expected"
hold r:"$T/btrfs/vm.img"
list
sync
free0=$(($(stat -f -c %a "$T/btrfs") * $(stat -f -c %S "$T/btrfs")))
rt "$(id_of "$T/btrfs/vm.img")" --to "$T/btrfs/rescued.img" --json >"$T/ref.json" 2>"$T/err" ||
	fail "reflink: $(cat "$T/err")"
sync
free1=$(($(stat -f -c %a "$T/btrfs") * $(stat -f -c %S "$T/btrfs")))
assert_eq "$(jq -r .result.method "$T/ref.json")" reflink "auto picks reflink on btrfs"
cmp "$T/btrfs/rescued.img" "$T/vm.expected" || fail "reflink differs"
used=$(((free0 - free1) >> 20))
[ $used -lt 8 ] || fail "reflink used $used MiB"
echo "ok: reflink used $used MiB"
