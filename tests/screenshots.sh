#!/usr/bin/env bash
# Render the console's views to PNG files in screenshots/ from a real run, with the
# text of each screen beside it (the text is what tests assert; the PNG is for
# people). The recipe of /work/shared/CONSOLE.md: tmux runs the console, a real
# xterm under Xvfb draws it, ImageMagick's import grabs the window.
#
# Usage: tests/screenshots.sh [BUILDDIR]    (make screenshots; needs root)
#
# Everything runs in private mount and pid namespaces: the console sees only the
# demo holders (fixed names and sizes on a tmpfs mounted on /srv, which stays
# private), no other process's files and no loop device (a private tmpfs hides
# /sys/block). The machine's own mounts are untouched.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
O=${1:-build}
out="$top/screenshots"
COLS=100 ROWS=30

if [ -z "${RT_SHOTS_INSIDE:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "screenshots: needs root (namespaces, tmpfs)" >&2; exit 1; }
	for c in tmux Xvfb xterm xdotool import xrefresh unshare; do
		command -v $c >/dev/null || { echo "screenshots: needs $c" >&2; exit 1; }
	done
	exec unshare --mount --propagation private --pid --fork --mount-proc \
		env RT_SHOTS_INSIDE=1 bash "$0" "$@"
fi

export LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC
BIN="$top/$O/rescuetui" HOLDER="$top/$O/tests/holder"
W=$(mktemp -d /tmp/rt-shots.XXXXXX)
SOCK="rt-shots-$(basename "$W")"
PIDS=()
cleanup() {
	local p
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

# The demo files, on a tmpfs of their own (private to this namespace).
mount -t tmpfs -o size=1g rt-demo /srv
mount -t tmpfs -o size=1m rt-noloop /sys/block
mkdir -p /srv/mysql /srv/log /srv/images /srv/cache
head -c $((48 << 20)) /dev/urandom >/srv/mysql/ibdata1
head -c $((3 << 20)) /dev/urandom >/srv/log/access.log
head -c $((20 << 20)) /dev/urandom >/srv/images/debian-12.iso
head -c $((6 << 20)) /dev/urandom >/srv/cache/thumbs.db
"$HOLDER" rr:/srv/mysql/ibdata1:2000000 >"$W/h1" &
PIDS+=($!)
"$HOLDER" aw:/srv/log/access.log:40000 >"$W/h2" &
PIDS+=($!)
"$HOLDER" m:/srv/images/debian-12.iso >"$W/h3" &
PIDS+=($!)
"$HOLDER" -c 2 r:/srv/cache/thumbs.db >"$W/h4" &
PIDS+=($!)
for h in h1 h2 h3 h4; do
	for _ in $(seq 200); do grep -qx ready "$W/$h" 2>/dev/null && break; sleep 0.05; done
	grep -qx ready "$W/$h" || { echo "screenshots: holder $h not ready" >&2; exit 1; }
done

# tmux with the console, fixed size, no status line.
cat >"$W/tmux.conf" <<CONF
set -g status off
set -g default-terminal tmux-256color
CONF
tmux -L "$SOCK" -f "$W/tmux.conf" new-session -d -s ui -x $COLS -y $ROWS \
	"$BIN --sample 1 --max-rate 1M --log $W/actions.log"

# X: Xvfb tells its display on fd 3; xterm attaches to the session.
exec 3<> <(:)
Xvfb -displayfd 3 -screen 0 1920x1200x24 -dpi 96 -nolisten tcp >"$W/xvfb.log" 2>&1 3>"$W/display" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/display" ] && break; sleep 0.05; done
export DISPLAY=":$(head -n 1 "$W/display")"
xterm -geometry ${COLS}x${ROWS}+0+0 -fa 'DejaVu Sans Mono' -fs 11 -bg black -fg '#e5e5e5' \
	+sb -b 6 -bw 0 -tn xterm-256color -T rescuetui-shot -xrm 'XTerm*cursorBlink: false' \
	-e tmux -L "$SOCK" attach -t ui >"$W/xterm.log" 2>&1 &
PIDS+=($!)
wid=""
for _ in $(seq 100); do
	wid=$(xdotool search --name '^rescuetui-shot$' 2>/dev/null | head -n 1) && [ -n "$wid" ] && break
	sleep 0.1
done
[ -n "$wid" ] || { echo "screenshots: no xterm window" >&2; exit 1; }

wait_for() { # TEXT: until the pane shows it (deadline 20 s)
	local n
	for n in $(seq 400); do
		tmux -L "$SOCK" capture-pane -p -t ui | grep -qF -- "$1" && return 0
		sleep 0.05
	done
	echo "screenshots: the screen never showed '$1'" >&2
	tmux -L "$SOCK" capture-pane -p -t ui >&2
	exit 1
}

# shot NAME: freeze the console (SIGSTOP: the screen stays exactly as it is), keep
# the text, grab the window until two grabs in a row are identical, go on.
shot() {
	local cpid n
	cpid=$(tmux -L "$SOCK" display -p -t ui '#{pane_pid}')
	kill -STOP "$cpid"
	tmux -L "$SOCK" capture-pane -p -t ui >"$out/$1.txt"
	xrefresh -display "$DISPLAY"
	sleep 0.3 # the repaint has no completion event to wait for
	import -window "$wid" -define png:exclude-chunks=date,time "$W/a.png"
	for n in $(seq 20); do
		sleep 0.2
		import -window "$wid" -define png:exclude-chunks=date,time "$W/b.png"
		cmp -s "$W/a.png" "$W/b.png" && break
		mv "$W/b.png" "$W/a.png"
	done
	mv "$W/a.png" "$out/$1.png"
	kill -CONT "$cpid"
	echo "screenshots: $out/$1.png"
}

keys() { tmux -L "$SOCK" send-keys -t ui "$@"; }

wait_for "/srv/mysql/ibdata1"
wait_for "random "
wait_for "append "
shot list
keys Home Enter
wait_for "Methods, best first"
wait_for "last readings"
shot detail
keys t
wait_for "For: /srv/mysql/ibdata1"
shot targets
keys q '?'
wait_for "Keys"
shot help
keys q
# A rescue by keyboard: thumbs.db (6 MiB at --max-rate 1M: about six seconds, so
# the progress view is caught mid-way) into a directory on the demo tmpfs.
mkdir -p /srv/rescued
wait_for "PATH (deleted)"
keys / C-u
keys -l thumbs
keys Enter R
wait_for "rescue: method and target"
keys C-u
keys -l /srv/resc
keys Tab
wait_for "> /srv/rescued/_"
shot picker
keys Enter
wait_for "rescue: confirm"
shot confirm
keys y
wait_for "Press ! to go ahead"
keys '!'
wait_for "copy: progress"
wait_for "ETA"
shot progress
wait_for "Rescued: verified"
shot result
keys q q
