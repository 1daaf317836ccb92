# --recover through the command line: the bytes come back, names are never
# overwritten, SEL takes every form, infeasible methods are refused with their
# reason, streaming works, and every action is one line in the log.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

rt() { "$RT_BIN" --only "$T" --recover "$@" --yes --log "$T/actions.log" </dev/null; }

head -c $((64 << 20)) /dev/urandom >"$T/vm.img"
cp "$T/vm.img" "$T/vm.img.expected"
printf 'second file\n' >"$T/notes.txt"
cp "$T/notes.txt" "$T/notes.expected"
nasty=$'odd\nname\e[31m'
printf 'odd one' >"$T/$nasty"
hold r:"$T/vm.img" r:"$T/notes.txt" r:"$T/$nasty"
list
id=$(jq -r --arg p "$T/vm.img" '.files[] | select(.path == $p) | .id' "$T/list.json")
[ -n "$id" ] || fail "the held file is not listed"
mkdir "$T/out"

tcase '1. auto on a static file'
# 1. auto on a static file: a verified copy into the directory, original name.
rt "$id" --to "$T/out" >"$T/summary" 2>"$T/err"
cmp "$T/out/vm.img" "$T/vm.img.expected" || fail "copy differs"
grep -q "^Rescued: copy -> $T/out/vm.img (64M, verified)" "$T/summary" || fail "summary: $(cat "$T/summary")"
[ "$(stat -c %a "$T/out/vm.img")" = 600 ] || fail "mode is not 0600"
[ ! -e "$T/out/vm.img.partial" ] && [ ! -e "$T/out/vm.img.partial.journal" ] || fail "leftovers"
grep -qF "method=\"copy\" source=\"$id\" verified=yes size=67108864 hash=" "$T/actions.log" ||
	fail "log head: $(cat "$T/actions.log")"
grep -q "hash=[0-9a-f]\{32\} path=\"$T/vm.img\" target=\"$T/out/vm.img\" bytes=67108864 result=\"ok\"$" \
	"$T/actions.log" || fail "log: $(cat "$T/actions.log")"
echo "ok: auto copy, verified, logged"

tcase '2. The same again'
# 2. The same again: a new name, the first copy untouched.
rt "$id" --to "$T/out" --method copy >/dev/null 2>&1
cmp "$T/out/vm.img.1" "$T/vm.img.expected" || fail "second copy differs"
cmp "$T/out/vm.img" "$T/vm.img.expected" || fail "first copy changed"
# An existing file is never overwritten.
set +e
rt "$id" --to "$T/out/vm.img" >/dev/null 2>"$T/err"
rc=$?
set -e
assert_eq $rc 1 "existing target refused"
grep -q "never overwrites" "$T/err" || fail "message: $(cat "$T/err")"
cmp "$T/out/vm.img" "$T/vm.img.expected" || fail "existing file was touched"

tcase '3. SEL forms'
# 3. SEL forms: PID:FD, the original path, and a bad one.
fd=$(hfd "$HOUT" 1)
rt "$HPID:$fd" --to "$T/out/by-pidfd" >/dev/null 2>&1
cmp "$T/out/by-pidfd" "$T/notes.expected" || fail "PID:FD copy"
rt "$T/notes.txt" --to "$T/out/by-path" >/dev/null 2>&1
cmp "$T/out/by-path" "$T/notes.expected" || fail "path copy"
set +e
rt "$T/no-such-file" --to "$T/out" >/dev/null 2>"$T/err"
assert_eq $? 1 "unknown SEL"
grep -q "no held deleted file matches" "$T/err" || fail "unknown SEL message"
rt "$id" --to "$T/out" --method teleport >/dev/null 2>"$T/err"
assert_eq $? 2 "bad method is a usage error"
"$RT_BIN" --only "$T" --log "$T/actions.log" --recover "$id" --to "$T/out" </dev/null >/dev/null 2>"$T/err"
assert_eq $? 2 "no terminal and no --yes"
grep -q -- "--yes" "$T/err" || fail "does not point to --yes"
tcase '4. Infeasible methods are refused with their reason'
# 4. Infeasible methods are refused with their reason.
rt "$id" --to "$T/out" --method reflink >/dev/null 2>"$T/err"
assert_eq $? 1 "reflink across filesystems refused"
grep -q "reflink to .* is not possible" "$T/err" || fail "reflink reason: $(cat "$T/err")"
rt "$id" --to "$T/out" --method relink >/dev/null 2>"$T/err"
assert_eq $? 1 "relink of an ordinary deleted file refused"
grep -q "O_TMPFILE" "$T/err" || fail "relink reason: $(cat "$T/err")"
set -e

tcase '5. Streaming'
# 5. Streaming: the data on stdout, the summary on stderr.
rt "$id" --to - >"$T/streamed" 2>"$T/err"
cmp "$T/streamed" "$T/vm.img.expected" || fail "streamed copy differs"
grep -q "Rescued: copy" "$T/err" || fail "no summary on stderr: $(cat "$T/err")"

tcase '6. JSON summary'
# 6. JSON summary.
rt "$id" --to "$T/out/json.img" --json >"$T/result.json" 2>/dev/null
assert_eq "$(jq -r '.result | "\(.ok) \(.method) \(.verified) \(.target)"' "$T/result.json")" \
	"true copy true $T/out/json.img" "JSON result"
jq -e '.checks | length > 0' "$T/result.json" >/dev/null || fail "no checks in JSON"

tcase '7. A name with a newline'
# 7. A name with a newline: one log line, escaped; the copy has the name's bytes.
nid=$(jq -r --argjson i "$(stat -c %i /proc/"$HPID"/fd/"$(hfd "$HOUT" 2)" -L)" \
	'.files[] | select(.ino == $i) | .id' "$T/list.json")
before=$(wc -l <"$T/actions.log")
rt "$nid" --to "$T/out" >/dev/null 2>&1
[ -f "$T/out/$nasty" ] || fail "copy of the odd name not found"
assert_eq "$(($(wc -l <"$T/actions.log") - before))" 1 "one log line for a name with a newline"
grep -qF 'odd\nname\u001b[31m' "$T/actions.log" || fail "log does not escape the name"
# The log's values are JSON strings: the exact bytes of the name come back.
tail -n 1 "$T/actions.log" | grep -o 'path="\([^"\\]\|\\.\)*"' | cut -c6- >"$T/logpath"
[ "$(jq -r . "$T/logpath")" = "$T/$nasty" ] || fail "log path does not read back: $(cat "$T/logpath")"
