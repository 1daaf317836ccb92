# A writer that only a thread's own fd table shows (unshare(CLONE_FILES)): /proc/PID/fd
# does not have it, /proc/PID/task/TID/fd does. The freeze must find and stop it like
# any writer (else the "frozen" pass reads a file that changes under it), and a
# reclaim must truncate through the thread's fd, not through whatever the process's
# table has at that number.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

LOG=$T/actions.log
# thread_holder [-w] NAME SIZE: a threadfd whose thread alone holds $T/NAME (SIZE
# random bytes); sets TPID, TID and TFD.
thread_holder() {
	local w=()
	[ "$1" = -w ] && { w=(-w); shift; }
	head -c 1000 /dev/urandom >"$T/$1.shared"
	head -c "$2" /dev/urandom >"$T/$1"
	HN=$((HN + 1))
	HOUT="$T/$1.out"
	"$RT_TESTBIN/threadfd" "${w[@]}" "$T/$1.shared" "$T/$1" >"$HOUT" 2>"$HOUT.err" &
	PIDS+=($!)
	TPID=$!
	wait_ready "$HOUT" "$TPID"
	TID=$(awk '$1 == "tid" {print $2}' "$HOUT")
	TFD=$(hfd "$HOUT" 1)
}
id_of() { list --sample 0 && jq -r --arg p "$1" '.files[] | select(.path == $p) | .id' "$T/list.json"; }
state() { awk '{print $3}' "/proc/$1/task/$2/stat"; }

tcase "--freeze stops a writer that only its thread's table shows"
thread_holder -w busy.dat $((4 << 20))
id=$(id_of "$T/busy.dat")
[ -n "$id" ] || fail "the thread's file is not listed"
assert_eq "$(jq -r --arg i "$id" '.files[] | select(.id == $i) | .holders[0] | "\(.tid) \(.access)"' "$T/list.json")" \
	"$TID rw" "held for writing by the thread"
"$RT_BIN" --only "$T" --recover "$id" --to "$T/busy.out" --method sync --freeze --yes --json \
	--log "$LOG" </dev/null >"$T/freeze.json" 2>"$T/err" || fail "sync --freeze: $(cat "$T/err")"
assert_eq "$(jq -r '.result | "\(.ok) \(.verified)"' "$T/freeze.json")" "true true" "verified"
assert_eq "$(jq -r --argjson p "$TPID" '.result.frozen | index($p) != null' "$T/freeze.json")" true \
	"the process was stopped for the last pass"
[ "$(state "$TPID" "$TID")" != T ] || fail "the writing thread is still stopped"
# It writes again after the resume: its counter moves on.
before=$(head -c 64 "/proc/$TPID/task/$TID/fd/$TFD" | tr -d '\0' | head -c 20)
wait_for 10 "the thread to write again" sh -c \
	'[ "$(head -c 64 "$1" | tr -d "\0" | head -c 20)" != "$2" ]' sh "/proc/$TPID/task/$TID/fd/$TFD" "$before"

tcase "--reclaim truncates through the thread's own fd"
thread_holder quiet.dat $((2 << 20))
id=$(id_of "$T/quiet.dat")
"$RT_BIN" --only "$T" --recover "$id" --to "$T/quiet.out" --method copy --yes --log "$LOG" \
	</dev/null >/dev/null 2>"$T/err" || fail "rescue: $(cat "$T/err")"
"$RT_BIN" --only "$T" --reclaim "$id" --yes --log "$LOG" </dev/null >"$T/reclaim.out" 2>"$T/err" ||
	fail "reclaim through the thread's fd refused: $(cat "$T/err")"
assert_eq "$(stat -L -c %s "/proc/$TPID/task/$TID/fd/$TFD")" 0 "the thread's file is empty"
assert_eq "$(stat -c %s "$T/quiet.out")" $((2 << 20)) "the rescued copy is whole"
