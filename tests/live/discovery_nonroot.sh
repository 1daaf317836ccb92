# Without root: what the user can see is reported, and one clear line says that other
# users' processes need root.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd setpriv

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
chmod 755 "$T"
mkdir -m 777 "$T/pub"
# Root's file: invisible to nobody.
head -c 100 /dev/urandom >"$T/rootfile"
ino_root=$(stat -c %i "$T/rootfile")
hold r:"$T/rootfile"
# nobody's own file: visible.
as_nobody sh -c 'head -c 200 /dev/urandom > "$1/mine"' sh "$T/pub"
ino_mine=$(stat -c %i "$T/pub/mine")
HN=$((HN + 1))
out="$T/nobody.out"
as_nobody "$RT_TESTBIN/holder" r:"$T/pub/mine" >"$out" 2>"$out.err" &
PIDS+=($!)
wait_ready "$out" $!

# nobody's file held by a mapping only: map_files needs root, so it is counted as
# unconfirmed and said once (the text of maps shows it; map_files would confirm it).
as_nobody sh -c 'head -c 8192 /dev/urandom > "$1/mapped"' sh "$T/pub"
mout="$T/nobody-map.out"
as_nobody "$RT_TESTBIN/holder" m:"$T/pub/mapped" >"$mout" 2>"$mout.err" &
PIDS+=($!)
wait_ready "$mout" $!

as_nobody "$RT_BIN" --list --only "$T" --json >"$T/list.json" 2>"$T/err"
[ "$(jq .scan.unconfirmed_mappings "$T/list.json")" -ge 1 ] ||
	fail "the mapping-only file is not counted as unconfirmed"
grep -q "memory mapping.* could not be checked" "$T/err" || fail "no note on mappings: $(cat "$T/err")"
assert_eq "$(by_ino "$ino_mine" .size)" 200 "own file seen"
assert_eq "$(jq --argjson i "$ino_root" '[.files[] | select(.ino == $i)] | length' "$T/list.json")" 0 \
	"root's file not seen"
assert_eq "$(jq .scan.root "$T/list.json")" false "report says it is not root"
assert_eq "$(grep -c 'run as root' "$T/err")" 1 "one line about root"
grep -q "belong to other users" "$T/err" || fail "message does not say why: $(cat "$T/err")"
as_nobody "$RT_BIN" --list --only "$T" >"$T/table" 2>"$T/err2" || fail "table run failed"
grep -qF "$T/pub/mine" "$T/table" || fail "table lacks the user's own file"
