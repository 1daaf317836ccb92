# Drive the console in a private tmux server, for the console_*.sh tests. Source it
# after lib.bash. Each test gets its own server (tmux -L, no config file), a pane
# of a fixed size, keys with send-keys and the screen with capture-pane; waits poll
# the screen with a deadline and fail loudly with what the screen showed.
need_cmd tmux

CON_BASE="rt-con-$$-$RANDOM"
CON_SOCK="$CON_BASE-0"
CON_W=100
CON_H=30
CON_DEADLINE=${CON_DEADLINE:-15} # seconds a wait may take (ASan builds are slower)
# con_forget SOCK: end that server and remove its socket.
con_forget() {
	tmux -L "$1" kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$1"
}

ctmux() { tmux -L "$CON_SOCK" "$@"; }

# con_run [--size WxH] CMD...: start CMD (quoted as given) in the pane, under a
# shell that writes its exit status to a file when it ends ("exit N", or 128+N
# after signal N) and leaves the terminal to `stty -a` (printed after a line
# "--- stty", followed by "--- end"), so tests can see the state the console left it in. The status
# does not come from tmux: its server sometimes left the exited console a zombie
# after resize-window.
CON_N=0
con_run() {
	local cmd="" a
	CON_W=100
	CON_H=30
	if [ "$1" = --size ]; then
		CON_W=${2%x*}
		CON_H=${2#*x}
		shift 2
	fi
	# A new server each run: a new command on the socket of one being killed can
	# reach it as it dies ("server exited unexpectedly").
	con_forget "$CON_SOCK"
	CON_N=$((CON_N + 1))
	CON_SOCK="$CON_BASE-$CON_N"
	UNDO+=("con_forget $CON_SOCK")
	CON_STATUS="$T/console.$CON_N.status"
	for a in "$@"; do cmd+="$(printf '%q ' "$a")"; done
	# Sanitizer settings reach the program even if the server had other ones.
	cmd="env ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-} LSAN_OPTIONS=${LSAN_OPTIONS:-} $cmd"
	# CON_STDERR=FILE keeps what the program writes on stderr (sanitizer reports).
	[ -z "${CON_STDERR:-}" ] || cmd+=" 2>$(printf %q "$CON_STDERR")"
	# A trap (not an ignored signal) keeps the shell alive through Ctrl-C while
	# the console gets the default disposition.
	# No core files from the crash tests in the working directory.
	cmd="ulimit -c 0; trap : INT; $cmd; echo \"exit \$?\" >$(printf %q "$CON_STATUS"); echo '--- stty'; stty -a; echo '--- end'"
	ctmux -f /dev/null start-server \; set -g remain-on-exit on \; \
		set -g status off \; \
		new-session -d -s ui -x "$CON_W" -y "$CON_H" "bash -c $(printf %q "$cmd")"
}

# con_console ARGS...: the console itself, showing (and pinning) only this test's
# files: the machine is shared, and other tests' files are none of its business.
con_console() {
	con_run "$RT_BIN" --only "$T/" "$@"
}

con_screen() { ctmux capture-pane -p -t ui; }
con_history() { ctmux capture-pane -p -S - -t ui; } # with what scrolled away

# con_stty: wait for the shell's stty -a after the program; print it.
con_stty() {
	local end=$((SECONDS + CON_DEADLINE))
	until con_history | grep -qx -- "--- end"; do
		[ $SECONDS -lt $end ] || fail "no stty -a after the program: $(con_history)"
		sleep 0.05
	done
	con_history | sed -n '/^--- stty$/,/^--- end$/p'
}
con_keys() { ctmux send-keys -t ui "$@"; }
con_resize() { ctmux resize-window -t ui -x "$1" -y "$2"; }

# con_until WANT GREP-FLAG PATTERN SAY-OK SAY-FAIL: poll the screen until grep
# GREP-FLAG PATTERN finds it (WANT=found) or no longer does (WANT=gone); at the
# deadline show the screen and fail with SAY-FAIL.
con_until() {
	local want=$1 flag=$2 pat=$3 ok=$4 bad=$5 end=$((SECONDS + CON_DEADLINE)) hit
	for (( ; ; )); do
		hit=gone
		con_screen | grep -q"$flag" -- "$pat" && hit=found
		[ "$hit" = "$want" ] && break
		if [ $SECONDS -ge $end ]; then
			con_screen | sed 's/^/    screen| /' >&2
			fail "$bad within ${CON_DEADLINE}s"
		fi
		sleep 0.05
	done
	echo "ok: $ok"
}

# con_wait TEXT [WHAT]: until the screen shows TEXT (fixed string).
con_wait() {
	con_until found F "$1" "${2:-screen shows} '$1'" "${2:-the screen} did not show '$1'"
}

# con_wait_re REGEX [WHAT]: the same with an extended regular expression.
con_wait_re() {
	con_until found E "$1" "${2:-screen matches} /$1/" "${2:-the screen} did not match /$1/"
}

# con_wait_gone TEXT [WHAT]: until the screen no longer shows TEXT.
con_wait_gone() {
	con_until gone F "$1" "${2:-screen no longer shows} '$1'" \
		"${2:-the screen} still showed '$1'"
}

# con_exit_status: wait for the program in the pane to end; print its exit status
# (128+N when signal N ended it).
con_exit_status() {
	local end=$((SECONDS + CON_DEADLINE))
	until [ -s "$CON_STATUS" ]; do
		if [ $SECONDS -ge $end ]; then
			con_where >&2
			fail "the console did not exit within ${CON_DEADLINE}s"
		fi
		sleep 0.05
	done
	awk '{print $2}' "$CON_STATUS"
}

# con_pid: the pid of the program in the pane (the child of the pane's shell).
con_pid() { pgrep -P "$(ctmux display -p -t ui '#{pane_pid}')" | head -n 1; }

# con_where: where the threads of the program in the pane wait (for failures).
con_where() {
	local t pid
	pid=$(con_pid)
	con_screen | sed 's/^/    screen| /'
	for t in /proc/"$pid"/task/*; do
		echo "    thread ${t##*/}: $(cat "$t/wchan" 2>/dev/null) $(cut -d' ' -f3 "$t/stat" 2>/dev/null)"
		sed 's/^/        /' "$t/stack" 2>/dev/null | head -n 12
	done
	grep -E '^(State|PPid|Threads|SigQ|SigPnd|ShdPnd)' /proc/"$pid"/status 2>/dev/null | sed 's/^/    /'
}

# con_row TEXT: the screen line that shows TEXT (the first one), without the marker
# of the selected row, so that awk's $1 is the size.
con_row() { con_screen | grep -F -- "$1" | head -n 1 | sed -E 's/^(►|>)? +//'; }

# con_select TEXT: move the list's selection to the row showing TEXT (a sanitizer's
# runtime may hold deleted files of its own in the same holders, which a filter on
# their command lines then shows too).
con_select() {
	local cur end
	con_keys Home
	end=$((SECONDS + CON_DEADLINE))
	until con_screen | grep -A1 -F "PATH (deleted)" | tail -n 1 | grep -qE "^(►|>) "; do
		[ $SECONDS -lt $end ] || fail "Home did not select the first row"
		sleep 0.05
	done
	for _ in 1 2 3 4 5 6; do
		cur=$(con_screen | grep -E "^(►|>) " | head -n 1)
		[[ $cur == *"$1"* ]] && return 0
		con_keys j
		end=$((SECONDS + CON_DEADLINE))
		until [ "$(con_screen | grep -E "^(►|>) " | head -n 1)" != "$cur" ]; do
			[ $SECONDS -lt $end ] || fail "the selection did not move to $1"
			sleep 0.05
		done
	done
	fail "no row shows $1"
}

# con_go: on the confirmation, y, and the ! it asks for when the rescue has an
# extra risk (the file's own filesystem, a freeze, little space left).
con_go() {
	if con_screen | grep -q "EXTRA RISK"; then
		con_keys y
		con_wait "Press ! to go ahead" "the second key's question"
		con_keys '!'
	else
		con_keys y
	fi
}
