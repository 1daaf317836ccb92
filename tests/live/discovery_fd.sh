# Files held through open fds in each access mode, sparse and empty files, and a live
# file that is merely named "x (deleted)": exactly one entry per deleted inode with the
# right size, inode, kind and holder details, and nothing for the live file.
. "$(dirname "$0")/lib.bash"
need_cmd jq

head -c 100000 /dev/urandom >"$T/ro"
head -c 4097 /dev/urandom >"$T/wo"
head -c 12345 /dev/urandom >"$T/rdwr"
head -c 777 /dev/urandom >"$T/app"
: >"$T/empty"
truncate -s 3G "$T/sparse"
printf 'data' | dd of="$T/sparse" bs=1 seek=$((1 << 30)) conv=notrunc status=none
printf 'live' >"$T/x (deleted)"
for f in ro wo rdwr app empty sparse "x (deleted)"; do
	declare "ino_${f%% *}=$(stat -c %i "$T/$f")"
done
alloc_sparse=$(($(stat -c %b "$T/sparse") * 512))

hold r:"$T/ro" w:"$T/wo" rw:"$T/rdwr" a:"$T/app" r:"$T/empty" rw:"$T/sparse" k:"$T/x (deleted)"
pos_app=$(awk '{print}' /proc/"$HPID"/fdinfo/"$(hfd "$HOUT" 3)" | awk '$1 == "pos:" {print $2}')
list

check() { # NAME INO SIZE ACCESS APPEND SPECINDEX
	assert_eq "$(by_ino "$2" .path)" "$T/$1" "$1 path"
	assert_eq "$(by_ino "$2" .size)" "$3" "$1 size"
	assert_eq "$(by_ino "$2" .kind)" file "$1 kind"
	assert_eq "$(by_ino "$2" '.holders | length')" 1 "$1 holders"
	assert_eq "$(by_ino "$2" '.holders[0] | "\(.type) \(.pid) \(.fd) \(.access) \(.append)"')" \
		"fd $HPID $(hfd "$HOUT" "$6") $4 $5" "$1 holder"
	assert_eq "$(by_ino "$2" .pin.type)" fd "$1 pinned"
	assert_eq "$(by_ino "$2" .id)" "$(by_ino "$2" .dev):$2" "$1 id"
}
check ro "$ino_ro" 100000 r false 0
check wo "$ino_wo" 4097 w false 1
check rdwr "$ino_rdwr" 12345 rw false 2
check app "$ino_app" 777 w true 3
check empty "$ino_empty" 0 r false 4
check sparse "$ino_sparse" $((3 << 30)) rw false 5

assert_eq "$(by_ino "$ino_sparse" .allocated)" "$alloc_sparse" "sparse allocated bytes"
assert_eq "$(by_ino "$ino_app" .holders[0].pos)" "$pos_app" "append position"
assert_eq "$(by_ino "$ino_ro" .change.class)" static "read-only holder: cannot change"
assert_eq "$(by_ino "$ino_rdwr" .change.class)" quiet "idle writer"
assert_eq "$(by_ino "$ino_ro" .holders[0].comm)" holder "holder comm from libproc2"
assert_eq "$(by_ino "$ino_ro" .holders[0].user)" "$(id -un)" "holder user"
assert_eq "$(by_ino "$ino_ro" .fstype)" "$(stat -f -c %T "$T" | sed 's/ext2\/ext3/ext4/')" "fstype"
assert_eq "$(by_ino "$ino_ro" .mountpoint)" "$(findmnt -n -o TARGET -T "$T" | head -n 1)" "mountpoint"
n=$(jq --argjson i "$ino_x" '[.files[] | select(.ino == $i)] | length' "$T/list.json")
assert_eq "$n" 0 "live file named 'x (deleted)' is not listed"

# The table names the rows a person looks for.
"$RT_BIN" --list --only "$T" >"$T/table"
for f in ro wo rdwr app empty sparse; do
	grep -q -- "$T/$f\$" "$T/table" || fail "table lacks $f: $(cat "$T/table")"
done
! grep -q "x (deleted)" "$T/table" || fail "table lists the live file"
echo "all fd cases pass"
