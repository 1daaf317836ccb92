# Targets that would lose the copy are never recommended and refused for --to, with
# the reason: a filesystem on a loop device whose backing file is deleted (also loop
# over loop), and the one a file itself carries. A frozen filesystem does not hang
# --list or --targets: it is "not answering".
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd mkfs.ext4
need_cmd fsfreeze
need_cmd timeout

# Thaw first, whatever else happens: a frozen filesystem blocks every writer on it.
trap 'fsfreeze -u "$T/fz" 2>/dev/null || true; cleanup' EXIT

# A deleted image, loop-mounted: its filesystem dies with the loop device.
make_fs ext4 "$T/img.ext4" 96M
attach "$T/img.ext4"
outer=$LOOPDEV
mount_at "$T/img" "$outer"
# Loop over loop: an image inside the doomed filesystem, mounted too.
make_fs ext4 "$T/img/inner.ext4" 48M
attach "$T/img/inner.ext4"
mount_at "$T/inner" "$LOOPDEV"
# The outer image is deleted; rescuetui lists it (the loop device holds it).
rm "$T/img.ext4"
# A quiet held file on the machine's own filesystem.
head -c $((4 << 20)) /dev/urandom >"$T/quiet.bin"
hold r:"$T/quiet.bin"

"$RT_BIN" --targets --json >"$T/targets.json"
tj() { jq -r --arg m "$1" ".targets[] | select(.mountpoint == \$m) | $2" "$T/targets.json"; }
assert_eq "$(tj "$T/img" .usable)" false "the doomed filesystem is not usable"
assert_eq "$(tj "$T/img" .doomed_by)" "$outer" "doomed by the outer loop device"
assert_eq "$(tj "$T/inner" .usable)" false "loop over loop is doomed too"
tj "$T/img" .unusable_reason | grep -q "backing file is deleted" || fail "no reason in JSON"
"$RT_BIN" --targets >"$T/targets.txt"
grep -q "never a target: $T/img: it lives on $outer, whose backing file is deleted" \
	"$T/targets.txt" || fail "table does not say why: $(cat "$T/targets.txt")"

list
# No file is recommended onto a doomed filesystem, not even the image itself.
bad=$(jq -r --arg a "$T/img" --arg b "$T/inner" \
	'.files[] | select(.recommendation.target == $a or .recommendation.target == $b) | .id' \
	"$T/list.json")
[ -z "$bad" ] || fail "recommended onto a doomed filesystem: $bad"
qid=$(jq -r --arg p "$T/quiet.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
[ -n "$qid" ] || fail "quiet file not listed"
# --to onto it is refused with the reason, exit 1.
rc=0
"$RT_BIN" --recover "$qid" --to "$T/inner/" --yes --log "$T/log" </dev/null >/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 1 "--to onto a doomed filesystem fails"
grep -q "backing file is deleted" "$T/err" || fail "refusal without the reason: $(cat "$T/err")"
[ -z "$(ls -A "$T/inner" | grep -v lost+found || true)" ] || fail "something was written there"
# The image onto the filesystem it carries: "this very file".
iid=$(jq -r --arg d "$outer" '.files[] | select(any(.holders[]; .device == $d)) | .id' "$T/list.json")
[ -n "$iid" ] || fail "the deleted image is not listed"
rc=0
"$RT_BIN" --recover "$iid" --to "$T/img/" --method copy --yes --log "$T/log" </dev/null \
	>/dev/null 2>"$T/err" || rc=$?
assert_eq "$rc" 1 "the image onto its own filesystem fails"
grep -q "this very file" "$T/err" || fail "no 'this very file': $(cat "$T/err")"
echo "ok: doomed targets refused"

# A frozen filesystem: --list and --targets answer within seconds.
make_fs ext4 "$T/fz.ext4" 64M
attach "$T/fz.ext4"
mount_at "$T/fz" "$LOOPDEV"
fsfreeze -f "$T/fz"
for cmd in "--targets --json" "--list --json" "--targets"; do
	t0=$(date +%s%N)
	rc=0
	timeout 20 "$RT_BIN" $cmd >"$T/frozen.out" 2>"$T/frozen.err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc -ne 124 ] || fail "rescuetui $cmd hangs on a frozen filesystem"
	[ $ms -lt 8000 ] || fail "rescuetui $cmd took $ms ms"
	echo "ok: $cmd answered in $ms ms"
done
"$RT_BIN" --targets --json >"$T/targets.json"
assert_eq "$(tj "$T/fz" .answering)" false "the frozen filesystem is not answering"
"$RT_BIN" --targets | grep -q "never a target: $T/fz: it does not answer" ||
	fail "the table does not say it does not answer"
fsfreeze -u "$T/fz"
