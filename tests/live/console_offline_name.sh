#!/usr/bin/env bash
# The offline console's relink under a name typed in its field, on a crashed ext4
# image: names the relink would refuse (one that exists, a missing directory, . or
# .., an empty one) are refused in the field with the reason and nothing is
# written; a name with a bidi control is shown escaped; keep/db.bin is taken, and
# after the relink e2fsck -fn is clean and a read-only mount has the original bytes
# there.
source "$(dirname "$0")/offline_lib.bash"
source "$(dirname "$0")/console_lib.bash"

# The filesystem has a directory keep, with a file in it, before the crash: the
# library's victim writer is wrapped to make them next to the victim.
eval "lib_write_victim() $(declare -f write_victim | tail -n +2)"
write_victim() {
	lib_write_victim "$@"
	mkdir "$(dirname "$1")/keep"
	echo taken >"$(dirname "$1")/keep/taken"
}

# said TEXT WHAT: the screen, its wrapped lines joined (spaces squeezed), holds TEXT.
said() {
	con_screen | tr '\n' ' ' | tr -s ' ' | grep -qF -- "$1" || fail "$2: no '$1' in: $(con_screen)"
	echo "ok: $2: '$1'"
}

# refused NAME TEXT WHAT: NAME typed in the field is refused with TEXT, and the
# field is still there.
refused() {
	con_keys C-u
	[ -z "$1" ] || con_keys -l "$1"
	con_keys Enter
	con_wait "$2" "$3"
	con_wait "offline: relink: the name" "still the name field after $3"
}

crash mkfs.ext4 ext4 -O ^orphan_file

tcase "names the relink refuses are refused in the field; nothing written"
sum0=$(md5sum <"$IMG")
con_run "$RT_BIN" --log "$T/actions.log" --offline "$IMG"
con_wait "| 1 orphan inode | offline: $IMG (ext4)" "the title"
con_wait_re "^ *(►|>)? +$INO " "the row of inode $INO"
con_keys l
con_wait "offline: relink: the name" "the name field"
con_wait "the name the file gets on $IMG, relative to its root;" "what the name is"
said "relative to its root; the directory must exist" "what the name needs"
con_wait "> lost+found/rescued-${INO}_" "the default name in the field"
refused keep/taken "/keep/taken exists already: a relink never replaces a name; type another name" \
	"an existing name"
refused nodir/db.bin "there is no directory /nodir" "a missing directory"
refused keep/../db.bin "the name has a . or .. in it" "a .. in the name"
refused keep/ "the name ends with /" "no file name"
refused "" "the name is empty" "an empty name"
# Tab completes nothing here: the name is on the device, not on this system.
con_keys -l keep/ta
con_keys Tab
con_wait "> keep/ta_" "Tab left the name as typed"
# A bidi override (U+202E) reaches the screen escaped, in the field and after it.
con_keys C-u
con_keys -l "keep/a$(printf '\u202e')b"
con_wait 'keep/a\xe2\x80\xaeb_' "the name escaped in the field"
con_keys Enter
con_wait "offline: relink: confirm" "an odd but free name is taken"
con_wait 'name     /keep/a\xe2\x80\xaeb (1 link' "the name escaped in the confirmation"
con_keys n
con_wait "offline: relink: the name" "no: back to the name"
con_keys Escape
con_wait "DATA, FOUND IN" "Esc: back on the list"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
assert_eq "$(md5sum <"$IMG")" "$sum0" "the image after the refusals and the answers no"
grep -q "offline-relink" "$T/actions.log" 2>/dev/null && fail "a relink was logged: $(cat "$T/actions.log")"
echo "ok: nothing relinked, nothing logged"

tcase "relink under keep/db.bin by keyboard"
con_run "$RT_BIN" --log "$T/actions.log" --offline "$IMG"
con_wait "| 1 orphan inode | offline: $IMG (ext4)" "the title"
con_keys l
con_wait "offline: relink: the name" "the name field"
con_keys C-u
con_keys -l keep/db.bin
con_keys Enter
con_wait "offline: relink: confirm" "the confirmation"
con_wait "name     /keep/db.bin (1 link" "the typed name"
con_keys y
con_wait "Press ! to relink" "the second key asked for"
con_keys '!'
con_wait "Relinked: inode $INO is /keep/db.bin now" "the result"
con_wait "e2fsck -fn: clean." "e2fsck's verdict"
con_keys q
con_wait "0 orphan inodes" "the list after the relink"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
grep -q "method=\"offline-relink\" .*/keep/db.bin.*result=\"ok, e2fsck -fn clean" "$T/actions.log" ||
	fail "no log line: $(cat "$T/actions.log")"
echo "ok: the log names keep/db.bin"
e2fsck -fn "$IMG" >"$T/fsck.out" 2>&1 || fail "e2fsck -fn: $(cat "$T/fsck.out")"
echo "ok: e2fsck -fn is clean"
attach "$IMG" -r
mount_at "$T/ro" -o ro "$LOOPDEV"
cmp "$ORIG" "$T/ro/keep/db.bin" || fail "keep/db.bin differs from the original"
echo "ok: keep/db.bin has the original bytes after a read-only mount"
assert_eq "$(cat "$T/ro/keep/taken")" taken "the file that was there"
unmount "$T/ro"
