# SIGTERM and Ctrl-C end the console with the terminal back in its normal mode:
# the shell that ran it then sees canonical input and echo again (stty -a).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

head -c 5000 /dev/urandom >"$T/held.dat"
hold r:"$T/held.dat"

# stty_ok WHAT: the pane shows stty -a after the console, in the normal mode.
stty_ok() {
	local s
	s=$(con_stty)
	grep -qE '(^| )icanon( |$)' <<<"$s" || fail "$1: input not canonical: $s"
	grep -qE '(^| )echo( |$)' <<<"$s" || fail "$1: no echo: $s"
	grep -qE '(^| )icrnl( |$)' <<<"$s" || fail "$1: no icrnl: $s"
	echo "ok: $1 left the terminal in its normal mode"
}

con_console
con_wait "$T/held.dat" "the list"
pid=$(con_pid)
kill -TERM "$pid"
assert_eq "$(con_exit_status)" $((128 + 15)) "exit status after SIGTERM (died of it)"
stty_ok SIGTERM

con_console
con_wait "$T/held.dat" "the list"
con_keys C-c
assert_eq "$(con_exit_status)" $((128 + 2)) "exit status after Ctrl-C (died of SIGINT)"
stty_ok Ctrl-C

con_console
con_wait "$T/held.dat" "the list"
kill -HUP "$(con_pid)"
assert_eq "$(con_exit_status)" $((128 + 1)) "exit status after SIGHUP"
stty_ok SIGHUP

# A crash: the handler restores the terminal, then the signal goes on to the
# previous handler (the default one, or the sanitizer's in an ASan build, which
# reports and exits 1).
con_console
con_wait "$T/held.dat" "the list"
kill -SEGV "$(con_pid)"
st=$(con_exit_status)
[ "$st" = $((128 + 11)) ] || [ "$st" = 1 ] || fail "exit status after SIGSEGV: $st"
echo "ok: died of the crash signal ($st)"
stty_ok SIGSEGV
con_history | grep -qF "rescuetui: crashed; the terminal was restored" ||
	fail "no word of the crash: $(con_history)"
echo "ok: the crash was reported"
