# What the command line promises for --recover and nothing else checked: a
# loop-mounted deleted image rescued with --freeze (a clean filesystem, thawed
# afterwards), deleted images on tmpfs and xfs that only their loop device can give
# (the unreadable tail reported), the exit status when the source changed during a
# copy and after a live sync (rescuetui(8), EXIT STATUS), and --max-rate as an upper
# bound on the speed of the whole copy.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

mkdir "$T/out"
rt() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null; }
rt_bg() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null & }
id_of() { list && jq -r --arg p "$1" '.files[] | select(.path == $p) | .id' "$T/list.json"; }

tcase "--recover loopN --freeze: a clean image, the filesystem thawed"
if needs mkfs.ext4 e2fsck; then
	make_fs ext4 "$T/outer.img" 128M
	attach "$T/outer.img"
	mount_at "$T/outer" "$LOOPDEV"
	make_fs ext4 "$T/outer/vm.img" 32M
	attach "$T/outer/vm.img"
	inner=$LOOPDEV
	mount_at "$T/vm" "$inner"
	head -c $((4 << 20)) /dev/urandom >"$T/vm/data"
	cp "$T/vm/data" "$T/data.expected"
	rm "$T/outer/vm.img"
	rt "${inner#/dev/}" --to "$T/out/vm.img" --freeze --json >"$T/freeze.json" 2>"$T/err" ||
		fail "--freeze rescue of $inner: $(cat "$T/err")"
	assert_eq "$(jq -r '.result | "\(.ok) \(.verified) \(.fs_frozen)"' "$T/freeze.json")" "true true true" \
		"verified, the filesystem frozen"
	# What the user reads afterwards: no "crash-consistent" for a frozen filesystem.
	! jq -r '.checks[]' "$T/freeze.json" | grep -q "crash-consistent" ||
		fail "a frozen copy is called crash-consistent: $(jq -r '.checks[]' "$T/freeze.json")"
	jq -r '.checks[]' "$T/freeze.json" | grep -qF "$T/vm was frozen (fsfreeze) for the last pass and thawed" ||
		fail "no word of the freeze: $(jq -r '.checks[]' "$T/freeze.json")"
	e2fsck -fn "$T/out/vm.img" >"$T/fsck" 2>&1 || fail "the image is not clean: $(cat "$T/fsck")"
	# Thawed: a write to the live filesystem ends (a frozen one would block it).
	timeout 10 sh -c 'echo after >"$1/after" && sync -f "$1/after"' sh "$T/vm" ||
		fail "the filesystem on $inner is still frozen"
	mkdir "$T/check"
	mount_at "$T/check" -o ro,loop "$T/out/vm.img"
	cmp "$T/check/data" "$T/data.expected" || fail "a file inside the rescued image differs"
	grep -q "$T/vm is still mounted from the deleted image on $inner" <<<"$(jq -r '.checks[]' "$T/freeze.json")" ||
		fail "no advice about the loop device: $(jq -r '.checks[]' "$T/freeze.json")"
fi

# loop_tail FSTYPE: a deleted image whose size is no multiple of 512 on FSTYPE, where
# only /dev/loopN can be pinned: every whole sector comes back, and the missing tail
# is reported.
loop_tail() {
	local fs=$1 size=$((3 * 1000 * 1000 + 123)) loop
	case $fs in
	tmpfs) mount_at "$T/$fs" -t tmpfs -o size=16m rt-tail ;;
	xfs)
		make_fs xfs "$T/$fs.img" 300M
		attach "$T/$fs.img"
		mount_at "$T/$fs" "$LOOPDEV"
		;;
	esac
	head -c $size /dev/urandom >"$T/$fs/disk.raw"
	cp "$T/$fs/disk.raw" "$T/$fs.expected"
	attach "$T/$fs/disk.raw" 2>/dev/null
	loop=$LOOPDEV
	rm "$T/$fs/disk.raw"
	rt "${loop#/dev/}" --to "$T/out/$fs.raw" --json >"$T/$fs.json" 2>"$T/err" ||
		fail "$fs loop rescue: $(cat "$T/err")"
	assert_eq "$(stat -c %s "$T/out/$fs.raw")" $((size / 512 * 512)) "$fs: every whole sector"
	cmp -n $((size / 512 * 512)) "$T/out/$fs.raw" "$T/$fs.expected" || fail "$fs: the sectors differ"
	# tmpfs does not tell the file's size through the loop device; xfs (stat of the
	# backing inode) does, and then the tail is reported to the byte.
	local want="up to 511 bytes at the end of the original may be missing"
	[ "$fs" = tmpfs ] || want="$((size % 512)) bytes at the end could not be read through the loop device"
	jq -r '.checks[]' "$T/$fs.json" | grep -qF "$want" ||
		fail "$fs: the missing tail is not reported: $(jq -r '.checks[]' "$T/$fs.json")"
}
tcase "a deleted loop image on tmpfs: the unreadable tail reported"
loop_tail tmpfs
tcase "a deleted loop image on xfs: the unreadable tail reported"
needs mkfs.xfs && loop_tail xfs

# Exit status: 0 means the result is what the method promises (rescuetui(8)).
tcase "a copy whose source changed exits 1 and says so"
head -c $((16 << 20)) /dev/urandom >"$T/changing.bin"
hold rw:"$T/changing.bin"
cpid=$HPID cfd=$(hfd "$HOUT" 0)
cid=$(id_of "$T/changing.bin")
rt_bg "$cid" --to "$T/out/changing.bin" --method copy --max-rate 4M --json >"$T/changed.json" 2>"$T/err"
rpid=$!
PIDS+=("$rpid")
wait_for 60 "the copy to pass 1 MiB" size_at_least "$T/out/changing.bin.partial" $((1 << 20))
# A block the copy has already read changes.
dd if=/dev/urandom of=/proc/"$cpid"/fd/"$cfd" bs=4096 count=1 conv=notrunc status=none
set +e
wait "$rpid"
rc=$?
set -e
assert_eq $rc 1 "exit status of a copy whose source changed"
assert_eq "$(jq -r '.result | "\(.ok) \(.verified) \(.source_changed)"' "$T/changed.json")" \
	"false false true" "the summary of a changed source"
grep -q "the source changed during the copy" "$T/err" || fail "no message: $(cat "$T/err")"

tcase "a live sync exits 0: converged and crash-consistent, verified or not"
head -c $((16 << 20)) /dev/urandom >"$T/live.bin"
hold rr:"$T/live.bin":500000
rt "$(id_of "$T/live.bin")" --to "$T/out/live.bin" --method sync --json >"$T/sync.json" 2>"$T/err" ||
	fail "live sync: exit $?: $(cat "$T/err")"
# Verified only when the writer happened to leave the last pass alone: either is 0.
assert_eq "$(jq -r '.result.ok' "$T/sync.json")" true "a live sync's summary"
[ "$(jq -r .result.passes "$T/sync.json")" -ge 2 ] || fail "a live sync of one pass"
jq -r '.checks[]' "$T/sync.json" | grep -q "crash-consistent" || fail "no crash-consistent note"

# --max-rate: the whole copy, start-up included, is never faster than the limit
# allows (with room for a first burst); how slow a loaded machine makes it is not
# asked.
tcase "--max-rate bounds the speed of the whole copy"
head -c $((24 << 20)) /dev/urandom >"$T/rate.bin"
cp "$T/rate.bin" "$T/rate.expected"
hold r:"$T/rate.bin"
rid=$(id_of "$T/rate.bin")
t0=$(date +%s.%N)
rt "$rid" --to "$T/out/rate.bin" --method copy --max-rate 8M >/dev/null 2>"$T/err" ||
	fail "copy with --max-rate: $(cat "$T/err")"
t1=$(date +%s.%N)
cmp "$T/out/rate.bin" "$T/rate.expected" || fail "the limited copy differs"
awk -v t0="$t0" -v t1="$t1" -v n=$((24 << 20)) -v lim=$((8 << 20)) 'BEGIN {
	bps = n / (t1 - t0); printf "ok: %.1f MiB/s with --max-rate 8M\n", bps / 1048576
	exit !(bps <= 1.5 * lim) }' || fail "faster than --max-rate 8M allows (1.5x slack)"
