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

# filtered TITLE SHOWN LEFT-OUT FILTER-ARGS...: the console started with the filter
# lists and pins SHOWN, shows TITLE in its title line, and neither lists nor pins
# LEFT-OUT; q ends it with status 0.
filtered() {
	local title=$1 shown=$2 out=$3 pid
	shift 3
	con_run "$RT_BIN" "$@"
	con_wait "$shown" "the file the filter takes"
	con_wait "$title" "the filter in the title"
	pid=$(con_pid)
	pinned() { pins_of "$pid" | grep -qF "$1"; }
	wait_for 10 "the console's pin of $shown" pinned "$shown"
	# (its name only: the list may cut a long path on the left)
	! con_screen | grep -qF "${out##*/}" || fail "$out is listed"
	! pinned "$out" || fail "the console pins $out, which the filter leaves out"
	con_keys q
	assert_eq "$(con_exit_status)" 0 "exit status after q"
}

tcase "--only PATH: under PATH only, the sibling neither shown nor pinned"
filtered "only $T/a" "$T/a/in.dat" "$T/ab/out.dat" --only "$T/a"

tcase "--pid PID: that process's files only"
filtered "pid $out_pid" "$T/ab/out.dat" "$T/a/in.dat" --pid "$out_pid"

tcase "--only with a relative path that does not exist: a usage error"
set +e
(cd "$T" && "$RT_BIN" --only relative/nowhere </dev/null >/dev/null 2>"$T/err")
rc=$?
set -e
assert_eq "$rc" 2 "exit status"
grep -qF -- "--only wants an absolute path" "$T/err" || fail "message: $(cat "$T/err")"
