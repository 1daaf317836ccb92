#!/usr/bin/env bash
# --offline on a crashed ext4: list, copy out, relink; refusals and a damaged image.
source "$(dirname "$0")/offline_lib.bash"

crash mkfs.ext4 ext4 -O ^orphan_file
# While the live image is still mounted, it is refused, and so is its device.
set +e
"$RT_BIN" --offline "$T/live.img" --list >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "a mounted image is refused"
grep -q "is mounted" "$T/out" || fail "no clear message: $(cat "$T/out")"
set +e
"$RT_BIN" --offline "$LOOPDEV" --list >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "a mounted device is refused"

check_all list

# Random bytes over the superblock: a clear error, exit 1, no crash.
cp --sparse=always "$IMG" "$T/bad.img"
head -c 1024 /dev/urandom | dd of="$T/bad.img" bs=1024 seek=1 conv=notrunc status=none
set +e
"$RT_BIN" --offline "$T/bad.img" --list >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "a damaged superblock is an error"
grep -q "cannot open" "$T/out" || fail "no clear message: $(cat "$T/out")"
# Not a filesystem at all, and a truncated image.
head -c 1M /dev/urandom >"$T/noise.img"
set +e
"$RT_BIN" --offline "$T/noise.img" --list >"$T/out" 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "noise is no filesystem"
grep -q "no ext2/3/4 filesystem" "$T/out" || fail "no clear message: $(cat "$T/out")"
head -c 4M "$IMG" >"$T/short.img"
set +e
"$RT_BIN" --offline "$T/short.img" --list >"$T/out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "truncated image: exit $rc"
grep -q "smaller than the filesystem" "$T/out" || fail "no word on the truncated image: $(cat "$T/out")"
echo "ok: a truncated image: exit $rc: $(head -n 1 "$T/out")"
