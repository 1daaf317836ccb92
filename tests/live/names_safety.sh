# Names never reach the terminal or a shell raw: the commands the summary suggests
# are pasted into sh in a sandbox and run exactly what they say; every message that
# echoes user input or a name is escaped; a stream is not called "-".
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

name="vm'; touch INJECTED; echo '.qcow2"
# A qcow2 magic, then data; held read-write, so the summary says to check it.
{ printf 'QFI\373'; head -c $((1 << 20)) /dev/urandom; } >"$T/$name"
hold rw:"$T/$name"
list
id=$(jq -r --arg p "$T/$name" '.files[] | select(.path == $p) | .id' "$T/list.json")
[ -n "$id" ] || fail "the file is not listed"
mkdir "$T/out" "$T/sandbox"
"$RT_BIN" --recover "$id" --to "$T/out" --method copy --yes --log "$T/log" </dev/null \
	>"$T/sum" 2>"$T/err" || true
cat "$T/sum"
line=$(grep -F "qemu-img check " "$T/sum") || fail "no qemu-img reminder: $(cat "$T/sum" "$T/err")"
cmd=${line#*qemu-img check }
# The suggested word, pasted into a shell in the sandbox, names exactly the result.
(cd "$T/sandbox" && sh -n -c "printf %s $cmd") || fail "the suggested line is no valid shell"
got=$(cd "$T/sandbox" && sh -c "printf %s $cmd")
[ ! -e "$T/sandbox/INJECTED" ] && [ ! -e INJECTED ] || fail "pasting the reminder ran touch"
assert_eq "$got" "$T/out/$name" "the pasted command names the result exactly"

# A name with control characters: no raw escape byte anywhere on the terminal side.
ctl=$'ctl\e]0;pwned\a\e[2Jname'
head -c 4096 /dev/urandom >"$T/$ctl"
hold r:"$T/$ctl"
list
cid=$(jq -r --arg p "$T/$ctl" '.files[] | select(.path == $p) | .id' "$T/list.json")
"$RT_BIN" --list >"$T/table" 2>&1
"$RT_BIN" --recover "$cid" --to "$T/out" --yes --log "$T/log" </dev/null >"$T/sum2" 2>&1 || true
"$RT_BIN" --recover "$T/$ctl" --to "$T/nodir/x" --yes --log "$T/log" </dev/null >"$T/sum3" 2>&1 || true
if grep -qP '\x1b|\x07' "$T/table" "$T/sum2" "$T/sum3"; then
	fail "a raw escape reached the terminal: $(grep -lP '\x1b|\x07' "$T/table" "$T/sum2" "$T/sum3")"
fi

# User input echoed back is escaped: --max-rate, --method, unknown options.
for args in "--max-rate $'\e[31mX'" "--method $'\e[31mX'" "$'--\e[31mbogus'" "$'-\e'"; do
	rc=0
	eval "\"\$RT_BIN\" --recover 1:1:1 --to /nonexistent $args" >"$T/o" 2>"$T/e" || rc=$?
	assert_eq "$rc" 2 "usage error for $args"
	grep -qP '\x1b' "$T/e" && fail "raw escape echoed for $args: $(cat -v "$T/e")"
done

# A stream is "the copy sent to standard output", never "- is complete".
"$RT_BIN" --recover "$cid" --to - --yes --log "$T/log" </dev/null >"$T/stream" 2>"$T/serr" ||
	fail "stream failed: $(cat "$T/serr")"
grep -q "^  - - " "$T/serr" && fail "the stream is called '-': $(cat "$T/serr")"
grep -q "standard output is complete and verified" "$T/serr" || fail "$(cat "$T/serr")"
echo "ok: names escaped, pasted commands exact"
