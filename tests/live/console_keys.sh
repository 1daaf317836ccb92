# Keys of the list: sort (size, then path), filter by text, the detail with the
# recommended method and every holder, help, and rescan keeping the selection.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
need_cmd jq

head -c $((1 << 20)) /dev/urandom >"$T/a-small.dat"
head -c $((2 << 20)) /dev/urandom >"$T/z-big.dat"
# Separate holders: the filter also matches command lines, which name the files.
hold r:"$T/a-small.dat"
hold -c 2 rw:"$T/z-big.dat"
read -r p1 p2 <<<"$(hpids "$HOUT")"

con_console
con_wait "$T/a-small.dat" "the list"
con_wait "$T/z-big.dat" "the list"
rows() { con_screen | grep -oE "$T/[az]-[a-z]+\.dat" | tr '\n' ' '; }
assert_eq "$(rows)" "$T/z-big.dat $T/a-small.dat " "sorted by size, biggest first"

con_keys s # rate
con_wait "sort rate" "the title"
con_keys s # path
con_wait "sort path" "the title"
assert_eq "$(rows)" "$T/a-small.dat $T/z-big.dat " "sorted by path"
con_keys I
con_wait "sort path (reversed)" "the title"
assert_eq "$(rows)" "$T/z-big.dat $T/a-small.dat " "sorted by path, reversed"

# Filter by text: only the matching file stays.
con_keys / a - s m a l l Enter
con_wait_gone "$T/z-big.dat" "the filtered list"
con_wait "$T/a-small.dat" "the filtered list"
# Backspace takes the text away again; / goes on editing the filter there is.
con_keys / BSpace BSpace BSpace BSpace BSpace BSpace BSpace Enter
con_wait "$T/z-big.dat" "the list with the first filter again"

# Select z-big (first row in this order), rescan, and the selection stays on it.
con_keys Home
con_wait_re "^(►|>) .*z-big.dat" "the selection on z-big"
con_keys r
con_wait "rescanning" "the rescan message"
con_keys j k F5
con_wait_re "^(►|>) .*z-big.dat" "the selection still on z-big after a rescan"

# The detail: the method --list recommends, and both holders with command lines.
list
method=$(jq -r --arg p "$T/z-big.dat" '.files[] | select(.path == $p) | .recommendation.method' "$T/list.json")
con_keys Enter
con_wait "Methods, best first" "the detail"
con_wait_re "1\. $method +feasible" "the recommended method first"
con_wait "holder[$p1] fd 3" "the first holder"
con_wait "holder[$p2] fd 3" "the second holder"
con_wait "command line: $RT_TESTBIN/holder -c 2" "a holder's command line"
con_keys q
con_wait "PATH (deleted)" "back on the list"

# Help, by ? and by F1, closed by q and Esc.
con_keys '?'
con_wait "The list" "the help"
con_wait "F10" "the key map"
con_keys q
con_wait "PATH (deleted)" "back on the list"
con_keys F1
con_wait "PgUp, PgDn" "the help by F1"
con_keys End
con_wait "Methods (the recommendation" "the end of the help"
con_keys Escape
con_wait "PATH (deleted)" "back on the list"

# Targets: every filesystem, judged for the selected file.
con_keys t
con_wait "For: $T/z-big.dat" "the targets view"
con_wait_re "^ +(fits|does not fit|cannot be written)" "fits or not"
con_keys Escape
con_wait "PATH (deleted)" "back on the list"

con_keys F10
assert_eq "$(con_exit_status)" 0 "exit status after F10"
