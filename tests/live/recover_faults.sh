# Faults through the command line: SIGKILL mid-copy and the same command resumes;
# a --freeze run stopped with SIGTERM resumes the writers; a target that fills up
# gives exit 1, a clear message and a .partial; holders killed mid-copy do not
# matter (the pin keeps the data).
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

head -c $((48 << 20)) /dev/urandom >"$T/big.bin"
cp "$T/big.bin" "$T/big.expected"
hold r:"$T/big.bin"
holder1=$HPID
list
id=$(jq -r --arg p "$T/big.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
mkdir "$T/out"
rt() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null; }
# In the background, rescuetui itself must be the process: $! of a backgrounded
# function would be a subshell, and signals would miss rescuetui.
rt_bg() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null & }

tcase '1. SIGKILL mid-copy, then the same command again'
# 1. SIGKILL mid-copy, then the same command again: resumed and verified.
rt_bg "$id" --to "$T/out/big.bin" --method copy --max-rate 8000000 >/dev/null 2>&1
rpid=$!
PIDS+=($rpid)
# The journal is saved every 2 s: wait until it records progress.
wait_for 60 "the journal to record progress" journal_has_progress "$T/out/big.bin.partial.journal"
kill -KILL $rpid
wait $rpid 2>/dev/null || true
[ -e "$T/out/big.bin.partial" ] || fail "no .partial after SIGKILL"
[ ! -e "$T/out/big.bin" ] || fail "a partial result looks complete"
tcase '1b. Meanwhile another deleted file named big.bin is rescued into the same'
# 1b. Meanwhile another deleted file named big.bin is rescued into the same
# directory: the interrupted rescue there is not its own, so it takes the next name
# and leaves that one alone.
mkdir "$T/other"
head -c $((1 << 20)) /dev/urandom >"$T/other/big.bin"
cp "$T/other/big.bin" "$T/other.expected"
hold r:"$T/other/big.bin"
list
oid=$(jq -r --arg p "$T/other/big.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
rt "$oid" --to "$T/out" --method copy --json >"$T/other.json" 2>"$T/err" ||
	fail "rescue beside another file's .partial failed: $(cat "$T/err")"
assert_eq "$(jq -r '.result | "\(.target) \(.resumed)"' "$T/other.json")" "$T/out/big.bin.1 false" \
	"the next free name, not a resume"
cmp "$T/out/big.bin.1" "$T/other.expected" || fail "the other file's copy differs"
# The same command, given the directory, finds its own interrupted rescue.
rt "$id" --to "$T/out" --method copy --json >"$T/resume.json" 2>"$T/err" ||
	fail "resume failed: $(cat "$T/err")"
assert_eq "$(jq -r '.result | "\(.resumed) \(.verified)"' "$T/resume.json")" "true true" "resumed and verified"
[ "$(jq -r .result.resumed_at "$T/resume.json")" -gt 0 ] || fail "resumed from 0"
cmp "$T/out/big.bin" "$T/big.expected" || fail "resumed copy differs"

tcase '2. Holders killed mid-copy'
# 2. Holders killed mid-copy: the pin keeps the data and the copy completes.
rt_bg "$id" --to "$T/out/after-kill.bin" --method copy --max-rate 16000000 >/dev/null 2>"$T/err"
rpid=$!
PIDS+=($rpid)
wait_for 60 "the copy to begin" size_at_least "$T/out/after-kill.bin.partial" $((1 << 20))
[ ! -e "$T/out/after-kill.bin" ] || fail "the copy ended before the holder was killed: this proves nothing"
kill -KILL "$holder1"
wait $rpid || fail "copy failed after the holder died: $(cat "$T/err")"
cmp "$T/out/after-kill.bin" "$T/big.expected" || fail "copy after holder death differs"

tcase '3. --freeze and SIGTERM'
# 3. --freeze and SIGTERM: the writers run again afterwards.
# A slow writer and a copy fast enough to converge after pass 2: the freeze comes
# within seconds (a writer faster than the copy would only be frozen after 8 passes).
head -c $((128 << 20)) /dev/urandom >"$T/db.bin"
hold rr:"$T/db.bin":200000
writer=$HPID
list
dbid=$(jq -r --arg p "$T/db.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
rt_bg "$dbid" --to "$T/out/db.bin" --method sync --freeze --max-rate 64000000 --json >"$T/freeze.json" 2>"$T/err"
rpid=$!
PIDS+=($rpid)
# The frozen pass is unthrottled and may be over between two looks: then the run
# ends by itself, verified, and that is what is checked.
exited() { [ ! -e /proc/"$1" ] || [ "$(proc_state "$1")" = Z ]; }
frozen_or_done() { is_stopped "$writer" || exited "$rpid"; }
wait_for 120 "the writer to be stopped for the final pass" frozen_or_done
kill -TERM $rpid 2>/dev/null || true
set +e
wait $rpid
rc=$?
set -e
# The pass may have ended just before the signal came: then it is a plain success.
if [ $rc -eq 0 ]; then
	echo "ok: the frozen pass finished before SIGTERM arrived"
	assert_eq "$(jq -r .result.verified "$T/freeze.json")" true "verified"
else
	assert_eq $rc 1 "exit status after SIGTERM while frozen"
	grep -q "stopped by request" "$T/err" || fail "no 'stopped by request': $(cat "$T/err")"
	[ -e "$T/out/db.bin.partial" ] && [ -e "$T/out/db.bin.partial.journal" ] ||
		fail ".partial or journal not kept"
fi
wait_for 5 "the writer to run again after SIGTERM" not_stopped "$writer"
echo "ok: writer state $(proc_state "$writer") after SIGTERM"
if [ $rc -ne 0 ]; then
	# The same command continues, and the writer is let go again afterwards.
	rt "$dbid" --to "$T/out/db.bin" --method sync --freeze --max-rate 64000000 --json \
		>"$T/freeze.json" 2>"$T/err" || fail "the same --freeze sync failed: $(cat "$T/err")"
	assert_eq "$(jq -r '.result | "\(.ok) \(.verified) \(.resumed)"' "$T/freeze.json")" "true true true" \
		"resumed --freeze sync"
	wait_for 5 "the writer to run again" not_stopped "$writer"
fi

tcase '4. A target that fills up'
# 4. A target that fills up: exit 1, a clear message, the .partial kept.
mount_at "$T/small" -t tmpfs -o size=100m rt-small
head -c $((48 << 20)) /dev/urandom >"$T/c.bin"
hold r:"$T/c.bin"
list
id=$(jq -r --arg p "$T/c.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
rt_bg "$id" --to "$T/small/big.bin" --method copy --max-rate 10000000 >/dev/null 2>"$T/err"
rpid=$!
PIDS+=($rpid)
# Fill the target only once the copy has begun: a target already full is refused
# before a .partial exists (another case), and a busy machine makes any pause wrong.
wait_for 60 "the copy to begin" size_at_least "$T/small/big.bin.partial" 1
fallocate -l 80M "$T/small/filler" 2>/dev/null || head -c $((80 << 20)) /dev/zero >"$T/small/filler" || true
set +e
wait $rpid
rc=$?
set -e
assert_eq $rc 1 "full target"
grep -qi "space" "$T/err" || fail "no clear message: $(cat "$T/err")"
[ -e "$T/small/big.bin.partial" ] || fail ".partial not kept"
[ ! -e "$T/small/big.bin" ] || fail "an incomplete file got the final name"
# The action log has the failure, with what was written and why.
line=$(grep -F " target=\"$T/small/big.bin.partial\" " "$T/actions.log") ||
	fail "no log line for the full target: $(cat "$T/actions.log")"
[[ $line == *" method=\"copy\" "* && $line != *"result=ok"* && $line == *space* ]] ||
	fail "log line of the failed job: $line"
