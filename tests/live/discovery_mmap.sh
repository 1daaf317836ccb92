# Files held only by a memory mapping (the fd closed), read-only and shared-writable,
# and a deleted executable that is still running.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

head -c 8192 /dev/urandom >"$T/mro"
head -c 10000 /dev/urandom >"$T/mrw"
ino_ro=$(stat -c %i "$T/mro") ino_rw=$(stat -c %i "$T/mrw")
hold m:"$T/mro" mw:"$T/mrw"
list
for i in "$ino_ro" "$ino_rw"; do
	assert_eq "$(by_ino "$i" '.holders | length')" 1 "mmap-only holders"
	assert_eq "$(by_ino "$i" '.holders[0] | "\(.type) \(.pid) \(.exe)"')" "mmap $HPID false" "holder"
	assert_eq "$(by_ino "$i" .pin.type)" map "pinned through map_files"
done
assert_eq "$(by_ino "$ino_ro" .size)" 8192 "size"
assert_eq "$(by_ino "$ino_rw" .size)" 10000 "size"
assert_eq "$(by_ino "$ino_ro" .holders[0].write)" false "read-only mapping"
assert_eq "$(by_ino "$ino_rw" .holders[0].write)" true "shared writable mapping"
assert_eq "$(by_ino "$ino_ro" .change.class)" static "nobody can write the read-only one"
assert_eq "$(by_ino "$ino_ro" .path)" "$T/mro" "path"

# A deleted executable that still runs is held by its own mappings.
cp "$(command -v sleep)" "$T/sleepy"
ino_exe=$(stat -c %i "$T/sleepy")
"$T/sleepy" 600 &
PIDS+=($!)
spid=$!
wait_for 10 "the copy of sleep to map itself" grep -q sleepy /proc/$spid/maps
rm "$T/sleepy"
list
assert_eq "$(by_ino "$ino_exe" '[.holders[] | select(.pid == '$spid') | "\(.type) \(.exe)"] | unique | join(",")')" \
	"mmap true" "deleted executable"
assert_eq "$(by_ino "$ino_exe" .path)" "$T/sleepy" "executable path"
echo "mmap cases pass"
