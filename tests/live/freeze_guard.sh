# Writers are never left stopped for longer than a bound, whatever happens to
# rescuetui: stopped itself (SIGSTOP) while the writers are frozen, the guardian
# resumes them within JOB_GUARD_SILENCE_MS (3 s) and the job then fails cleanly; a
# second Ctrl-C exits at once with the writers running; Ctrl-Z during a freeze is put
# off until they run; after the job, signals have their usual effect.
# The source lives on a FUSE filesystem whose reads are slow, so that a frozen copy
# takes seconds instead of milliseconds.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd fusermount3
[ -x "$RT_TESTBIN/fusefs" ] || skip "fusefs helper not built (no libfuse3)"
[ -e /dev/fuse ] || skip "no /dev/fuse"

# Our FUSE filesystem with reads that take 100 ms each.
mkdir "$T/mnt"
"$RT_TESTBIN/fusefs" -r 100 -H "$T/mnt" -f 2>"$T/fusefs.err" &
PIDS+=($!) # killed after the holders, then the mount is taken away
UNDO+=("fusermount3 -u -z $(printf %q "$T/mnt") 2>/dev/null || umount -l $(printf %q "$T/mnt")")
for _ in $(seq 100); do
	mountpoint -q "$T/mnt" && break
	sleep 0.05
done
mountpoint -q "$T/mnt" || fail "fusefs did not mount: $(cat "$T/fusefs.err")"

# state PID: the process state letter
state() { awk '{print $3}' /proc/"$1"/stat 2>/dev/null; }
# wait_state PID LETTER SECONDS: until PID is in that state; fails after SECONDS
wait_state() {
	local n
	for n in $(seq $(($3 * 50))); do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.02
	done
	return 1
}
# frozen_copy NAME [ARGS...]: an 8 MiB file NAME on the slow filesystem, held for
# writing (its holder: $writer), copied with --freeze in the background (rescuetui:
# $rpid; output $T/NAME.out, errors $T/NAME.err) until the writer is seen stopped.
frozen_copy() {
	local name=$1 id
	shift
	head -c $((8 << 20)) /dev/urandom >"$T/mnt/$name"
	hold rw:"$T/mnt/$name"
	writer=$HPID
	list
	id=$(jq -r --arg p "$T/mnt/$name" '.files[] | select(.path == $p) | .id' "$T/list.json")
	"$RT_BIN" --recover "$id" --to "$T/out/$name" --method copy --freeze --yes "$@" \
		--log "$T/actions.log" </dev/null >"$T/$name.out" 2>"$T/$name.err" &
	rpid=$!
	PIDS+=($rpid)
	wait_state "$writer" T 90 || fail "the writer was never stopped: $(cat "$T/$name.err")"
}
mkdir "$T/out"

# 1. rescuetui stopped while the writer is frozen: resumed within the bound.
frozen_copy a.img --json
kill -STOP $rpid
t0=$(date +%s%N)
wait_state "$writer" S 10 || wait_state "$writer" R 1 || fail "the writer stayed stopped"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "writer resumed ${ms} ms after rescuetui was stopped"
[ $ms -le 4500 ] || fail "resumed only after $ms ms (bound: 3 s + a beat)"
kill -CONT $rpid
rc=0
wait $rpid || rc=$?
assert_eq "$rc" 1 "the job fails"
grep -q "was stopped for more than 3 s while the writers were frozen" "$T/a.img.out" ||
	fail "no clear message: $(cat "$T/a.img.out" "$T/a.img.err")"
[ "$(state "$writer")" != T ] || fail "the writer is stopped after the job"

# 2. Ctrl-Z during the freeze is put off: the writer runs again before we stop.
frozen_copy b.img
kill -TSTP $rpid
# rescuetui goes on with the frozen copy and stops only once the writer runs (in an
# orphaned process group, as under make check, the kernel drops that stop: then it
# just finishes). It is never seen stopped while the writer is.
stopped=no
for _ in $(seq 1500); do
	st=$(state $rpid || true)
	[ -n "$st" ] || break
	if [ "$st" = T ]; then
		[ "$(state "$writer")" != T ] || fail "rescuetui stopped while the writer was still frozen"
		stopped=yes
		kill -CONT $rpid
		break
	fi
	sleep 0.02
done
wait $rpid || fail "the copy failed after a Ctrl-Z: $(cat "$T/b.img.err")"
[ "$(state "$writer")" != T ] || fail "the writer is stopped after the job"
echo "ok: Ctrl-Z put off until the writers ran (rescuetui stopped afterwards: $stopped)"

# 3. A second Ctrl-C during the freeze exits at once, with the writer running.
frozen_copy c.img
kill -INT $rpid
sleep 0.05
kill -INT $rpid 2>/dev/null || true
t0=$(date +%s%N)
rc=0
wait $rpid || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "exit $rc after ${ms} ms"
[ $ms -le 2000 ] || fail "a second Ctrl-C took $ms ms"
[ "$(state "$writer")" != T ] || fail "the writer was left stopped"
echo "ok: a second Ctrl-C ends it at once, writers running"
