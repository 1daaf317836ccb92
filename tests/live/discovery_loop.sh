# Loop devices whose backing file is deleted: no process holds the file, so only the
# loop driver shows it. On ext4 the file is pinned by handle (whole file, tail
# included); a loop-mounted image that is deleted is listed with its mountpoint and
# the warning not to unmount it.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd losetup
need_cmd mkfs.ext4

# An ext4 filesystem of our own, on a loop device we attach.
make_fs ext4 "$T/outer.img" 64M
attach "$T/outer.img"
outer=$LOOPDEV
mount_at "$T/outer" "$outer"

tcase '1. A plain loop device over a file whose size is not a multiple of 512'
# 1) A plain loop device over a file whose size is not a multiple of 512.
size=$((1000 * 1000 + 123))
head -c $size /dev/urandom >"$T/outer/disk.raw"
ino=$(stat -c %i "$T/outer/disk.raw")
dev=$(stat -c %d "$T/outer/disk.raw")
attach "$T/outer/disk.raw"
loop=$LOOPDEV
rm "$T/outer/disk.raw"
list
assert_eq "$(by_ino "$ino" '.holders | length')" 1 "one holder"
assert_eq "$(by_ino "$ino" '.holders[0] | "\(.type) \(.device) \(.offset) \(.autoclear)"')" \
	"loop $loop 0 false" "loop holder"
assert_eq "$(by_ino "$ino" .path)" "$T/outer/disk.raw" "backing path"
assert_eq "$(by_ino "$ino" .size)" $size "exact size (pinned by handle)"
assert_eq "$(by_ino "$ino" .size_exact)" true "size is exact"
assert_eq "$(by_ino "$ino" .pin.type)" handle "pin through open_by_handle_at"
assert_eq "$(by_ino "$ino" .pin.unreadable)" 0 "nothing unreadable"
assert_eq "$(by_ino "$ino" .fstype)" ext4 "fstype"
assert_eq "$(by_ino "$ino" .mountpoint)" "$T/outer" "mountpoint"
assert_eq "$(by_ino "$ino" .change.class)" quiet "a writable loop device that nobody writes"
"$RT_BIN" --list --only "$T" >"$T/table"
grep -qF "$loop is backed by this deleted file" "$T/table" || fail "table: $(cat "$T/table")"
grep -qF "never detach $loop (losetup -d)" "$T/table" || fail "no warning in the table"
losetup -d "$loop"

tcase '2. A deleted image that is loop-mounted (mount -o loop sets autoclear)'
# 2) A deleted image that is loop-mounted (mount -o loop sets autoclear).
make_fs ext4 "$T/outer/fs.img" 16M
ino2=$(stat -c %i "$T/outer/fs.img")
mount_at "$T/inner" -o loop "$T/outer/fs.img"
loop2=$(findmnt -n -o SOURCE "$T/inner")
UNDO+=("detach $loop2 $T/outer/fs.img")
echo hello >"$T/inner/file"
rm "$T/outer/fs.img"
list
assert_eq "$(by_ino "$ino2" '.holders[0] | "\(.type) \(.device) \(.autoclear) \(.mountpoint) \(.fstype)"')" \
	"loop $loop2 true $T/inner ext4" "loop-mounted image holder"
assert_eq "$(by_ino "$ino2" .size)" $((16 << 20)) "image size"
assert_eq "$(by_ino "$ino2" .pin.type)" handle "pinned"
"$RT_BIN" --list --only "$T" >"$T/table"
grep -qF "never unmount $T/inner: the loop device clears itself" "$T/table" ||
	fail "no autoclear warning: $(cat "$T/table")"
assert_eq "$(by_ino "$ino2" .recommendation.freeze)" true "freezing the loop filesystem is suggested"
by_ino "$ino2" .recommendation.warning | grep -qF "fsfreeze -f $T/inner" || fail "no fsfreeze advice"
grep -qF "mounted on $T/inner" "$T/table" || fail "no mountpoint in the warning"
