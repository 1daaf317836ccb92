# --max-iterations stops the real console after that many turns of its main loop,
# with the worker scanning and sampling meanwhile: in `make check-asan` (RT_BIN is
# the ASan/UBSan build there) this runs the whole console under the sanitizers, and
# nothing may be reported.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

head -c $((1 << 20)) /dev/urandom >"$T/quiet.dat"
head -c $((1 << 20)) /dev/urandom >"$T/busy.dat"
hold r:"$T/quiet.dat" rr:"$T/busy.dat":200000

CON_STDERR="$T/stderr" con_run "$RT_BIN" --only "$T/" --sample 0.3 --max-iterations 40
con_wait "$T/busy.dat" "the list"
st=$(con_exit_status)
if grep -qE "Sanitizer|runtime error|LeakSanitizer" "$T/stderr"; then
	fail "sanitizer report: $(head -c 4000 "$T/stderr")"
fi
assert_eq "$st" 0 "exit status after 40 turns"
# LeakSanitizer lists the suppressions it used (libproc2's caches): that is no report.
rest=$(grep -vE '^(-+|Suppressions used:| +count +bytes +template| +[0-9]+ +[0-9]+ .*)$' "$T/stderr" || true)
[ -z "$rest" ] || fail "unexpected output on stderr: $rest"
echo "ok: nothing on stderr"

# With keys in between: detail, targets, help, filter, sort, resize.
CON_STDERR="$T/stderr2" con_run "$RT_BIN" --only "$T/" --sample 0.3 --max-iterations 400
con_wait "$T/busy.dat" "the list"
con_keys Enter
con_wait "Methods, best first" "the detail"
con_keys t
con_wait "FSTYPE" "the targets"
con_keys q '?'
con_wait "Keys" "the help"
con_keys q s s s I / BSpace x x x Enter
con_wait "0 of " "the filtered list"
con_resize 60 15
con_wait "terminal too small" "the too-small screen"
con_resize 100 30
con_wait_gone "terminal too small" "the list again"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
if grep -qE "Sanitizer|runtime error" "$T/stderr2"; then
	fail "sanitizer report: $(head -c 4000 "$T/stderr2")"
fi
echo "ok: no sanitizer report"
