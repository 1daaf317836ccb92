# --reclaim: the space of a held deleted file comes back only when that is safe: a
# verified rescue in the log and no change since (or --discard), never through a
# mapping or under a loop device, and the writer goes on writing into the emptied
# file. Everything happens on a small ext4 image of the test's own, so the freed
# space is measured where nothing else writes.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd mkfs.ext4

LOG=$T/actions.log
rt() { "$RT_BIN" "$@" --only "$T" --log "$LOG" </dev/null; }
free_bytes() { sync -f "$T/mnt/."; stat -f -c '%f %S' "$T/mnt" | awk '{printf "%d\n", $1 * $2}'; }
id_of() { # PATH: the id of the held file with that original path
	list
	jq -r --arg p "$1" '.files[] | select(.path == $p) | .id' "$T/list.json"
}
size_of() { stat -L -c %s "/proc/$1/fd/$2"; } # PID FD
bigger_than() { [ "$(size_of "$1" "$2")" -gt "$3" ]; } # PID FD BYTES
# wait_until SECONDS CMD...: poll CMD until it succeeds; fail loudly at the deadline
wait_until() {
	local limit=$1 n=0
	shift
	until "$@"; do
		n=$((n + 1))
		[ $n -lt $((limit * 20)) ] || fail "timed out after ${limit}s waiting for: $*"
		sleep 0.05
	done
}

make_fs ext4 "$T/fs.img" 96M
attach "$T/fs.img"
mount_at "$T/mnt" "$LOOPDEV"

tcase '1. A deleted log held by an appending writer'
# 1. A deleted log held by an appending writer: rescue it, reclaim it without
#    --discard; the space comes back and the writer keeps appending from 0.
head -c $((8 << 20)) /dev/urandom >"$T/mnt/app.log"
hold aw:"$T/mnt/app.log":20000
wpid=$HPID wfd=$(hfd "$HOUT" 0)
kill -STOP "$wpid" # no write between the rescue and the reclaim
id=$(id_of "$T/mnt/app.log")
[ -n "$id" ] || fail "the held log is not listed"
mkdir "$T/out"
rt --recover "$id" --to "$T/out" --method copy --yes >"$T/rescue.out" 2>&1 ||
	fail "rescue failed: $(cat "$T/rescue.out")"
grep -q 'verified' "$T/rescue.out" || fail "rescue not verified: $(cat "$T/rescue.out")"
before=$(free_bytes)
alloc=$(jq -r --arg i "$id" '.files[] | select(.id == $i) | .allocated' "$T/list.json")
rt --reclaim "$id" --yes >"$T/reclaim.out" 2>"$T/reclaim.err" ||
	fail "reclaim of a rescued log refused: $(cat "$T/reclaim.err")"
after=$(free_bytes)
grew=$((after - before))
[ "$grew" -ge $((alloc - (256 << 10))) ] ||
	fail "free space grew by $grew bytes, the file had $alloc allocated"
[ "$(size_of "$wpid" "$wfd")" = 0 ] || fail "the file was not truncated"
grep -q "^Reclaimed $id: " "$T/reclaim.out" || fail "summary: $(cat "$T/reclaim.out")"
grep -q "method=\"reclaim\" source=\"$id\" .* result=\"ok\"$" "$LOG" || fail "no log line: $(cat "$LOG")"
kill -CONT "$wpid"
wait_until 10 bigger_than "$wpid" "$wfd" 0
s=$(size_of "$wpid" "$wfd")
[ "$s" -lt $((1 << 20)) ] || fail "the writer did not go on from 0 (size $s)"
[ "$(ps -o state= -p "$wpid" | tr -d ' ')" != T ] || fail "the writer is stopped"
echo "ok: rescued log reclaimed, $grew bytes freed, writer appends from 0"

tcase '2. Without a rescue and without --discard'
# 2. Without a rescue and without --discard: refused, nothing changed.
head -c $((4 << 20)) /dev/urandom >"$T/mnt/data.bin"
hold rw:"$T/mnt/data.bin"
dpid=$HPID dfd=$(hfd "$HOUT" 0)
id=$(id_of "$T/mnt/data.bin")
set +e
rt --reclaim "$id" --yes >/dev/null 2>"$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "exit status without a rescue or --discard"
grep -q 'no verified rescue' "$T/err" || fail "reason: $(cat "$T/err")"
grep -q -- '--discard' "$T/err" || fail "the way out is not named: $(cat "$T/err")"
assert_eq "$(size_of "$dpid" "$dfd")" $((4 << 20)) "size after the refusal"
# With --discard it is done.
rt --reclaim "$id" --discard --yes >/dev/null 2>"$T/err" || fail "--discard refused: $(cat "$T/err")"
assert_eq "$(size_of "$dpid" "$dfd")" 0 "size after --discard"

tcase '3. A mapped file'
# 3. A mapped file: refused even with --discard, the holder alive and unharmed.
head -c $((2 << 20)) /dev/urandom >"$T/mnt/mapped.bin"
hold m:"$T/mnt/mapped.bin"
mpid=$HPID
id=$(id_of "$T/mnt/mapped.bin")
set +e
rt --reclaim "$id" --discard --yes >/dev/null 2>"$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "exit status for a mapped file"
grep -q 'memory-mapped' "$T/err" || fail "reason: $(cat "$T/err")"
kill -0 "$mpid" || fail "the mapping holder died"
assert_eq "$(jq -r --arg i "$id" '.files[] | select(.id == $i) | .size' "$T/list.json")" \
	$((2 << 20)) "mapped file size"

tcase '4. The backing file of a loop device'
# 4. The backing file of a loop device: refused, the loop device still reads.
make_fs ext4 "$T/mnt/inner.img" 8M
attach "$T/mnt/inner.img"
inner=$LOOPDEV
rm "$T/mnt/inner.img"
list
id=$(jq -r --arg d "$inner" '.files[] | select(any(.holders[]; .type == "loop" and .device == $d)) | .id' "$T/list.json")
[ -n "$id" ] || fail "the deleted loop image is not listed"
set +e
rt --reclaim "$id" --discard --yes >/dev/null 2>"$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "exit status for a loop backing file"
grep -q 'backing file' "$T/err" || fail "reason: $(cat "$T/err")"
dumpe2fs -h "$inner" >/dev/null 2>&1 || fail "the loop device no longer reads"

tcase '5. A file that grew after its rescue'
# 5. A file that grew after its rescue: refused without --discard.
head -c $((1 << 20)) /dev/urandom >"$T/mnt/grows.log"
hold aw:"$T/mnt/grows.log":40000
gpid=$HPID gfd=$(hfd "$HOUT" 0)
kill -STOP "$gpid"
id=$(id_of "$T/mnt/grows.log")
rt --recover "$id" --to "$T/out" --method copy --yes >/dev/null 2>&1 || fail "rescue failed"
s0=$(size_of "$gpid" "$gfd")
kill -CONT "$gpid"
kill -0 "$gpid" || fail "the writer died: $(cat "$HOUT.err")"
wait_until 10 bigger_than "$gpid" "$gfd" "$s0"
kill -STOP "$gpid"
set +e
rt --reclaim "$id" --yes >/dev/null 2>"$T/err"
rc=$?
set -e
assert_eq "$rc" 1 "exit status for a file that grew after its rescue"
grep -q 'changed since its verified rescue' "$T/err" || fail "reason: $(cat "$T/err")"
[ "$(size_of "$gpid" "$gfd")" -gt "$s0" ] || fail "the grown file was truncated"
kill -CONT "$gpid"
echo "ok: refusals (no rescue, mapping, loop backing file, grown since)"
