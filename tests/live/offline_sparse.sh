#!/usr/bin/env bash
# --offline --recover costs what the orphan's data costs, not its size: an inode
# whose size says 1 TiB (a sparse file, or a damaged size field) with a few MiB of
# data is copied, hashed and read back in seconds. The holes are hashed without being
# fed byte by byte, and the read-back skips them (SEEK_HOLE). The result is verified
# and is the original bytes followed by zeros, a sparse file.
source "$(dirname "$0")/offline_lib.bash"
need_cmd debugfs

crash mkfs.ext4 ext4 -O ^orphan_file
big=$((1 << 40))
debugfs -w -R "sif <$INO> size $big" "$IMG" >/dev/null 2>&1 || fail "debugfs could not set the size"
"$RT_BIN" --offline "$IMG" --list --json >"$T/list.json"
assert_eq "$(jq -r --argjson i "$INO" '.orphans[] | select(.ino == $i) | .size' "$T/list.json")" \
	"$big" "the orphan's size as the inode says it"

mkdir "$T/out"
set +e
timeout 60 "$RT_BIN" --offline "$IMG" --recover "$INO" --to "$T/out/big" --json \
	--log "$T/actions.log" >"$T/r.json" 2>"$T/err"
rc=$?
set -e
[ $rc -ne 124 ] || fail "the copy of a 1 TiB sparse orphan took over a minute"
assert_eq "$rc" 0 "exit status ($(cat "$T/err"))"
assert_eq "$(jq -r '.result | "\(.ok) \(.verified) \(.size)"' "$T/r.json")" "true true $big" \
	"verified, the whole size"
assert_eq "$(stat -c %s "$T/out/big")" "$big" "the result's size"
cmp -n "$SIZE" "$T/out/big" "$ORIG" || fail "the data differs from the original"
[ "$(stat -c %b "$T/out/big")" -lt $((64 << 11)) ] || fail "the result is not sparse"
echo "ok: 1 TiB orphan copied in time, verified, sparse"
