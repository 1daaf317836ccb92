# A file held by a process in its own mount namespace, on a tmpfs only that namespace
# sees: listed with the path the holder sees, marked, and the right filesystem. A
# file it maps there is marked alike, whichever way the scan finds it.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd unshare

mkdir "$T/ns"
out="$T/ns.out"
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=8m rt-private "$1" &&
	head -c 3333 /dev/urandom > "$1/secret" &&
	head -c 4444 /dev/urandom > "$1/mapped" &&
	exec "$2" r:"$1/secret" m:"$1/mapped"' sh "$T/ns" "$RT_TESTBIN/holder" >"$out" 2>"$out.err" &
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

mino=$(stat -L -c %i /proc/"$HPID"/map_files/"$(awk '$1 == "map" {print $3}' "$out")")
methods=(proc)
"$RT_BIN" --list --json --sample 0 --scan bpf >/dev/null 2>&1 && methods+=(bpf)
for m in "${methods[@]}"; do
	list --sample 0 --scan "$m"
	assert_eq "$(by_ino "$mino" '.holders[0] | "\(.type) \(.other_mntns)"')" "mmap true" \
		"$m: the mapping's holder marked"
	assert_eq "$(by_ino "$mino" '"\(.path) \(.path_other_mntns)"')" "$T/ns/mapped true" \
		"$m: the mapped file's path, marked"
done
