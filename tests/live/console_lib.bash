# Drive the console in a private tmux server, for the console_*.sh tests. Source it
# after lib.bash. Each test gets its own server (tmux -L, no config file), a pane
# of a fixed size, keys with send-keys and the screen with capture-pane; waits poll
# the screen with a deadline and fail loudly with what the screen showed.
need_cmd tmux

CON_SOCK="rt-con-$$-$RANDOM"
CON_W=100
CON_H=30
CON_DEADLINE=${CON_DEADLINE:-15} # seconds a wait may take (ASan builds are slower)
UNDO+=("tmux -L $CON_SOCK kill-server 2>/dev/null")

ctmux() { tmux -L "$CON_SOCK" "$@"; }

# con_run [--size WxH] CMD...: start CMD (quoted as given) in the pane. The pane stays
# after CMD exits, so its status and last screen can be read.
con_run() {
	local cmd="" a
	if [ "$1" = --size ]; then
		CON_W=${2%x*}
		CON_H=${2#*x}
		shift 2
	fi
	for a in "$@"; do cmd+="$(printf '%q ' "$a")"; done
	# Sanitizer settings reach the program even if the server had other ones.
	cmd="exec env ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-} LSAN_OPTIONS=${LSAN_OPTIONS:-} $cmd"
	ctmux -f /dev/null start-server \; set -g remain-on-exit on \; \
		set -g status off \; \
		new-session -d -s ui -x "$CON_W" -y "$CON_H" "$cmd"
}

# con_console ARGS...: the console itself, showing only this test's files.
con_console() {
	con_run "$RT_BIN" --filter "$T/" "$@"
}

con_screen() { ctmux capture-pane -p -t ui; }
con_keys() { ctmux send-keys -t ui "$@"; }
con_resize() { ctmux resize-window -t ui -x "$1" -y "$2"; }

# con_wait TEXT [WHAT]: until the screen shows TEXT (fixed string).
con_wait() {
	local end=$((SECONDS + CON_DEADLINE))
	until con_screen | grep -qF -- "$1"; do
		if [ $SECONDS -ge $end ]; then
			con_screen | sed 's/^/    screen| /' >&2
			fail "${2:-the screen} did not show '$1' within ${CON_DEADLINE}s"
		fi
		sleep 0.05
	done
	echo "ok: ${2:-screen shows} '$1'"
}

# con_wait_re REGEX [WHAT]: the same with an extended regular expression.
con_wait_re() {
	local end=$((SECONDS + CON_DEADLINE))
	until con_screen | grep -qE -- "$1"; do
		if [ $SECONDS -ge $end ]; then
			con_screen | sed 's/^/    screen| /' >&2
			fail "${2:-the screen} did not match /$1/ within ${CON_DEADLINE}s"
		fi
		sleep 0.05
	done
	echo "ok: ${2:-screen matches} /$1/"
}

# con_wait_gone TEXT [WHAT]: until the screen no longer shows TEXT.
con_wait_gone() {
	local end=$((SECONDS + CON_DEADLINE))
	while con_screen | grep -qF -- "$1"; do
		if [ $SECONDS -ge $end ]; then
			con_screen | sed 's/^/    screen| /' >&2
			fail "${2:-the screen} still shows '$1' after ${CON_DEADLINE}s"
		fi
		sleep 0.05
	done
	echo "ok: ${2:-screen no longer shows} '$1'"
}

# con_exit_status: wait for the program in the pane to end; print its exit status.
con_exit_status() {
	local end=$((SECONDS + CON_DEADLINE))
	until [ "$(ctmux display -p -t ui '#{pane_dead}')" = 1 ]; do
		[ $SECONDS -lt $end ] || fail "the console did not exit within ${CON_DEADLINE}s"
		sleep 0.05
	done
	local st
	st=$(ctmux display -p -t ui '#{pane_dead_status}')
	[ -n "$st" ] || st="signal $(ctmux display -p -t ui '#{pane_dead_signal}')"
	echo "$st"
}

# con_pid: the pid of the program in the pane (it was exec'ed by the pane's shell).
con_pid() { ctmux display -p -t ui '#{pane_pid}'; }

# con_row TEXT: the screen line that shows TEXT (the first one), without the marker
# of the selected row, so that awk's $1 is the size.
con_row() { con_screen | grep -F -- "$1" | head -n 1 | sed -E 's/^(►|>)? +//'; }
