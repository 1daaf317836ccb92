# The console takes the commands' scan filter: --only PATH (PATH or under it, not a
# sibling that merely starts the same) and --pid PID. What the filter leaves out is
# neither listed nor pinned: the console holds no fd of it.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
need_root

mkdir "$T/a" "$T/ab"
head -c 100000 /dev/urandom >"$T/a/in.dat"
head -c 200000 /dev/urandom >"$T/ab/out.dat"
hold r:"$T/a/in.dat"
hold r:"$T/ab/out.dat"
out_pid=$HPID

# pins_of PID: the deleted files the program in the pane holds open itself.
pins_of() { find "/proc/$1/fd" -lname '*(deleted)' -printf '%l\n' 2>/dev/null; }

tcase "--only PATH: under PATH only, the sibling neither shown nor pinned"
con_run "$RT_BIN" --only "$T/a"
con_wait "$T/a/in.dat" "the file under PATH"
con_wait "only $T/a" "the filter in the title"
pid=$(con_pid)
pinned() { pins_of "$pid" | grep -qF "$1"; }
wait_for 10 "the console's pin of in.dat" pinned "$T/a/in.dat"
! con_screen | grep -qF "out.dat" || fail "the sibling directory's file is listed"
! pins_of "$pid" | grep -qF "out.dat" || fail "the console pins a file outside --only"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"

tcase "--pid PID: that process's files only"
con_run "$RT_BIN" --pid "$out_pid"
con_wait "$T/ab/out.dat" "the file PID holds"
con_wait "pid $out_pid" "the filter in the title"
pid=$(con_pid)
wait_for 10 "the console's pin of out.dat" pinned "$T/ab/out.dat"
! con_screen | grep -qF "in.dat" || fail "another process's file is listed"
! pins_of "$pid" | grep -qF "in.dat" || fail "the console pins a file of another process"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"

tcase "--only with a relative path that does not exist: a usage error"
set +e
(cd "$T" && "$RT_BIN" --only relative/nowhere </dev/null >/dev/null 2>"$T/err")
rc=$?
set -e
assert_eq "$rc" 2 "exit status"
grep -qF -- "--only wants an absolute path" "$T/err" || fail "message: $(cat "$T/err")"
