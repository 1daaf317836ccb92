#!/usr/bin/env bash
# The static build's console on a rescue system that has no terminfo database: it
# must start with TERM=linux (the Linux console), xterm-256color (a terminal over
# ssh) and a TERM nobody knows, from the terminal entries built into its ncurses.
# The database is hidden the way such a system lacks it: a private mount namespace
# with empty tmpfs over /usr/share/terminfo, /lib/terminfo and /etc/terminfo (the
# machine's own mounts are not touched), TERMINFO and TERMINFO_DIRS pointing to an
# empty folder and a HOME without ~/.terminfo.
source "$(dirname "$0")/lib.bash"

[ -d "$RT_TOP/src/console" ] || skip "no console yet (src/console does not exist)"
"$RT_BIN" --version | grep -q '^build: static' ||
	skip "only the static build carries terminal entries; $RT_BIN is dynamic (make check-static)"
need_root
need_cmd tmux
need_cmd unshare

mkdir -p "$T/empty" "$T/home"
# remain-on-exit from the start: what the console said stays on screen even if it
# quits before the test looks.
echo 'set -g remain-on-exit on' >"$T/tmux.conf"
tm() { tmux -S "$T/tmux.sock" -f "$T/tmux.conf" "$@"; }
UNDO+=("tm kill-server 2>/dev/null")

# What the pane runs: hide the database in a private mount namespace, check that it
# is hidden, then start the console with only what a bare emergency shell has.
cat >"$T/run" <<'EOF'
#!/bin/sh
# run TERM CONSOLE HOME EMPTY STATUSFILE
exec unshare -m --propagation private sh -c '
	for d in /usr/share/terminfo /lib/terminfo /etc/terminfo; do
		[ -d "$d" ] && mount -t tmpfs -o size=1m rt-noterminfo "$d"
	done
	if infocmp linux >/dev/null 2>&1; then echo "terminfo is still visible"; exit 99; fi
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$3" TERMINFO="$4" \
		TERMINFO_DIRS="$4" TERM="$1" "$2"
	echo $? >"$5"' sh "$@"
EOF
chmod +x "$T/run"

# One server; a session per TERM ($ui), so no test waits for a server to go away.
ui=
screen() { tm capture-pane -p -t "$ui" 2>/dev/null || true; }
pane_dead() { [ "$(tm display -p -t "$ui" '#{pane_dead}' 2>/dev/null)" = 1 ]; }
# The exit status, written by the run script (tmux 3.3a now and then leaves a pane's
# program unreaped, and its #{pane_dead_status} empty).
exit_status() { cat "$T/status.$n" 2>/dev/null || true; }

n=0
for term in linux xterm-256color rt-no-such-terminal; do
	n=$((n + 1)) ui=ui$n
	tm new-session -d -s "$ui" -x 100 -y 30 "$T/run $term $RT_BIN $T/home $T/empty $T/status.$n"
	# Started: the pane still runs and shows a screen of text (not a one-line error).
	started=0
	for _ in $(seq 100); do
		pane_dead && break
		if [ "$(screen | grep -c '[^[:space:]]')" -ge 3 ]; then
			started=1
			break
		fi
		sleep 0.1
	done
	if [ $started = 0 ] || pane_dead || [ -e "$T/status.$n" ]; then
		fail "TERM=$term without terminfo: the console did not start; the pane shows:
$(screen)"
	fi
	if screen | grep -qiE 'error opening terminal|unknown terminal|terminal .*unusable'; then
		fail "TERM=$term without terminfo: the console refused the terminal:
$(screen)"
	fi
	echo "ok: TERM=$term: the console started without terminfo"
	tm send-keys -t "$ui" q
	status=
	for _ in $(seq 50); do
		status=$(exit_status)
		[ -n "$status" ] && break
		sleep 0.1
	done
	[ -n "$status" ] || fail "TERM=$term: q did not quit the console:
$(screen)"
	assert_eq "$status" 0 "TERM=$term: exit status after q"
done
