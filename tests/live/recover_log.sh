# The action log: where it goes by default (root: /var/log/rescuetui.log; a user:
# $XDG_STATE_HOME, else $HOME/.local/state, else the passwd home, never the current
# directory), and the line of a job that succeeded or was refused. The machine's
# /var/log and /etc/passwd are never touched: the root default is checked in a
# private mount namespace with a tmpfs over /var/log, the passwd home with a private
# copy of /etc/passwd bound over it there.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd unshare
need_cmd setpriv

# log_ok LOG DEST METHOD: LOG has exactly one line, for a successful rescue to DEST
log_ok() {
	[ -f "$1" ] || fail "no log at $1"
	assert_eq "$(wc -l <"$1")" 1 "lines in $1"
	grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z method=\"$3\" source=\"[0-9]+:[0-9]+:[0-9]+\" verified=yes .*path=\".*\" target=\"$2\" bytes=[0-9]+ result=\"ok\"\$" "$1" ||
		fail "log line: $(cat "$1")"
}

# A file held by root's holder, and one held by a user's.
head -c 100000 /dev/urandom >"$T/root.bin"
hold r:"$T/root.bin"
chmod 711 "$T"
mkdir -m 777 "$T/user"
head -c 100000 /dev/urandom >"$T/user/user.bin"
chown nobody "$T/user/user.bin"
# The user's holder runs as nobody: only then can nobody's rescuetui read its fds.
HN=$((HN + 1))
HOUT="$T/holder.$HN.out"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$RT_TESTBIN/holder" r:"$T/user/user.bin" \
	>"$HOUT" 2>"$HOUT.err" &
PIDS+=($!)
wait_ready "$HOUT" $!
as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
user_rt() { # DEST, then env assignments: rescue user.bin as nobody
	local dest=$1
	shift
	(cd "$T/user/cwd" && as_user env "$@" "$RT_BIN" --only "$T/user" --recover "$T/user/user.bin" \
		--to "$dest" --method copy --yes </dev/null >/dev/null 2>"$T/user/err") ||
		fail "user rescue to $dest: $(cat "$T/user/err")"
}
mkdir -m 777 "$T/user/cwd" "$T/user/out"

tcase root: /var/log/rescuetui.log
host_log=absent
[ ! -e /var/log/rescuetui.log ] || host_log=$(stat -c '%s %Y' /var/log/rescuetui.log)
unshare -m --propagation private bash -c '
	set -e
	mount -t tmpfs rt-varlog /var/log
	"$1" --only "$2" --recover "$2/root.bin" --to "$2/root.out" --method copy --yes </dev/null >/dev/null
	cp /var/log/rescuetui.log "$2/root.log"
	ls -A /var/log >"$2/varlog.ls"
' sh "$RT_BIN" "$T" 2>"$T/err" || fail "root rescue in a private namespace: $(cat "$T/err")"
log_ok "$T/root.log" "$T/root.out" copy
assert_eq "$(cat "$T/varlog.ls")" rescuetui.log "what the run put in /var/log"
now=absent
[ ! -e /var/log/rescuetui.log ] || now=$(stat -c '%s %Y' /var/log/rescuetui.log)
assert_eq "$now" "$host_log" "the machine's /var/log/rescuetui.log is untouched"

tcase "a user: \$XDG_STATE_HOME"
mkdir -m 777 "$T/user/state"
user_rt "$T/user/out/xdg" XDG_STATE_HOME="$T/user/state" HOME="$T/user/home-unused"
log_ok "$T/user/state/rescuetui.log" "$T/user/out/xdg" copy
[ ! -e "$T/user/home-unused" ] || fail "HOME was used although XDG_STATE_HOME is set"

tcase "a user: \$HOME/.local/state"
mkdir -m 777 "$T/user/home"
user_rt "$T/user/out/home" -u XDG_STATE_HOME HOME="$T/user/home"
log_ok "$T/user/home/.local/state/rescuetui.log" "$T/user/out/home" copy
assert_eq "$(stat -c %a "$T/user/home/.local/state")" 700 "the state directory is private"

tcase "a user without HOME: the passwd home, never the current directory"
mkdir -m 777 "$T/user/pwhome"
sed "s|^\(nobody:[^:]*:[^:]*:[^:]*:[^:]*:\)[^:]*:|\1$T/user/pwhome:|" /etc/passwd >"$T/passwd"
grep -q "^nobody:.*:$T/user/pwhome:" "$T/passwd" || fail "could not make a private passwd"
unshare -m --propagation private bash -c '
	set -e
	mount --bind "$1/passwd" /etc/passwd
	cd "$1/user/cwd"
	setpriv --reuid=nobody --regid=nogroup --clear-groups env -u HOME -u XDG_STATE_HOME \
		"$2" --only "$1/user" --recover "$1/user/user.bin" --to "$1/user/out/pw" --method copy \
		--yes </dev/null >/dev/null
' sh "$T" "$RT_BIN" 2>"$T/err" || fail "user rescue without HOME: $(cat "$T/err")"
log_ok "$T/user/pwhome/.local/state/rescuetui.log" "$T/user/out/pw" copy
assert_eq "$(ls -A "$T/user/cwd")" "" "nothing written in the current directory"

tcase the line of a refused job
"$RT_BIN" --only "$T" --recover "$T/root.bin" --to "$T/refused.out" --method relink --yes \
	--log "$T/refused.log" </dev/null >/dev/null 2>"$T/err" && fail "relink of an ordinary file was not refused"
grep -q "relink .* is not possible" "$T/err" || fail "no reason given: $(cat "$T/err")"
assert_eq "$(wc -l <"$T/refused.log")" 1 "refusal log lines"
grep -Eq " method=\"relink\" source=\"[0-9:]+\" (.* )?path=\"$T/root.bin\" target=\"$T/refused.out\" bytes=0 result=\"refused: only O_TMPFILE " \
	"$T/refused.log" || fail "refusal log line: $(cat "$T/refused.log")"
[ ! -e "$T/refused.out" ] && [ ! -e "$T/refused.out.partial" ] || fail "a refused job wrote something"
