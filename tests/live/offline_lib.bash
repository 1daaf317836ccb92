# Shared by the offline_*.sh tests: a "crashed disk" made for real. A filesystem
# image is mounted through a loop device, a file with holes is deleted while a
# holder keeps it open, the filesystem is frozen and the image copied: that copy is
# a disk whose machine died with the file still open. Then everything is undone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
need_root
need_cmd jq
need_cmd fsfreeze
need_cmd e2fsck

BS=4096
# The victim: random bytes at three places with holes between, a size that is not a
# multiple of the block size. It is made in $T first and copied in: cp's SEEK_DATA
# on a just-written indirect-mapped file (ext2 under the ext4 driver) can miss data
# not yet written back, so ORIG must not be read back from the image.
write_victim() {
	local f=$1
	ORIG=$T/orig
	: >"$ORIG"
	head -c 200000 /dev/urandom | dd of="$ORIG" bs=64K iflag=fullblock conv=notrunc status=none
	head -c 123457 /dev/urandom | dd of="$ORIG" bs=64K iflag=fullblock \
		seek=$((1048576 + 100)) oflag=seek_bytes conv=notrunc status=none
	head -c 5555 /dev/urandom | dd of="$ORIG" bs=64K iflag=fullblock \
		seek=$((3145728 + 7)) oflag=seek_bytes conv=notrunc status=none
	cp --sparse=always "$ORIG" "$f"
	# Where extents exist: unwritten blocks inside (zeros, to stay a hole) and
	# blocks past the end (not part of the content).
	fallocate -o $((2 * 1048576)) -l 262144 "$f" 2>/dev/null || true
	fallocate -n -o $((4 * 1048576)) -l 65536 "$f" 2>/dev/null || true
}

# crash MKFS MOUNTTYPE [MKFS OPTIONS...]: sets IMG (the crashed copy), INO, SIZE.
crash() {
	local mkfs=$1 mtype=$2 live=$T/live.img mnt=$T/mnt
	shift 2
	truncate -s "${FS_SIZE:-64M}" "$live"
	"$mkfs" -q -F -b $BS "$@" "$live"
	attach "$live"
	mount_at "$mnt" -t "$mtype" "$LOOPDEV"
	write_victim "$mnt/victim"
	INO=$(stat -c %i "$mnt/victim")
	SIZE=$(stat -c %s "$mnt/victim")
	# EXTRA_VICTIMS more small held files make the orphan chain longer.
	local k specs=(r:"$mnt/victim")
	for ((k = 1; k <= ${EXTRA_VICTIMS:-0}; k++)); do
		head -c $((k * 5000 + 17)) /dev/urandom >"$mnt/extra$k"
		specs+=(r:"$mnt/extra$k")
	done
	hold "${specs[@]}"
	[ "$(stat -L -c %h "/proc/$HPID/fd/$(hfd "$HOUT" 0)")" = 0 ] || fail "victim not deleted"
	sync -f "$mnt"
	# A copy taken while mounted, not frozen: its journal needs recovery.
	cp --sparse=always "$live" "$T/unfrozen.img"
	fsfreeze -f "$mnt"
	UNDO+=("fsfreeze -u $(printf %q "$mnt") 2>/dev/null")
	IMG=$T/crashed.img
	dd if="$LOOPDEV" of="$IMG" bs=1M conv=sparse status=none
	fsfreeze -u "$mnt"
	echo "crashed image made: inode $INO, $SIZE bytes"
}

# The checks every filesystem type gets. SOURCE: where --list should find it.
check_all() {
	local source=$1 out=$T/out
	"$RT_BIN" --offline "$IMG" --list --json >"$T/list.json" || fail "--list --json failed"
	assert_eq "$(jq -r --argjson i "$INO" '.orphans[] | select(.ino == $i) | .size' "$T/list.json")" \
		"$SIZE" "size of the orphan"
	assert_eq "$(jq -r --argjson i "$INO" '.orphans[] | select(.ino == $i) | .source' "$T/list.json")" \
		"$source" "where it was found"
	assert_eq "$(jq -r --argjson i "$INO" '.orphans[] | select(.ino == $i) | "\(.links) \(.blocks) \(.type)"' \
		"$T/list.json")" "0 intact file" "links, blocks, type"
	"$RT_BIN" --offline "$IMG" --list >"$out" || fail "--list failed"
	grep -q "^ *$INO " "$out" || fail "the table has no row for inode $INO: $(cat "$out")"

	# Copy out: equal bytes, holes kept, the image untouched.
	local sum0 rec=$T/rescued
	sum0=$(md5sum <"$IMG")
	mkdir "$rec"
	"$RT_BIN" --offline "$IMG" --recover "$INO" --to "$rec" --log "$T/actions.log" >"$out" ||
		fail "--recover failed: $(cat "$out")"
	cmp "$ORIG" "$rec/rescued-$INO" || fail "the copy differs from the original"
	echo "ok: the copy equals the original"
	local alloc=$(($(stat -c %b "$rec/rescued-$INO") * 512))
	[ "$alloc" -lt $((SIZE / 2)) ] || fail "holes were filled: $alloc bytes allocated of $SIZE"
	echo "ok: holes stay holes ($alloc bytes allocated of $SIZE)"
	[ "$(stat -c %a "$rec/rescued-$INO")" = 600 ] || fail "the copy is not mode 0600"
	assert_eq "$(md5sum <"$IMG")" "$sum0" "image unchanged by --recover"
	grep -q "method=\"offline-copy\" .*result=\"ok" "$T/actions.log" || fail "no log line for the copy"
	# A second run never overwrites: a directory target gets a new name.
	"$RT_BIN" --log "$T/actions.log" --offline "$IMG" --recover "$INO" --to "$rec/rescued-$INO" >"$out" 2>&1 &&
		fail "an existing target was overwritten"
	echo "ok: an existing target is refused"

	# Relink, then e2fsck -fn must be clean and the file readable after a mount.
	"$RT_BIN" --offline "$IMG" --relink "$INO" --yes --json --log "$T/actions.log" >"$out" ||
		fail "--relink failed: $(cat "$out")"
	local extra=${EXTRA_VICTIMS:-0} rc
	assert_eq "$(jq -r .result.remaining_orphans "$out")" "$extra" "orphans left after the relink"
	if [ "$extra" = 0 ]; then
		assert_eq "$(jq -r .result.fsck_clean "$out")" true "e2fsck -fn after relink is clean"
	else
		# e2fsck -n cannot release the other orphans, so it reports them; the
		# e2fsck -f the summary asks for frees them and keeps the relinked file.
		assert_eq "$(jq -r .result.fsck_clean "$out")" false "e2fsck -fn reports the others"
		set +e
		e2fsck -fy "$IMG" >"$T/fsck.out" 2>&1
		rc=$?
		set -e
		[ "$rc" -le 1 ] || fail "e2fsck -fy exited $rc: $(cat "$T/fsck.out")"
		echo "ok: e2fsck -fy freed the other orphans (exit $rc)"
	fi
	e2fsck -fn "$IMG" >"$T/fsck.out" 2>&1 || fail "e2fsck -fn: $(cat "$T/fsck.out")"
	grep -q "method=\"offline-relink\" .*result=\"ok" "$T/actions.log" || fail "no log line for the relink"
	attach "$IMG" -r
	mount_at "$T/ro" -o ro "$LOOPDEV"
	cmp "$ORIG" "$T/ro/lost+found/rescued-$INO" || fail "the relinked file differs"
	echo "ok: relinked file has the original bytes after mounting"
	unmount "$T/ro"
	"$RT_BIN" --offline "$IMG" --list --json >"$T/list.json"
	assert_eq "$(jq --argjson i "$INO" '[.orphans[] | select(.ino == $i)] | length' "$T/list.json")" \
		0 "no longer an orphan"
}
