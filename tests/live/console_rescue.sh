# Rescue from the keyboard: R on the list, a target typed in the picker (with Tab
# completion), the confirmation, the progress view (a slow --max-rate catches it
# mid-way), the result with "verified", a reminder and the action log; the bytes
# equal the original. Then errors of the picker: a missing directory, a name that
# would overwrite.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

head -c $((3 << 20)) /dev/urandom >"$T/data.bin"
cp "$T/data.bin" "$T/orig.bin"
mkdir -p "$T/out/rescued-here"
hold r:"$T/data.bin"

con_console --log "$T/actions.log" --max-rate 1M
con_wait "$T/data.bin" "the list"
con_keys R
con_wait "rescue: method and target" "the picker"
con_wait_re "> [a-z]+ +feasible" "the recommended method preselected"
# A directory that does not exist: a clear error.
con_keys C-u
con_keys -l "$T/nowhere/x"
con_keys Enter
con_wait "no such directory" "the error for a missing directory"
# Tab completes a directory name.
con_keys C-u
con_keys -l "$T/out/resc"
con_keys Tab
con_wait "> $T/out/rescued-here/_" "the completed directory"
con_keys Enter
con_wait "rescue: confirm" "the confirmation"
con_wait "target   $T/out/rescued-here/data.bin" "the target path"
con_wait "space    needs" "the space"
con_wait "holders  nothing writes the file" "the holders' fate"
# Default is no: Enter goes back to the picker.
con_keys Enter
con_wait "rescue: method and target" "back in the picker after Enter (no)"
con_keys Enter
con_wait "rescue: confirm" "the confirmation again"
# Writing onto the file's own filesystem: extra risk, a second key (! not Enter).
if con_screen | grep -q "EXTRA RISK"; then
	con_keys y
	con_wait "Press ! to go ahead" "the question for the second key"
	con_keys Enter
	con_wait "nothing done" "Enter is no to the second key"
	con_keys Enter
	con_wait "rescue: confirm" "the confirmation once more"
	con_keys y
	con_wait "Press ! to go ahead" "the question again"
	con_keys '!'
else
	con_keys y
fi
con_wait "progress" "the progress view"
con_wait_re "bytes +[0-9.]+[KM]? / 3.0M" "bytes done of the total"
con_wait "rate" "the rate"
con_wait "Rescued: verified" "the result view"
con_wait "log      $T/actions.log" "the log's path"
con_wait "  - " "a reminder"
cmp "$T/orig.bin" "$T/out/rescued-here/data.bin" || fail "the rescued bytes differ"
grep -q "copy" "$T/actions.log" || fail "no log line: $(cat "$T/actions.log")"
grep -q "ok" "$T/actions.log" || fail "the log line is not ok: $(cat "$T/actions.log")"

# Back to the list: the row says verified. The same target again would overwrite:
# a new name is made (never an overwrite); a file name that exists is refused.
con_keys q
con_wait "[verified]" "the list row's state"
con_keys R
con_wait "rescue: method and target" "the picker again"
con_keys C-u
con_keys -l "$T/out/rescued-here/data.bin"
con_keys Enter
con_wait "never overwrites" "the error for an existing file"
con_keys Escape
con_wait "PATH (deleted)" "back on the list"

# Reclaim (X): the rescue is in the log, so y truncates it; the space is freed.
read -r hp <<<"$(hpids "$HOUT")"
con_keys X
con_wait "reclaim: give the space back" "the reclaim confirmation"
con_wait "rescued  yes, verified" "the rescue found in the log"
con_wait "holder   holder[$hp] fd 3" "the holder named"
con_keys y
con_wait "Reclaimed: " "the space freed"
assert_eq "$(stat -L -c %s "/proc/$hp/fd/3")" 0 "the held file's size after the reclaim"
grep -q "reclaim" "$T/actions.log" || fail "no reclaim line in the log"
con_keys q
con_wait "PATH (deleted)" "back on the list"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"

# Under --readonly the keys that act are absent: R and X do nothing, the bar and
# the help do not offer them.
con_console --readonly
con_wait "$T/data.bin" "the read-only list"
con_keys R X '?'
con_wait "Keys" "the help (R and X did not open anything)"
if con_screen | grep -qE "rescue: |reclaim: "; then fail "--readonly opened a rescue or reclaim view"; fi
con_keys End
con_wait "Read-only console" "the end of the read-only help"
if con_history | grep -qF "Rescue: method and target"; then fail "--readonly help lists the rescue keys"; fi
con_keys q
con_wait "PATH (deleted)" "the read-only list again"
if con_screen | grep -qF "R Rescue"; then fail "--readonly key bar offers R"; fi
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status of the read-only console"
