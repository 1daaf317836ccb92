#!/usr/bin/env bash
# How fast the console answers keys while a large sync runs in its own thread.
# As root: a private tmpfs (SIZE_MIB*3 + 64 MiB: the copy on the file's own filesystem
# must leave the writer room) under the work directory holds a
# held deleted file of SIZE_MIB MiB (written in full: no holes) that a holder
# rewrites at random at 1 MB/s; the console (tmux, its own server) starts a sync
# of it to the same tmpfs by keyboard, then KEYS times a character is typed into
# the filter and the time until tmux shows it is taken. Prints the median and the
# largest echo time and how far the sync got meanwhile. Goal: every echo < 100 ms.
set -u
NAME=console-keys
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
SIZE_MIB=${SIZE_MIB:-4096}
KEYS=${KEYS:-40}
[ "$(id -u)" = 0 ] || { echo "$NAME: needs root (tmpfs)" >&2; exit 1; }
bench_start "$top" holder
sock="rt-bench-$$"
mnt="$work/fs"
mkdir "$mnt"
mount -t tmpfs -o size=$((SIZE_MIB * 3 + 64))m rt-bench "$mnt" || exit 1
cleanup_all() {
	tmux -L "$sock" kill-server 2>/dev/null
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for _ in $(seq 100); do umount "$mnt" 2>/dev/null && break; sleep 0.1; done
	rm -rf "$work"
}
trap cleanup_all EXIT
dd if=/dev/zero of="$mnt/big.img" bs=1M count="$SIZE_MIB" status=none
mkdir "$mnt/out"
"$top/build/tests/holder" rr:"$mnt/big.img":1000000 >"$work/h" &
pids+=($!)
for _ in $(seq 200); do grep -qx ready "$work/h" && break; sleep 0.05; done
screen() { tmux -L "$sock" capture-pane -p -t b; }
until_shows() { # TEXT [SECONDS]
	local end=$((SECONDS + ${2:-60}))
	until screen | grep -qF -- "$1"; do
		[ $SECONDS -lt $end ] || { echo "$NAME: never saw '$1'" >&2; screen >&2; exit 1; }
		sleep 0.01
	done
}
tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 \
	"$RT_BIN --only $mnt/ --log $work/actions.log"
until_shows "$mnt/big.img"
tmux -L "$sock" send-keys -t b Enter
until_shows "Methods, best first"
tmux -L "$sock" send-keys -t b s
until_shows "rescue: method and target"
tmux -L "$sock" send-keys -t b C-u
tmux -L "$sock" send-keys -t b -l "$mnt/out/"
tmux -L "$sock" send-keys -t b Enter
until_shows "rescue: confirm"
tmux -L "$sock" send-keys -t b y
sleep 0.2
screen | grep -q "Press !" && tmux -L "$sock" send-keys -t b '!'
until_shows "sync: progress"
tmux -L "$sock" send-keys -t b b
until_shows "PATH (deleted)"
tmux -L "$sock" send-keys -t b /
until_shows "Filter: "
times=()
text=""
for i in $(seq "$KEYS"); do
	c=$(printf "\\x$(printf %x $((97 + i % 26)))")
	text+=$c
	t0=$(date +%s%N)
	tmux -L "$sock" send-keys -t b -l "$c"
	until screen | grep -qF -- "Filter: $text"; do :; done
	times+=($((($(date +%s%N) - t0) / 1000)))
done
tmux -L "$sock" send-keys -t b Enter
tmux -L "$sock" send-keys -t b Escape
sleep 0.5
state=$(screen | grep -oE '\[(sync [0-9]+%|verified|rescued|failed)\]' | head -n 1)
med=$(printf '%s\n' "${times[@]}" | median)
max=$(printf '%s\n' "${times[@]}" | sort -g | tail -n 1)
echo "console key echo during a sync of $SIZE_MIB MiB: median ${med} us, max ${max} us over $KEYS keys (job then: ${state:-?})"
