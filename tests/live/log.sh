# The action log: never followed through a symlink, never blocks on a FIFO or takes
# a terminal, created 0600, only ever a regular file; with HOME unset a user's log
# goes to the home directory of the password database, never the current directory;
# its values are JSON strings with the exact bytes of the names.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd setpriv
need_cmd timeout

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
printf 'keep me' >"$T/data"
hold r:"$T/data"
list
id=$(by_ino "$(stat -c %i /proc/"$HPID"/fd/"$(hfd "$HOUT" 0)" -L)" .id)
mkdir "$T/out"
n=0
# rt LOG: one rescue logging to LOG; the exit status, within 10 s or a failure.
rt() {
	local rc=0
	local dest; dest=$(mktemp -u "$T/out/r.XXXXXX")
	timeout 10 "$RT_BIN" --recover "$id" --to "$dest" --yes --log "$1" </dev/null \
		>"$T/out.txt" 2>"$T/err.txt" || rc=$?
	[ $rc -ne 124 ] || fail "rescuetui hung on the log $1"
	return $rc
}

# 1. A new log is 0600 whatever the umask, one line, JSON strings.
(umask 000 && rt "$T/new.log") || fail "rescue failed: $(cat "$T/err.txt")"
assert_eq "$(stat -c %a "$T/new.log")" 600 "mode of a new log"
assert_eq "$(wc -l <"$T/new.log")" 1 "one line"
grep -qF "path=\"$T/data\"" "$T/new.log" || fail "path is not a JSON string: $(cat "$T/new.log")"

# 2. A symlink is not followed: the file it points to is untouched.
printf 'victim\n' >"$T/victim"
ln -s "$T/victim" "$T/link.log"
rt "$T/link.log" || true
assert_eq "$(cat "$T/victim")" victim "the symlink's target is untouched"
grep -q "action log" "$T/err.txt" || fail "no word about the log: $(cat "$T/err.txt")"

# 3. A FIFO without a reader: no hang; with a reader: refused, nothing written.
mkfifo "$T/fifo.log"
rt "$T/fifo.log" || true
grep -q "action log" "$T/err.txt" || fail "no word about the FIFO: $(cat "$T/err.txt")"
timeout 15 cat "$T/fifo.log" >"$T/fifo.got" &
PIDS+=($!)
sleep 0.2
rt "$T/fifo.log" || true
grep -q "not a regular file" "$T/err.txt" || fail "FIFO not refused: $(cat "$T/err.txt")"
kill "${PIDS[-1]}" 2>/dev/null || true
[ ! -s "$T/fifo.got" ] || fail "something was written into the FIFO"

# 4. A device is no log (O_NOCTTY keeps a terminal from becoming ours).
rt /dev/null || true
grep -q "not a regular file" "$T/err.txt" || fail "a device is not refused: $(cat "$T/err.txt")"
echo "ok: symlink, FIFO and device refused; 0600"

# 5. HOME unset, not root: the home of the password database, not the current dir.
chmod 755 "$T"
mkdir -m 777 "$T/cwd"
home=$(getent passwd 65534 | cut -d: -f6)
(cd "$T/cwd" && env -u HOME -u XDG_STATE_HOME setpriv --reuid=65534 --regid=65534 \
	--clear-groups --inh-caps=-all "$RT_BIN" --recover 1:1:1 --to "$T/cwd/x" --yes </dev/null \
	>/dev/null 2>"$T/err.txt") || true
[ -z "$(ls -A "$T/cwd")" ] || fail "something was written to the current directory: $(ls -A "$T/cwd")"
# A rescue by nobody of its own file logs under that home (or says it cannot).
as_nobody sh -c 'printf mine > "$1/mine"' sh "$T/cwd"
HN=$((HN + 1))
out="$T/nobody.out"
as_nobody "$RT_TESTBIN/holder" r:"$T/cwd/mine" >"$out" 2>"$out.err" &
PIDS+=($!)
wait_ready "$out" $!
mkdir -m 777 "$T/nout"
(cd "$T/cwd" && env -u HOME -u XDG_STATE_HOME setpriv --reuid=65534 --regid=65534 \
	--clear-groups --inh-caps=-all "$RT_BIN" --recover "$T/cwd/mine" --to "$T/nout" --yes \
	</dev/null >/dev/null 2>"$T/err.txt") || true
cmp -s "$T/nout/mine" <(printf mine) || fail "nobody's rescue failed: $(cat "$T/err.txt")"
[ -z "$(ls -A "$T/cwd" | grep -v '^mine$' || true)" ] || fail "log in the current directory"
if [ -d "$home" ] && [ -w "$home" ]; then
	[ -f "$home/.local/state/rescuetui.log" ] || fail "no log under the passwd home"
else
	grep -qF "$home/.local/state/rescuetui.log" "$T/err.txt" ||
		fail "the passwd home is not where the log was meant to go: $(cat "$T/err.txt")"
fi
echo "ok: HOME unset uses the password database's home, never the current directory"
