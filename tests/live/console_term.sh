# Terminals: resize below the minimum and back, the Linux console in monochrome
# with ASCII in the C locale, a file name carrying terminal escapes, and TERM=dumb.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

# A name that would set the window title and turn text red if printed raw.
evil="$T/evil"$'\e]0;PWNED\a\e[31m'"red"
head -c 5000 /dev/urandom >"$T/plain.dat"
head -c 5000 /dev/urandom >"$evil"
hold r:"$T/plain.dat" r:"$evil"

# Wide characters and a combining mark, in a UTF-8 locale: shown as they are, the
# columns before them in place.
wide="$T/宽字符名.dat" comb="$T/cafe"$'\u0301'".dat"
head -c 5000 /dev/urandom >"$wide"
head -c 5000 /dev/urandom >"$comb"
hold r:"$wide" r:"$comb"
con_run env LANG=C.UTF-8 LC_ALL=C.UTF-8 "$RT_BIN" --only "$T/"
con_wait_re "static +holder\[[0-9]+\] fd3 r +copy +$T/宽字符名\.dat\$" "the wide name in its column"
con_wait_re "static +holder\[[0-9]+\] fd4 r +copy +$T/cafe"$'\u0301'"\.dat\$" "the combining mark"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"

# Resize to 60x15: the too-small screen, then back.
con_console
con_wait "$T/plain.dat" "the list"
con_resize 60 15
con_wait "terminal too small (needs 80x24)" "the too-small screen"
con_wait "now 60x15" "the size it has"
con_resize 40 10
con_wait "now 40x10" "the too-small screen at 40x10"
con_resize 100 30
con_wait "$T/plain.dat" "the list after enlarging"
con_wait_gone "terminal too small" "the list after enlarging"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"

# The Linux console, no colour, C locale, 80x24: attributes only, ASCII only.
con_run --size 80x24 env TERM=linux NO_COLOR=1 LANG=C LC_ALL=C "$RT_BIN" --only "$T/"
# 80 columns cut paths from the left: their ends tell them apart.
con_wait "/plain.dat" "the list under TERM=linux"
con_wait_re '^> ' "the ASCII marker of the selected row"
con_wait ';PWNED\x07\e[31mred' "the escaped name"
shot=$(ctmux capture-pane -e -p -t ui)
# SGR colour codes: 30-38 and 90-97 foreground, 40-48 and 100-107 background (tmux
# writes 39 and 49, the default colours, around every cell: those are no colour).
if grep -qE $'\e\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m' <<<"$shot"; then
	fail "colour escapes under NO_COLOR: $(grep -E $'\e\\[' <<<"$shot" | head -n 3 | cat -v)"
fi
echo "ok: no colour escapes under NO_COLOR"
if LC_ALL=C grep -q $'[\x80-\xff]' <<<"$shot"; then
	fail "non-ASCII bytes in the C locale: $(LC_ALL=C grep $'[\x80-\xff]' <<<"$shot" | cat -v)"
fi
echo "ok: only ASCII in the C locale"
assert_eq "$(ctmux display -p -t ui '#{pane_title}' | grep -c PWNED || true)" 0 "the pane title is untouched"
con_keys F1
con_wait "Keys" "help by F1 under TERM=linux"
con_keys Escape
con_wait "PATH (deleted)" "back on the list"
con_keys F10
assert_eq "$(con_exit_status)" 0 "exit status after F10 under TERM=linux"

# An unknown terminal type falls back to a built-in entry, with a note.
# (--filter rather than --only here: it starts filtered, all the same.)
con_run env TERM=no-such-terminal-here "$RT_BIN" --filter "$T/"
con_wait "/plain.dat" "the list with an unknown TERM"
con_wait 'drawing as "linux"' "the note about the fallback"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status with an unknown TERM"

# TERM=dumb: no console, a hint to use --list, exit status 2.
con_run env TERM=dumb "$RT_BIN"
assert_eq "$(con_exit_status)" 2 "exit status under TERM=dumb"
con_history | grep -qF "use $RT_NAME --list" || fail "no hint: $(con_history)"
echo "ok: the hint names --list"
