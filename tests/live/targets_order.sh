# Where a copy goes: another local disk first, then a network filesystem, then the
# file's own filesystem, then RAM (rescuetui(8), Targets). Checked through --list
# --json on real filesystems, taking the preferred one away step by step.
#
# The machine's own disks would always win, so the test runs in a private mount
# namespace where every mount not under $T is remounted read-only (a per-mount flag
# of the namespace's own copies: the machine's mounts are untouched), and everything
# it mounts vanishes with the namespace.
#
# The network filesystem: the kernel here has no NFS (no server, no client module),
# so it is rclone's FUSE client ("rclone mount", Debian's rclone package) over its
# local backend: a real FUSE network client, typed fuse.rclone in the mount table,
# whose data lies on a tmpfs of ours.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd mkfs.ext4
need_cmd unshare

make_fs ext4 "$T/src.img" 256M
make_fs ext4 "$T/big.img" 160M
make_fs ext4 "$T/small.img" 16M
for fs in src big small; do
	attach "$T/$fs.img"
	declare "dev_$fs=$LOOPDEV"
done
mkdir -p "$T/src" "$T/big" "$T/small" "$T/ram" "$T/backing" "$T/net"
# Mounted out here, so that what the namespace writes there (its case log too: the
# runner's own is read-only in there) is seen out here.
mount_at "$T/work" -t tmpfs -o size=16m rt-work
cases=${RT_CASES:-}

export T RT_BIN RT_TESTBIN RT_CASES="$T/work/cases" dev_src dev_big dev_small
export -f fail assert_eq wait_for tcase tskip needs
unshare -m --propagation private bash -euo pipefail -c '
	# Read-only, everything that is not ours: the disks of the machine are no target.
	findmnt -rn -o TARGET | while read -r m; do
		case $m in "$T" | "$T"/*) ;; *) mount -o remount,bind,ro "$m" 2>/dev/null || true ;; esac
	done
	mount "$dev_src" "$T/src"
	mount "$dev_big" "$T/big"
	mount "$dev_small" "$T/small"
	mount -t tmpfs -o size=512m rt-ram "$T/ram"
	mount -t tmpfs -o size=256m rt-backing "$T/backing"
	head -c $((40 << 20)) /dev/urandom >"$T/src/data.bin"
	"$RT_TESTBIN/holder" r:"$T/src/data.bin" >"$T/work/holder.out" 2>&1 &
	holder=$!
	net=
	trap "kill -KILL $holder \$net 2>/dev/null || true" EXIT
	wait_for 10 "the holder" grep -qx ready "$T/work/holder.out"

	target() {
		"$RT_BIN" --list --json --only "$T/src" --sample 0 >"$T/work/l.json"
		jq -r ".files[0].recommendation | \"\(.method) \(.target)\"" "$T/work/l.json"
	}

	tcase another local disk first
	assert_eq "$(target)" "copy $T/big" "with a local disk that fits"

	tcase a local disk too small is passed over
	jq -e --arg m "$T/small" ".targets[] | select(.mountpoint == \$m) | .readonly == false" \
		"$T/work/l.json" >/dev/null || fail "the small disk is not a writable target"
	umount "$T/big"

	if needs rclone fuse; then
		rclone mount --config "$T/work/rclone.conf" ":local:$T/backing" "$T/net" \
			--vfs-cache-mode off >"$T/work/rclone.log" 2>&1 &
		net=$!
		wait_for 30 "the rclone mount" mountpoint -q "$T/net"
		tcase then a network filesystem
		jq -e --arg m "$T/net" ".targets[] | select(.mountpoint == \$m) | .network" \
			"$T/work/l.json" >/dev/null 2>&1 || "$RT_BIN" --targets --json --only "$T/src" |
			jq -e --arg m "$T/net" ".targets[] | select(.mountpoint == \$m) | .network" >/dev/null ||
			fail "the rclone mount is not a network target"
		assert_eq "$(target)" "copy $T/net" "without a local disk"
		fusermount3 -u "$T/net" || umount -l "$T/net"
		wait "$net" 2>/dev/null || true
		net=
	fi

	tcase then its own filesystem
	assert_eq "$(target)" "copy $T/src" "without a local disk or a network"

	tcase RAM last
	# Fill the own filesystem so that the copy no longer fits there.
	fallocate -l $(( $(stat -f -c %a "$T/src") * $(stat -f -c %S "$T/src") - (8 << 20) )) "$T/src/filler"
	assert_eq "$(target)" "copy $T/ram" "RAM when nothing else fits"
	jq -e ".files[0].recommendation.reason | test(\"RAM|reboot|memory\"; \"i\")" "$T/work/l.json" >/dev/null ||
		fail "a RAM target without a warning: $(jq -r .files[0].recommendation.reason "$T/work/l.json")"
' || rc=$?
[ -z "$cases" ] || cat "$T/work/cases" >>"$cases"
[ "${rc:-0}" -eq 0 ] || exit "$rc"
