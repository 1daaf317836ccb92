# A file held by a process in its own mount namespace, on a tmpfs only that namespace
# sees: listed with the path the holder sees, marked, and the right filesystem.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd unshare

mkdir "$T/ns"
out="$T/ns.out"
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=8m rt-private "$1" &&
	head -c 3333 /dev/urandom > "$1/secret" &&
	exec "$2" r:"$1/secret"' sh "$T/ns" "$RT_TESTBIN/holder" >"$out" 2>"$out.err" &
PIDS+=($!)
wait_ready "$out" $!
ino=$(stat -L -c %i /proc/"$HPID"/fd/"$(hfd "$out" 0)")
# Our namespace does not see the tmpfs.
! findmnt -n "$T/ns" >/dev/null || fail "the private tmpfs leaked into our namespace"
list
assert_eq "$(by_ino "$ino" .path)" "$T/ns/secret" "path as the holder sees it"
assert_eq "$(by_ino "$ino" .path_other_mntns)" true "path marked as from another namespace"
assert_eq "$(by_ino "$ino" .holders[0].other_mntns)" true "holder marked"
assert_eq "$(by_ino "$ino" .fstype)" tmpfs "fstype from the holder's namespace"
assert_eq "$(by_ino "$ino" .mountpoint)" "$T/ns" "mountpoint in the holder's namespace"
assert_eq "$(by_ino "$ino" .size)" 3333 "size"
assert_eq "$(by_ino "$ino" .kind)" file "kind"
"$RT_BIN" --list --only "$T" >"$T/table"
grep -qF "*$T/ns/secret" "$T/table" || fail "table does not mark the other namespace: $(grep -n secret "$T/table")"
