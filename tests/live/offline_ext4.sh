#!/usr/bin/env bash
# --offline on a crashed ext4: list, copy out, relink; refusals and a damaged image.
source "$(dirname "$0")/offline_lib.bash"

crash mkfs.ext4 ext4 -O ^orphan_file
IMG0=$T/crashed0.img # untouched, for the damaged copies below
cp --sparse=always "$IMG" "$IMG0"
# While the live image is still mounted, it is refused, and so is its device.
run_rc "$RT_BIN" --offline "$T/live.img" --list
assert_eq "$rc" 1 "a mounted image is refused"
grep -q "is mounted" "$T/out" || fail "no clear message: $(cat "$T/out")"
run_rc "$RT_BIN" --offline "$LOOPDEV" --list
assert_eq "$rc" 1 "a mounted device is refused"

check_all list

# Random bytes over the superblock: a clear error, exit 1, no crash.
cp --sparse=always "$IMG" "$T/bad.img"
head -c 1024 /dev/urandom | dd of="$T/bad.img" bs=1024 seek=1 conv=notrunc status=none
run_rc "$RT_BIN" --offline "$T/bad.img" --list
assert_eq "$rc" 1 "a damaged superblock is an error"
grep -q "cannot open" "$T/out" || fail "no clear message: $(cat "$T/out")"
# Not a filesystem at all, and a truncated image.
head -c 1M /dev/urandom >"$T/noise.img"
run_rc "$RT_BIN" --offline "$T/noise.img" --list
assert_eq "$rc" 1 "noise is no filesystem"
grep -q "no ext2/3/4 filesystem" "$T/out" || fail "no clear message: $(cat "$T/out")"
head -c 4M "$IMG" >"$T/short.img"
run_rc "$RT_BIN" --offline "$T/short.img" --list
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "truncated image: exit $rc"
grep -q "smaller than the filesystem" "$T/out" || fail "no word on the truncated image: $(cat "$T/out")"
echo "ok: a truncated image: exit $rc: $(head -n 1 "$T/out")"

# Each damage below is made on a fresh copy of the crashed image with debugfs.
damaged() { # NAME DEBUGFS-REQUEST
	cp --sparse=always "$IMG0" "$T/$1.img"
	debugfs -w -R "$2" "$T/$1.img" >/dev/null 2>&1 || fail "debugfs $2"
	DIMG=$T/$1.img
}

# A chain that comes back to itself: reported once, not followed forever.
damaged loop "sif <$INO> dtime $INO"
timeout 20 "$RT_BIN" --offline "$DIMG" --list --json >"$T/out" || fail "loop: exit $?"
assert_eq "$(jq -r '[.problems[].kind] | join(",")' "$T/out")" loop "a looping chain"
assert_eq "$(jq '.orphans | length' "$T/out")" 1 "the inode is listed once"

# A chain that points outside the inode table.
damaged range "ssv last_orphan 4000000000"
"$RT_BIN" --offline "$DIMG" --list --json >"$T/out" || fail "range: exit $?"
assert_eq "$(jq -r '[.problems[].kind] | join(",")' "$T/out")" range "an inode out of range"

# A damaged extent tree: listed as damaged, not copied, not relinked.
damaged extents "sif <$INO> block[0] 0x1234"
"$RT_BIN" --offline "$DIMG" --list --json >"$T/out" || fail "extents: exit $?"
assert_eq "$(jq -r --argjson i "$INO" '.orphans[] | select(.ino == $i) | .blocks' "$T/out")" \
	damaged "a damaged extent tree"
mkdir "$T/r2"
set +e
"$RT_BIN" --log "$T/actions.log" --offline "$DIMG" --recover "$INO" --to "$T/r2" >"$T/out" 2>&1
rc=$?
"$RT_BIN" --log "$T/actions.log" --offline "$DIMG" --relink "$INO" --yes >"$T/out2" 2>&1
rc2=$?
set -e
assert_eq "$rc $rc2" "1 1" "a damaged inode is neither copied nor relinked"
grep -q "extent tree" "$T/out" || fail "no reason given: $(cat "$T/out")"
[ -z "$(ls -A "$T/r2")" ] || fail "something was left in the target: $(ls -A "$T/r2")"

# A journal that needs recovery is explained, and relinking is refused.
"$RT_BIN" --offline "$T/unfrozen.img" --list --json >"$T/out" || fail "unfrozen: exit $?"
assert_eq "$(jq -r .needs_recovery "$T/out")" true "the journal needs recovery"
jq -r .advice "$T/out" | grep -q "Do not mount" || fail "no advice: $(cat "$T/out")"
run_rc "$RT_BIN" --log "$T/actions.log" --offline "$T/unfrozen.img" --relink "$INO" --yes
assert_eq "$rc" 1 "no relink while the journal needs recovery"
grep -q "journal needs recovery" "$T/out" || fail "no reason given: $(cat "$T/out")"

# Without --yes and without a terminal, --relink does nothing (usage error).
run_rc "$RT_BIN" --log "$T/actions.log" --offline "$IMG0" --relink "$INO" </dev/null
assert_eq "$rc" 2 "--relink without --yes and without a terminal"

# --name: under a directory of the filesystem.
cp --sparse=always "$IMG0" "$IMG"
debugfs -w -R "mkdir saved" "$IMG" >/dev/null 2>&1
"$RT_BIN" --log "$T/actions.log" --offline "$IMG" --relink "$INO" --name saved/victim --yes >"$T/out" ||
	fail "--relink --name: $(cat "$T/out")"
grep -q "e2fsck -fn: clean" "$T/out" || fail "e2fsck not clean: $(cat "$T/out")"
grep -qE "e2fsck -f '?$IMG'?( |$)" "$T/out" || fail "no quoted e2fsck command: $(cat "$T/out")"
debugfs -R "dump saved/victim $T/victim.out" "$IMG" >/dev/null 2>&1
cmp "$ORIG" "$T/victim.out" || fail "saved/victim differs"
echo "ok: relinked under --name"

# Two loop devices on one image: the one mounted makes the other one refused.
attach "$IMG0" -r
first=$LOOPDEV
attach "$IMG0" -r
mount_at "$T/ro2" -o ro,noload "$LOOPDEV"
run_rc "$RT_BIN" --offline "$first" --list
assert_eq "$rc" 1 "a loop device whose image is mounted through another one"
grep -q "is mounted" "$T/out" || fail "no clear message: $(cat "$T/out")"
unmount "$T/ro2"

# The command the summary gives works in sh as given, whatever the name holds.
odd="$T/it's a \"disk\".img"
cp --sparse=always "$IMG0" "$odd"
"$RT_BIN" --log "$T/actions.log" --offline "$odd" --relink "$INO" --yes --json >"$T/out" || fail "odd name: $(cat "$T/out")"
cmd=$(jq -r .result.next "$T/out")
case $cmd in "e2fsck -f "*) ;; *) fail "next is not an e2fsck command: $cmd" ;; esac
sh -c "${cmd/e2fsck -f /e2fsck -fn }" >"$T/fsck.out" 2>&1 || fail "sh -c '$cmd' (with -n): $(cat "$T/fsck.out")"
echo "ok: the suggested command runs in sh: $cmd"

# A name longer than ext4 allows is refused, not cut.
cp --sparse=always "$IMG0" "$IMG"
run_rc "$RT_BIN" --log "$T/actions.log" --offline "$IMG" --relink "$INO" --name "$(printf 'x%.0s' {1..300})" --yes
assert_eq "$rc" 1 "a name of 300 bytes"
grep -q "too long" "$T/out" || fail "no reason given: $(cat "$T/out")"
cmp "$IMG" "$IMG0" || fail "a refused relink changed the image"

# A name that exists, or with .. in it, is refused before anything is asked or
# written, with the check the console's name field makes too.
for bad in "lost+found:/lost+found exists already" "lost+found/../x:a . or .. in it" \
	"nodir/x:no directory /nodir"; do
	set +e
	"$RT_BIN" --log "$T/actions.log" --offline "$IMG" --relink "$INO" --name "${bad%%:*}" --yes >"$T/out" 2>&1
	rc=$?
	set -e
	assert_eq "$rc" 1 "--name ${bad%%:*}"
	grep -qF "${bad#*:}" "$T/out" || fail "--name ${bad%%:*}: no '${bad#*:}' in: $(cat "$T/out")"
	grep -q "relink inode" "$T/out" && fail "--name ${bad%%:*}: asked first: $(cat "$T/out")"
	cmp "$IMG" "$IMG0" || fail "--name ${bad%%:*} changed the image"
done
echo "ok: names the relink refuses are refused before the question"
