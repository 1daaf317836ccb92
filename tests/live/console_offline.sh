#!/usr/bin/env bash
# The console on a crashed ext4 image (rescuetui --offline IMAGE on a terminal):
# the orphan is listed with its size, the detail has its inode facts, a copy by
# keyboard equals the original with its holes, a relink by keyboard under the name
# it is offered (Enter, y, then !) leaves e2fsck -fn clean and the file readable in
# lost+found; a mounted image and a damaged one are refused with a clear message
# and the terminal as it was. (console_offline_name.sh: a relink under a typed name.)
source "$(dirname "$0")/offline_lib.bash"
source "$(dirname "$0")/console_lib.bash"

# stty_ok WHAT: the pane shows stty -a after the program, in the normal mode.
stty_ok() {
	local s
	s=$(con_stty)
	grep -qE '(^| )icanon( |$)' <<<"$s" || fail "$1: input not canonical: $s"
	grep -qE '(^| )echo( |$)' <<<"$s" || fail "$1: no echo: $s"
	echo "ok: $1 left the terminal in its normal mode"
}

# said TEXT WHAT: the pane's text, its wrapped lines joined, holds TEXT.
said() {
	con_history | tr -d '\n' | grep -qF -- "$1" || fail "$2: no '$1' in: $(con_history)"
	echo "ok: $2: '$1'"
}

crash mkfs.ext4 ext4 -O ^orphan_file
IMG0=$T/crashed0.img # untouched, for the case after the relink
cp --sparse=always "$IMG" "$IMG0"

tcase "a mounted image is refused"
# The live image is still mounted through its loop device.
con_run "$RT_BIN" --offline "$T/live.img"
assert_eq "$(con_exit_status)" 1 "exit status for a mounted image"
said "$T/live.img is mounted (" "the refusal"
said "the offline mode is for unmounted filesystems" "why"
stty_ok "the refusal"

tcase "a damaged image is a message, exit 1"
cp --sparse=always "$IMG" "$T/bad.img"
head -c 1024 /dev/urandom | dd of="$T/bad.img" bs=1024 seek=1 conv=notrunc status=none
con_run "$RT_BIN" --offline "$T/bad.img"
assert_eq "$(con_exit_status)" 1 "exit status for a damaged superblock"
said "cannot open $T/bad.img as an ext2/3/4 filesystem" "the message"
stty_ok "the damaged image"

tcase "not on a terminal: the list"
"$RT_BIN" --offline "$IMG" </dev/null >"$T/list.out" 2>&1 || fail "--offline without a terminal: $(cat "$T/list.out")"
grep -qE "^ *$INO " "$T/list.out" || fail "no row for inode $INO: $(cat "$T/list.out")"
echo "ok: without a terminal, --offline IMAGE prints the list"

tcase "the list and the detail"
sum0=$(md5sum <"$IMG")
mkdir "$T/out"
con_run "$RT_BIN" --log "$T/actions.log" --offline "$IMG"
con_wait "| 1 orphan inode | offline: $IMG (ext4)" "the title"
want=$("$RT_BIN" --offline "$IMG" --list | awk -v i="$INO" '$1 == i {print $2}')
[ -n "$want" ] || fail "--list has no row for inode $INO"
con_wait_re "^ *(►|>)? +$INO +$want " "the row of inode $INO with its size $want"
con_wait "c copies inode $INO out (the device is only read); l relinks it" "the hint"
con_keys Enter
con_wait "Orphan inode $INO" "the detail"
con_wait "size     $want ($SIZE bytes)" "the exact size"
con_wait "links    0" "no links"
con_wait "blocks   intact" "its blocks"
con_wait "owner uid 0, gid 0" "the owner"
con_wait "journal clean" "the journal's state"

tcase "copy out by keyboard"
con_keys c
con_wait "offline: copy an orphan out: target" "the picker"
con_keys C-u
con_keys -l "$T/nowhere/x"
con_keys Enter
con_wait "no such directory" "a missing directory"
con_keys C-u
con_keys -l "$T/ou"
con_keys Tab
con_wait "> $T/out/_" "the completed directory"
con_keys Enter
con_wait "offline: copy out: confirm" "the confirmation"
con_wait "target   $T/out/rescued-$INO" "the target"
# No is the default: Enter goes back to the picker.
con_keys Enter
con_wait "offline: copy an orphan out: target" "back in the picker after Enter"
con_keys Enter
con_wait "offline: copy out: confirm" "the confirmation again"
con_keys y
con_wait "Rescued: verified" "the result"
con_wait "result   $T/out/rescued-$INO" "where the result is"
con_wait "log      $T/actions.log" "the log's path"
con_wait "orphans are still there" "the reminder"
cmp "$ORIG" "$T/out/rescued-$INO" || fail "the copy differs from the original"
echo "ok: the copy equals the original"
alloc=$(($(stat -c %b "$T/out/rescued-$INO") * 512))
[ "$alloc" -lt $((SIZE / 2)) ] || fail "holes were filled: $alloc bytes allocated of $SIZE"
echo "ok: holes stay holes ($alloc bytes allocated of $SIZE)"
grep -q "method=\"offline-copy\" .*result=\"ok" "$T/actions.log" || fail "no log line: $(cat "$T/actions.log")"
assert_eq "$(md5sum <"$IMG")" "$sum0" "image unchanged by the copy"
con_keys q
con_wait "[verified]" "the row's state"

tcase "relink by keyboard: the default name, y, then !"
con_keys l
con_wait "offline: relink: the name" "the name field"
con_wait "> lost+found/rescued-${INO}_" "the default name in it"
con_keys Enter
con_wait "offline: relink: confirm" "the relink confirmation"
con_wait "This WRITES to $IMG" "it says it writes"
con_wait "name     /lost+found/rescued-$INO (1 link" "the name it gets"
con_keys Enter
con_wait "nothing done" "Enter is no"
con_wait "offline: relink: the name" "back to the name after no"
con_keys Enter
con_keys y
con_wait "Press ! to relink" "the second key asked for"
con_keys Enter
con_wait "nothing done" "Enter is no to the second key"
assert_eq "$(md5sum <"$IMG")" "$sum0" "image unchanged by the answers no"
con_keys Enter
con_wait "offline: relink: confirm" "the relink confirmation again"
con_keys y
con_wait "Press ! to relink" "the second key asked for again"
con_keys '!'
con_wait "Relinked: inode $INO is /lost+found/rescued-$INO now" "the result"
con_wait "e2fsck -fn: clean." "e2fsck's verdict"
con_wait "Before mounting, run: e2fsck -f $IMG" "the command to run"
con_keys q
con_wait "0 orphan inodes" "the list after the relink"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
grep -q "method=\"offline-relink\" .*result=\"ok, e2fsck -fn clean" "$T/actions.log" ||
	fail "no log line: $(cat "$T/actions.log")"
e2fsck -fn "$IMG" >"$T/fsck.out" 2>&1 || fail "e2fsck -fn: $(cat "$T/fsck.out")"
echo "ok: e2fsck -fn is clean"
attach "$IMG" -r
mount_at "$T/ro" -o ro "$LOOPDEV"
cmp "$ORIG" "$T/ro/lost+found/rescued-$INO" || fail "the relinked file differs"
echo "ok: the relinked file has the original bytes after a read-only mount"
unmount "$T/ro"

tcase "mounted after the start: no copy onto it, no relink"
cp --sparse=always "$IMG0" "$T/img2"
con_run "$RT_BIN" --log "$T/actions.log" --offline "$T/img2"
con_wait "| 1 orphan inode | offline: $T/img2 (ext4)" "the console on a second copy"
attach "$T/img2" -r
mount_at "$T/m2" -o ro,noload "$LOOPDEV"
con_keys c
con_wait "offline: copy an orphan out: target" "the picker"
con_keys C-u
con_keys -l "$T/m2"
con_keys Enter
con_wait "is on the device itself" "a target inside the image is refused"
con_keys Escape
con_wait "DATA, FOUND IN" "back on the list"
con_keys l
con_wait "offline: relink: the name" "the name field"
con_keys Enter y '!'
con_wait "Not relinked" "no relink of a mounted image"
said "$T/img2 is mounted now" "why"
con_keys q q
assert_eq "$(con_exit_status)" 0 "exit status after q"
unmount "$T/m2"
cmp "$T/img2" "$IMG0" || fail "the image was written to" # img2 was equal to it
echo "ok: the image is unchanged"

tcase "a journal that needs recovery: explained, no relink"
con_run "$RT_BIN" --log "$T/actions.log" --offline "$T/unfrozen.img"
con_wait "the journal NEEDS RECOVERY" "the list's warning"
con_keys Enter
con_wait "journal NEEDS RECOVERY" "the detail's device line"
said "The journal needs recovery: it may hold a newer orphan list" "what it means"
con_wait "Do not mount the filesystem or run e2fsck" "what to do"
con_keys l
con_wait "cannot be relinked: the journal needs recovery" "the relink refused"
con_keys q q
assert_eq "$(con_exit_status)" 0 "exit status after q"

tcase "blocks already free: the relink refused before a name is asked for"
# One of the orphan's blocks marked free in the bitmap (as a crash in the middle of
# a truncate leaves it): off_relink refuses such an inode, so the console says so
# at once instead of after the name and the confirmation.
cp --sparse=always "$IMG0" "$T/freed.img"
# (its first data block: "blocks" would name the extent tree's block first)
blk=$(debugfs -R "bmap <$INO> 0" "$T/freed.img" 2>/dev/null)
[ "${blk:-0}" -gt 0 ] 2>/dev/null || fail "debugfs has no block 0 of inode $INO: '$blk'"
debugfs -w -R "freeb $blk" "$T/freed.img" >/dev/null 2>&1 || fail "debugfs freeb $blk failed"
"$RT_BIN" --offline "$T/freed.img" --json | jq -e --argjson i "$INO" \
	'.orphans[] | select(.ino == $i) | .blocks == "truncated"' >/dev/null ||
	fail "inode $INO is not called truncated: $("$RT_BIN" --offline "$T/freed.img" 2>&1)"
con_run "$RT_BIN" --log "$T/actions.log" --offline "$T/freed.img"
con_wait "| 1 orphan inode | offline: $T/freed.img (ext4)" "the console"
con_keys l
con_wait "cannot be relinked: some of its blocks are free already" "the relink refused"
con_screen | grep -q "offline: relink: the name" && fail "the name was asked for"
con_keys q q
assert_eq "$(con_exit_status)" 0 "exit status after q"
# The map's own block marked free (its extent tree has a node below the inode:
# "blocks" names it first) is as bad: the map may be overwritten.
cp --sparse=always "$IMG0" "$T/freed-map.img"
etb=$(debugfs -R "stat <$INO>" "$T/freed-map.img" 2>/dev/null | sed -nE 's/.*\(ETB0\):([0-9]+).*/\1/p')
if [ -n "$etb" ]; then
	debugfs -w -R "freeb $etb" "$T/freed-map.img" >/dev/null 2>&1 || fail "debugfs freeb $etb failed"
	"$RT_BIN" --offline "$T/freed-map.img" --json >"$T/freed-map.json"
	assert_eq "$(jq -r --argjson i "$INO" '.orphans[] | select(.ino == $i) | .blocks' \
		"$T/freed-map.json")" truncated "the verdict with a tree block free"
	jq -r '.orphans[0].note' "$T/freed-map.json" | grep -q "blocks of its map" ||
		fail "the note does not say why: $(jq -r '.orphans[0].note' "$T/freed-map.json")"
else
	echo "skipped: inode $INO has no extent tree block here"
fi

tcase "--readonly: it looks, it never acts"
con_run "$RT_BIN" --readonly --offline "$IMG0"
con_wait "| 1 orphan inode | offline: $IMG0 (ext4) | read-only" "the title"
con_screen | grep -q "Copy out" && fail "the key bar offers a copy: $(con_screen)"
# Keys are taken in order: had c or l acted, Enter would not open the detail.
con_keys c l Enter
con_wait "this console is read-only" "c and l did nothing; the detail says why"
con_keys q q
assert_eq "$(con_exit_status)" 0 "exit status after q"
cmp "$T/img2" "$IMG0" || fail "the image was written to" # img2 was equal to it
