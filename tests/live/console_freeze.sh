# Freeze now, from the progress view: a sync of a file being rewritten by a
# holder and its children, started without freeze; z on the progress view asks,
# Enter is no, ! is yes; the view says the freeze waits for the end of the pass;
# the result is verified, the bytes equal the file as it is afterwards (its writer
# goes quiet once it was stopped and continued, so what it holds then is what the
# frozen pass read), and every writer runs again (state not T). Then: z where no
# freeze can help (a follow) says why, and follow's progress says it waits for
# the writer.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

head -c $((16 << 20)) /dev/urandom >"$T/db.img"
head -c $((64 << 10)) /dev/urandom >"$T/app.log"
mkdir "$T/out"
# -q: the writer stops writing for good after a SIGSTOP + SIGCONT (prints "quiet")
hold -q -c 3 rr:"$T/db.img":$((512 << 10))
DBOUT=$HOUT
mapfile -t writers < <(awk '$1 == "pid" {print $2}' "$DBOUT")
assert_eq "${#writers[@]}" 3 "processes writing db.img"
dbfd=$(hfd "$DBOUT" 0)
hold aw:"$T/app.log":4096
LOGOUT=$HOUT

# go: the confirmation's y, and the ! it asks for when the target is on the
# file's own filesystem.
go() {
	con_keys y
	sleep 0.2
	if con_screen | grep -qF "Press ! to go ahead"; then
		con_keys '!'
	fi
}

# select_file TEXT: filter the list to TEXT and open the detail of that file.
select_file() {
	con_keys / C-u
	con_keys -l "$1"
	con_keys Enter
	con_wait "$T/$1" "the list filtered to $1"
	con_keys Home Enter
	con_wait "Methods, best first" "the detail of $1"
	con_wait_re "^ ?$T/$1" "the detail of $1 itself"
}

tcase "a sync of a file being rewritten, frozen from the progress view"
# Slow passes (16 MiB at 4 MiB/s) leave time to ask during the first one.
con_console --log "$T/actions.log" --max-rate 4M
con_wait "$T/db.img" "the list"
select_file db.img
con_keys s
con_wait "rescue: method and target" "the picker with sync"
con_wait_re "> sync +feasible" "sync chosen"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation of the sync"
con_wait "holders  the writers keep running" "no freeze chosen before the start"
go
con_wait "sync: progress" "the progress view"
con_wait_re "phase +pass 1" "the first pass under way"
con_wait "z: freeze now" "the view offers z"
con_keys z
con_wait "Freeze now? Press !" "the question for the second key"
con_keys Enter
con_wait "not frozen: the job goes on" "Enter is no"
con_screen | grep -qF "freeze   requested" && fail "Enter asked for a freeze"
con_keys z
con_wait "Freeze now? Press !" "the question again"
con_keys '!'
con_wait "freeze requested: the writers are stopped at the end of this pass" "the answer"
con_wait "freeze   requested: at the end of this pass" "the view says when"
# Still the first pass: the freeze waits for its end.
con_wait_re "phase +pass 1" "the pass goes on until its end"
con_wait "Rescued: verified" "the result view"
con_wait "frozen for the final pass" "the result says it was frozen"
con_wait_re "passes +2" "the frozen pass came right after the first"
wait_for 5 "the writer going quiet after its SIGCONT" grep -qx quiet "$DBOUT"
for p in "${writers[@]}"; do
	st=$(awk '{print $3}' "/proc/$p/stat")
	[ "$st" != T ] || fail "writer $p was left stopped"
done
echo "ok: every writer runs again"
cmp "/proc/${writers[0]}/fd/$dbfd" "$T/out/db.img" ||
	fail "the result differs from the file as the frozen pass read it"
echo "ok: the result equals the file"
grep -q "sync.*ok" "$T/actions.log" || fail "no ok log line: $(cat "$T/actions.log")"
con_keys q

tcase "follow: waiting for the writer; z says why it cannot freeze"
select_file app.log
con_keys f
con_wait "rescue: method and target" "the picker with follow"
con_wait_re "> follow +feasible" "follow chosen"
con_keys C-u
con_keys -l "$T/out/"
con_keys Enter
con_wait "rescue: confirm" "the confirmation of the follow"
go
con_wait "follow: progress" "the follow's view"
con_wait "waiting for the writer: the copy ends when the last writer closes the file" \
	"follow waiting for the writer"
con_screen | grep -qF "z: freeze now" && fail "a follow's view offers z"
con_keys z
con_wait "cannot freeze now: follow waits for the writer" "why a follow is not frozen"
con_screen | grep -qF "Freeze now?" && fail "z asked to freeze a follow"
# x ends a follow normally (it asks first)
con_keys x
con_wait "Cancel this follow?" "cancel asks"
con_keys y
con_wait "Rescued: verified" "the follow ended and verified"
state=$(awk '{print $3}' "/proc/$(hpids "$LOGOUT" | awk '{print $1}')/stat")
[ "$state" != T ] || fail "the log's writer is stopped"
con_keys q
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status"
