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

# select_file NAME: filter the list to NAME and open the detail of that file.
select_file() {
	con_keys / C-u
	con_keys -l "$1"
	con_keys Enter
	con_wait "$T/$1" "the list filtered to $1"
	con_select "$T/$1"
	con_keys Enter
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
con_go
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
con_wait_gone "z: freeze now" "z no longer offered once asked"
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
con_go
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

tcase "the frozen-seconds counter of a frozen copy"
# A copy frozen from the confirmation, its source on a FUSE filesystem whose reads
# take 100 ms per 128 KiB: the writer stays stopped for seconds, and the view counts.
if needs fusermount3 fuse && [ -x "$RT_TESTBIN/fusefs" ]; then
	mkdir "$T/fmnt"
	"$RT_TESTBIN/fusefs" -r 100 -H "$T/fmnt" -f 2>"$T/fusefs.err" &
	PIDS+=($!) # killed after the holders, then the mount is taken away
	UNDO+=("fusermount3 -u -z $(printf %q "$T/fmnt") 2>/dev/null || umount -l $(printf %q "$T/fmnt")")
	wait_for 5 "fusefs to mount" mountpoint -q "$T/fmnt"
	head -c $((4 << 20)) /dev/urandom >"$T/slow.orig"
	cp "$T/slow.orig" "$T/fmnt/slow.img"
	hold rw:"$T/fmnt/slow.img"
	slow=$(hpids "$HOUT" | awk '{print $1}')
	con_console --log "$T/actions.log"
	con_wait "$T/fmnt/slow.img" "the list"
	con_keys / C-u
	con_keys -l "slow.img"
	con_keys Enter
	con_wait_gone "$T/db.img" "the list filtered to slow.img"
	con_select "$T/fmnt/slow.img"
	con_keys c
	con_wait "rescue: method and target" "the picker with copy"
	con_keys C-u
	con_keys -l "$T/out/"
	con_keys Enter
	con_wait "rescue: confirm" "the confirmation of the copy"
	con_keys z
	con_wait "holders  the writers are stopped (SIGSTOP) for the whole copy" "freeze chosen"
	con_keys y
	con_wait "Press ! to go ahead" "freezing needs the second key"
	con_keys '!'
	con_wait_re "FROZEN +writers stopped for [0-9]+\.[0-9] s" "the frozen-seconds counter"
	first=$(con_screen | sed -nE 's/.*FROZEN +writers stopped for ([0-9]+\.[0-9]) s.*/\1/p')
	assert_eq "$(awk '{print $3}' "/proc/$slow/stat")" T "the writer's state while frozen"
	# It counts on: a later screen shows more (however late the first look was).
	counted() {
		later=$(con_screen | sed -nE 's/.*FROZEN +writers stopped for ([0-9]+\.[0-9]) s.*/\1/p')
		[ -n "$later" ] && awk -v a="$first" -v b="$later" 'BEGIN {exit !(b > a)}'
	}
	wait_for 10 "the counter to count on from $first s" counted
	echo "ok: the counter went from $first s to $later s"
	con_wait "Rescued: verified" "the frozen copy verified"
	con_screen | grep -qF "FROZEN" && fail "the result still says FROZEN"
	wait_for 5 "the writer to run again" bash -c "[ \"\$(awk '{print \$3}' /proc/$slow/stat)\" != T ]"
	# (hard_remove: the held file cannot be opened again; its holder never wrote)
	cmp "$T/out/slow.img" "$T/slow.orig" || fail "the frozen copy differs from the file"
	con_keys q q
	assert_eq "$(con_exit_status)" 0 "exit status"
fi
