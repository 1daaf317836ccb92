# A held deleted file that cannot be re-opened through /proc/PID/fd/N (FUSE with
# hard_remove: ESTALE/ENOENT) is listed, says why, and is pinned with a duplicate of
# the holder's own open file (pidfd_getfd); the rescue reads it with pread only, so
# the holder's file offset never moves, and the copy is exact.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd fusermount3
[ -x "$RT_TESTBIN/fusefs" ] || skip "fusefs helper not built (no libfuse3)"
[ -e /dev/fuse ] || skip "no /dev/fuse"

# fuse_mount DIR ARGS...: our FUSE filesystem at DIR, unmounted and stopped at exit
fuse_mount() {
	local dir=$1 n
	shift
	mkdir -p "$dir"
	"$RT_TESTBIN/fusefs" "$@" "$dir" -f 2>"$T/fusefs.err" &
	local fpid=$!
	# killed after the holders (PIDS go last first), then the mount is taken away
	PIDS+=($fpid)
	UNDO+=("fusermount3 -u -z $(printf %q "$dir") 2>/dev/null || umount -l $(printf %q "$dir")")
	for n in $(seq 100); do
		mountpoint -q "$dir" && return 0
		sleep 0.05
	done
	fail "fusefs did not mount: $(cat "$T/fusefs.err")"
}

fuse_mount "$T/fuse" -H
head -c $((3 << 20)) /dev/urandom >"$T/fuse/data.bin"
cp "$T/fuse/data.bin" "$T/expected"
hold r:"$T/fuse/data.bin"
fd=$(hfd "$HOUT" 0)
cat /proc/"$HPID"/fd/"$fd" >/dev/null 2>"$T/reopen.err" && fail "re-opening works here: no hard_remove case"
echo "re-open fails: $(cat "$T/reopen.err")"

list 2>"$T/list.err"
n=$(jq --arg p "$T/fuse/data.bin" '[.files[] | select(.path == $p)] | length' "$T/list.json")
assert_eq "$n" 1 "the file is listed"
sel='.files[] | select(.path == $p)'
assert_eq "$(jq -r --arg p "$T/fuse/data.bin" "$sel | .pin.type" "$T/list.json")" getfd "pinned by pidfd_getfd"
[ "$(jq -r --arg p "$T/fuse/data.bin" "$sel | .pin.reopen_error" "$T/list.json")" != null ] ||
	fail "no reason why re-opening failed"
assert_eq "$(jq -r --arg p "$T/fuse/data.bin" "$sel | .size" "$T/list.json")" $((3 << 20)) "size"
grep -q "could not be re-opened through /proc" "$T/list.err" || fail "no word about it: $(cat "$T/list.err")"
id=$(jq -r --arg p "$T/fuse/data.bin" "$sel | .id" "$T/list.json")
"$RT_BIN" --recover "$id" --to "$T/out.bin" --method copy --yes --log "$T/log" </dev/null \
	>"$T/sum" 2>"$T/err" || fail "rescue failed: $(cat "$T/err")"
cmp "$T/out.bin" "$T/expected" || fail "copy differs"
assert_eq "$(awk '/^pos:/ {print $2}' /proc/"$HPID"/fdinfo/"$fd")" 0 "the holder's offset did not move"
# The data stays readable through the pin after the holder is gone.
"$RT_BIN" --recover "$id" --to "$T/out2.bin" --method sync --yes --log "$T/log" </dev/null \
	>/dev/null 2>"$T/err" || fail "sync failed: $(cat "$T/err")"
cmp "$T/out2.bin" "$T/expected" || fail "sync copy differs"
assert_eq "$(awk '/^pos:/ {print $2}' /proc/"$HPID"/fdinfo/"$fd")" 0 "the offset after sync"
echo "ok: listed, pinned by pidfd_getfd, copied exactly, offset untouched"
