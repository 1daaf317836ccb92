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
# The man page documents every option --help shows.
for opt in $(grep -oE -- '--[a-z]+' "$T/help" | sort -u); do
	grep -qF -- "${opt//-/\\-}" "$RT_TOP/man/rescuetui.8" || fail "man page lacks $opt"
done
echo "cli pass"
