# The console's list shows the held deleted files this test made, with their sizes,
# and the header adds up what they hold on their filesystem (a tmpfs of their own,
# so the figure is exact: 2 MiB + 1 MiB allocated).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
need_root
need_cmd jq

mount_at "$T/fs" -t tmpfs -o size=64m rt-console
head -c $((2 << 20)) /dev/urandom >"$T/fs/big.img"
head -c $((1 << 20)) /dev/urandom >"$T/fs/small.log"
hold r:"$T/fs/big.img" a:"$T/fs/small.log"

con_console
con_wait "$T/fs/small.log" "the list"
con_wait "$T/fs/big.img" "the list"
assert_eq "$(con_row big.img | awk '{print $1, $2}')" "2.0M 2.0M" "size and allocated of big.img"
assert_eq "$(con_row small.log | awk '{print $1, $2}')" "1.0M 1.0M" "size and allocated of small.log"
con_row big.img | grep -qF "holder[$HPID] fd3 r" || fail "holder of big.img: $(con_row big.img)"
con_row small.log | grep -qF "holder[$HPID] fd4 wa" || fail "holder of small.log: $(con_row small.log)"
con_row big.img | grep -qw static || fail "a file nobody writes is static: $(con_row big.img)"

# The header: bytes held per filesystem, as --list counts them.
list
held=$(jq --arg t "$T/fs/" '[.files[] | select(.path | startswith($t)) | .allocated] | add' "$T/list.json")
assert_eq "$held" $((3 << 20)) "allocated bytes held, from --list"
con_wait "$T/fs (tmpfs): 2 files hold 3.0M allocated; pinned 2" "the header"
con_wait "| 2 held deleted files | pins 2 |" "the count of files shown and pinned"

# The recommended method of the selected file matches --list's.
method=$(jq -r --arg t "$T/fs/big.img" '.files[] | select(.path == $t) | .recommendation.method' "$T/list.json")
con_row big.img | grep -qw -- "$method" || fail "method $method not on the row: $(con_row big.img)"

con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
