# Ctrl-C (SIGINT), SIGTERM and SIGHUP during a copy, a sync and a follow, through the
# command line: a clean stop (exit 1, "stopped by request", .partial and journal
# kept, writers never left stopped), then the same command resumes, and the result
# equals the original byte for byte.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

mkdir "$T/out"
rt() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null; }
# rescuetui itself must be $!: a backgrounded function would be a subshell.
rt_bg() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null & }

# stop_with SIG DEST RPID: wait until the journal records progress, send SIG, and
# check the clean stop.
stop_with() {
	local sig=$1 dest=$2 rpid=$3 rc
	wait_for 60 "a journal with progress at $dest.partial.journal" journal_has_progress "$dest.partial.journal"
	kill -"$sig" "$rpid"
	set +e
	wait "$rpid"
	rc=$?
	set -e
	assert_eq $rc 1 "exit status after SIG$sig"
	grep -q "stopped by request" "$T/err" || fail "SIG$sig: no 'stopped by request': $(cat "$T/err")"
	[ -e "$dest.partial" ] || fail "SIG$sig: .partial not kept"
	[ -e "$dest.partial.journal" ] || fail "SIG$sig: journal not kept"
	[ ! -e "$dest" ] || fail "SIG$sig: an interrupted result got the final name"
}

# resumed_ok JSON: the second run continued the first and verified
resumed_ok() {
	assert_eq "$(jq -r '.result | "\(.ok) \(.resumed)"' "$1")" "true true" "resumed"
	[ "$(jq -r .result.resumed_at "$1")" -gt 0 ] || fail "resumed from 0"
}

head -c $((24 << 20)) /dev/urandom >"$T/static.bin"
cp "$T/static.bin" "$T/static.expected"
hold r:"$T/static.bin"
list
sid=$(jq -r --arg p "$T/static.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")

for sig in INT TERM HUP; do
	tcase "copy stopped by SIG$sig resumes"
	dest=$T/out/copy.$sig
	rt_bg "$sid" --to "$dest" --method copy --max-rate 4M >/dev/null 2>"$T/err"
	rpid=$!
	PIDS+=("$rpid")
	stop_with "$sig" "$dest" "$rpid"
	rt "$sid" --to "$dest" --method copy --max-rate 4M --json >"$T/resume.json" 2>"$T/err" ||
		fail "the same command did not resume: $(cat "$T/err")"
	resumed_ok "$T/resume.json"
	assert_eq "$(jq -r .result.verified "$T/resume.json")" true "verified"
	cmp "$dest" "$T/static.expected" || fail "the resumed copy differs"
	[ ! -e "$dest.partial.journal" ] || fail "the journal outlived the finished copy"
done

# A sync of a file being rewritten: stopped, then the writer is paused (by us, not by
# rescuetui) so that the resumed sync can end equal to the file as it is then.
tcase "sync stopped by SIGTERM resumes"
head -c $((24 << 20)) /dev/urandom >"$T/db.bin"
hold rr:"$T/db.bin":500000
writer=$HPID wfd=$(hfd "$HOUT" 0)
list
did=$(jq -r --arg p "$T/db.bin" '.files[] | select(.path == $p) | .id' "$T/list.json")
dest=$T/out/db.bin
rt_bg "$did" --to "$dest" --method sync --max-rate 4M >/dev/null 2>"$T/err"
rpid=$!
PIDS+=("$rpid")
stop_with TERM "$dest" "$rpid"
[ "$(awk '{print $3}' /proc/"$writer"/stat)" != T ] || fail "the writer is stopped"
kill -STOP "$writer"
UNDO+=("kill -CONT $writer 2>/dev/null")
rt "$did" --to "$dest" --method sync --max-rate 4M --json >"$T/resume.json" 2>"$T/err" ||
	fail "the same sync did not resume: $(cat "$T/err")"
resumed_ok "$T/resume.json"
cmp "$dest" /proc/"$writer"/fd/"$wfd" || fail "the resumed sync differs from the file"
kill -CONT "$writer"

# follow: a signal ends the follow normally (job.h): what was written so far,
# verified, exit 0. A follow that dies (SIGKILL) keeps its .partial and journal, and
# the same command follows on until the writer is gone.
for sig in INT TERM HUP; do
	tcase "follow ended by SIG$sig keeps what was written"
	head -c $((1 << 20)) /dev/urandom >"$T/app.$sig.log"
	hold aw:"$T/app.$sig.log":200000
	appender=$HPID afd=$(hfd "$HOUT" 0)
	list
	aid=$(jq -r --arg p "$T/app.$sig.log" '.files[] | select(.path == $p) | .id' "$T/list.json")
	dest=$T/out/app.$sig
	rt_bg "$aid" --to "$dest" --method follow --json >"$T/follow.json" 2>"$T/err"
	rpid=$!
	PIDS+=("$rpid")
	wait_for 60 "the follow to pass 1 MiB" size_at_least "$dest.partial" $((1 << 20))
	kill -"$sig" "$rpid"
	wait "$rpid" || fail "follow after one SIG$sig: exit $?: $(cat "$T/err")"
	n=$(stat -c %s "$dest")
	[ "$n" -ge $((1 << 20)) ] || fail "follow kept only $n bytes"
	assert_eq "$(jq -r '.result | "\(.ok) \(.verified)"' "$T/follow.json")" "true true" "follow verified"
	cmp -n "$n" "$dest" /proc/"$appender"/fd/"$afd" || fail "the followed bytes differ from the file"
done

tcase "a killed follow resumes with the same command"
dest=$T/out/app.killed
rt_bg "$aid" --to "$dest" --method follow >/dev/null 2>"$T/err"
rpid=$!
PIDS+=("$rpid")
wait_for 60 "the follow to record progress" journal_has_progress "$dest.partial.journal"
kill -KILL "$rpid"
wait "$rpid" 2>/dev/null || true
[ -e "$dest.partial" ] && [ -e "$dest.partial.journal" ] || fail "partial or journal not kept"
rt_bg "$aid" --to "$dest" --method follow --json >"$T/resume.json" 2>"$T/err"
rpid=$!
PIDS+=("$rpid")
# It must hold the file before the writer goes (the .partial is already long).
holds_app() { find /proc/"$rpid"/fd -lname "$T/app.HUP.log (deleted)" 2>/dev/null | grep -q .; }
wait_for 60 "the resumed follow to pin the file" holds_app
wait_for 60 "the resumed follow to catch up" size_at_least "$dest.partial" \
	"$(stat -c %s /proc/"$appender"/fd/"$afd")"
# The writer goes: the follow catches up, verifies and ends by itself.
kill -STOP "$appender"
cp /proc/"$appender"/fd/"$afd" "$T/app.expected"
kill -KILL "$appender"
wait "$rpid" || fail "resumed follow: $(cat "$T/err")"
resumed_ok "$T/resume.json"
cmp "$dest" "$T/app.expected" || fail "the resumed follow differs from the file"
