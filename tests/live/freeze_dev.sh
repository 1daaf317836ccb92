# The freeze tells files apart by device and inode: two files with the same inode
# number on two filesystems (the first file of two fresh ext4 images), one written
# through an fd, the other through a shared writable mapping whose path is longer
# than 512 bytes. A --freeze of the first stops its writer only.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd mkfs.ext4

for x in a b; do
	make_fs ext4 "$T/$x.img" 32M
	attach "$T/$x.img"
	mount_at "$T/$x" "$LOOPDEV"
done
long="$T/b/$(printf 'd%.0s' $(seq 200))/$(printf 'e%.0s' $(seq 200))/$(printf 'f%.0s' $(seq 200))"
head -c $((4 << 20)) /dev/urandom >"$T/a/data.bin"
head -c $((1 << 20)) /dev/urandom >"$T/b/map.bin" # first, for the same inode number
mkdir -p "$long"
mv "$T/b/map.bin" "$long/map.bin"
ia=$(stat -c %i "$T/a/data.bin")
ib=$(stat -c %i "$long/map.bin")
[ "$ia" = "$ib" ] || skip "the two files did not get the same inode number ($ia, $ib)"
hold rw:"$T/a/data.bin"
wa=$HPID
hold mw:"$long/map.bin"
wb=$HPID
grep -q "$ib .*map.bin" /proc/"$wb"/maps || fail "the mapping is not there"
list
id=$(jq -r --arg p "$T/a/data.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
mkdir "$T/out"
"$RT_BIN" --recover "$id" --to "$T/out/a.bin" --method sync --freeze --yes --json \
	--log "$T/log" </dev/null >"$T/r.json" 2>"$T/err" || fail "frozen sync failed: $(cat "$T/err")"
assert_eq "$(jq -c '.result.frozen' "$T/r.json")" "[$wa]" "only the writer of that file was stopped"
echo "ok: same inode on another device is not stopped"
