# The command line: help, version, usage errors (exit 2), and --list without options
# errors.
. "$(dirname "$0")/lib.bash"

"$RT_BIN" --help >"$T/help"
grep -q -- "--list" "$T/help" || fail "--help does not mention --list"
grep -q -- "--json" "$T/help" || fail "--help does not mention --json"
"$RT_BIN" --version | grep -Eq '^rescuetui [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
set +e
"$RT_BIN" --no-such-option >"$T/out" 2>"$T/err"
rc=$?
set -e
assert_eq $rc 2 "bad option exit status"
[ "$(wc -l <"$T/err")" -le 3 ] || fail "bad option message is not short: $(cat "$T/err")"
grep -q -- "--help" "$T/err" || fail "bad option message does not point to --help"
[ ! -s "$T/out" ] || fail "bad option printed to stdout"
set +e
"$RT_BIN" --list stray >/dev/null 2>"$T/err"
rc=$?
set -e
assert_eq $rc 2 "stray argument exit status"
"$RT_BIN" --list >/dev/null
"$RT_BIN" --list --json | jq -e '.files | type == "array"' >/dev/null || fail "--json is not a files array"
# A machine with nothing to rescue: in a new PID namespace only loop devices
# (not namespaced) can show up. The empty result must be a clean answer, not a
# crash (a NULL array reached qsort here once).
if unshare -fp --mount-proc true 2>/dev/null; then
	unshare -fp --mount-proc "$RT_BIN" --list --json >"$T/empty.json" || fail "--list in an empty PID namespace failed"
	jq -e '.scan.processes <= 1' "$T/empty.json" >/dev/null || fail "empty namespace saw other processes"
	unshare -fp --mount-proc "$RT_BIN" --list >"$T/empty.txt" || fail "--list table in an empty PID namespace failed"
	if jq -e '.files == []' "$T/empty.json" >/dev/null; then
		grep -q "No deleted files are held open" "$T/empty.txt" || fail "empty list does not say so: $(cat "$T/empty.txt")"
	fi
fi
# The man page documents every option --help shows.
for opt in $(grep -oE -- '--[a-z]+' "$T/help" | sort -u); do
	grep -qF -- "${opt//-/\\-}" "$RT_TOP/man/rescuetui.8" || fail "man page lacks $opt"
done
echo "cli pass"
