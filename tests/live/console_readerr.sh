# The console's result view of a rescue left incomplete by read errors (badfs
# fails reads at chosen ranges): it says how many bytes are unread in how many
# ranges, lists them, names the map beside the result and gives the same retry
# command as --recover; the list marks the file incomplete. The command works:
# once the ranges heal, it completes the result in place, bit-exact.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
. "$(dirname "$0")/readerr_lib.bash"

badfs_up
held_file f $((3 << 20))
# inside block 0; across blocks 257 and 258; block 512 with ENODATA (61); then 7
# single blocks, so that the view lists the first 8 ranges and says how many more
more=()
for k in 0 1 2 3 4 5 6; do more+=("f $((2359296 + k * 16384)) 1"); done
bad "f 100 10" "f 1056000 1000" "f 2097152 4096 61" "${more[@]}"
mkdir "$T/out"

# tall enough for the whole result
con_run --size 100x45 "$RT_BIN" --only "$T/" --log "$T/actions.log"
con_wait "$MNT/f" "the list"
# badfs holds deleted files of its own under $T/back: only ours
con_keys / C-u
con_keys -l "mnt/f"
con_keys Enter
con_wait_gone "$T/back/" "the list filtered to the file on badfs"
con_select "$MNT/f"
con_keys c
con_wait "rescue: method and target" "the picker with copy"
con_wait_re "> copy +feasible" "copy chosen"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation"
con_go
con_wait "Rescued incompletely: 45056 bytes in 10 range(s) could not be read" "the verdict"
con_wait "result   $T/out/f (holes, zeros, where unread)" "where the result is"
con_wait "Unread (holes in the result)" "the unread section"
con_wait_re "^  bytes 0-4095 \(4(\.0)? ?K(iB)?\): (Input/output|I/O) error" "the first range"
con_wait_re "^  bytes 1052672-1060863 \(8(\.0)? ?K(iB)?\): (Input/output|I/O) error" "the second range"
con_wait_re "^  bytes 2097152-2101247 \(4(\.0)? ?K(iB)?\): No data available" "the third range"
con_wait "  bytes $((2359296 + 4 * 16384))-" "the eighth range"
con_screen | grep -qF "  bytes $((2359296 + 5 * 16384))-" && fail "more than 8 ranges listed"
con_wait "  ... and 2 more, listed in the map" "how many more"
con_wait "map      $T/out/f.unread" "the map's path"
retry="$(basename "$RT_BIN") --recover $ID --to $T/out/f --method copy"
con_wait "retry    $retry" "the retry command"
[ -e "$T/out/f.unread" ] || fail "the map the view names does not exist"
grep -qF 'result="incomplete: 45056 bytes unread in 10 range(s)"' "$T/actions.log" ||
	fail "the log does not say the result is incomplete: $(tail -n 1 "$T/actions.log")"
con_screen
con_keys q
con_wait "[incomplete]" "the list's mark"

# The retry command as shown (our binary for its name) completes the result once
# the disk reads again.
bad
read -ra words <<<"$retry"
"$RT_BIN" "${words[@]:1}" --yes --log "$T/actions.log" </dev/null >"$T/retry.out" 2>&1 ||
	fail "the retry command failed: $(cat "$T/retry.out")"
cmp "$T/out/f" "$T/f.orig" || fail "the retried result differs from the original"
[ ! -e "$T/out/f.unread" ] || fail "the map is left after a complete retry"
echo "ok: the retry command completed the result"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status"
