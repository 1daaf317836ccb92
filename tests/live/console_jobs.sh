# Jobs in the console: one sent to the background shows its percent in the list
# and completes; cancel asks, then leaves no final-named file and no journal
# without its .partial; a sync of a file being rewritten, frozen at the
# confirmation, is verified and its writer runs again; quitting with a job running
# asks first.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

head -c $((4 << 20)) /dev/urandom >"$T/bg.bin"
cp "$T/bg.bin" "$T/bg.orig"
head -c $((4 << 20)) /dev/urandom >"$T/cancel.bin"
head -c $((4 << 20)) /dev/urandom >"$T/quit.bin"
head -c $((2 << 20)) /dev/urandom >"$T/db.bin"
mkdir "$T/out"
# Separate holders: the filter also matches command lines, which name the files.
hold r:"$T/bg.bin"
hold r:"$T/cancel.bin"
hold r:"$T/quit.bin"
hold rr:"$T/db.bin":200000
writer=$(hpids "$HOUT" | awk '{print $1}')

# select_file TEXT: move the selection to the row showing TEXT (console_lib).
select_file() { con_select "$1"; }
go() {
	con_keys y
	if con_screen | grep -q "EXTRA RISK"; then
		con_wait "Press ! to go ahead" "the second key's question"
		con_keys '!'
	fi
	con_wait_re "(progress|result)" "the job view"
}

con_console --log "$T/actions.log" --max-rate 512K
con_wait "$T/bg.bin" "the list"

# 1. To the background: the list shows the percent, then the result.
con_keys /
con_keys -l "bg.bin"
con_keys Enter
con_wait_gone "$T/db.bin" "the filtered list"
select_file "$T/bg.bin"
con_keys R
con_wait "rescue: method and target" "the picker for bg.bin"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation for bg.bin"
go
con_wait "copy: progress" "the progress view"
con_keys b
con_wait "PATH (deleted)" "the list"
con_wait_re "\[copy [0-9]+%\]" "the job's percent in the list"
con_wait "[verified]" "the job done, in the list"
cmp "$T/bg.orig" "$T/out/bg.bin" || fail "the background copy differs"
con_keys p
con_wait "Rescued: verified" "p shows the result"
con_keys q

# 2. Cancel asks; n goes on, y cancels.
con_keys / C-u
con_keys -l "cancel.bin"
con_keys Enter
con_wait_gone "$T/bg.bin" "the list filtered to cancel.bin"
select_file "$T/cancel.bin"
con_keys R
con_wait "rescue: method and target" "the picker for cancel.bin"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation for cancel.bin"
go
con_wait "copy: progress" "the progress view of cancel.bin"
con_keys x
con_wait "Cancel this copy? " "the cancel question"
con_keys n
con_wait "the job goes on" "n does not cancel"
con_keys x
con_wait "Cancel this copy? " "the cancel question again"
con_keys y
con_wait "Not rescued (cancelled)" "the cancelled result"
[ ! -e "$T/out/cancel.bin" ] || fail "a cancelled copy left a final-named file"
if [ -e "$T/out/cancel.bin.partial.journal" ] && [ ! -e "$T/out/cancel.bin.partial" ]; then
	fail "a journal without its .partial"
fi
con_keys q

# 3. A sync of a file being rewritten, frozen at the confirmation.
con_keys / C-u
con_keys -l "db.bin"
con_keys Enter
con_wait_gone "$T/cancel.bin" "the list filtered to db.bin"
select_file "$T/db.bin"
con_keys Enter
con_wait "Methods, best first" "the detail of db.bin"
con_wait_re "^ ?$T/db.bin" "the detail of db.bin itself"
con_keys s
con_wait "rescue: method and target" "the picker with sync"
con_wait "File: $T/db.bin" "the picker for db.bin"
con_wait_re "> sync +feasible" "sync chosen"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation of the sync"
con_keys z
con_wait "holders  the writers are stopped (SIGSTOP) for the final pass" "freeze chosen"
con_keys y
con_wait "Press ! to go ahead" "freezing needs the second key"
con_keys '!'
con_wait "sync: " "the sync's view"
con_wait "Rescued: verified" "the frozen sync verified"
state=$(awk '{print $3}' "/proc/$writer/stat")
[ "$state" != T ] || fail "the writer $writer is still stopped"
con_keys q

# 4. Quit with a job running asks; c cancels it and quits.
con_keys / C-u
con_keys -l "quit.bin"
con_keys Enter
con_wait_gone "$T/db.bin" "the list filtered to quit.bin"
select_file "$T/quit.bin"
con_keys R
con_wait "rescue: method and target" "the picker for quit.bin"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation for quit.bin"
go
con_keys b
con_wait "PATH (deleted)" "the list"
con_keys q
con_wait "cannot outlive it" "the quit question"
con_keys x
con_wait "still here" "anything else stays"
con_keys q
con_wait "cannot outlive it" "the quit question again"
con_keys c
assert_eq "$(con_exit_status)" 0 "exit status after cancelling the jobs"
[ ! -e "$T/out/quit.bin" ] || fail "a cancelled job left a final-named file"
state=$(awk '{print $3}' "/proc/$writer/stat")
[ "$state" != T ] || fail "the writer $writer is stopped after the console quit"
