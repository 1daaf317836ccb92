# A filter (--only PATH, --pid PID) is applied before anything is pinned, on
# both ways of finding candidates: with BPF iterators as with the walk of /proc,
# the report holds only what the filter asks for, the two paths report the same,
# and no file outside the filter is opened (strace: every pin, an open of
# /proc/PID/fd/N or /proc/PID/map_files/RANGE, is one of the wanted process's).
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd strace
"$RT_BIN" --list --json --sample 0 --scan bpf >"$T/probe.json" 2>"$T/probe.err" ||
	skip "the BPF scan does not work here: $(cat "$T/probe.err")"

mkdir "$T/a" "$T/b"
for f in a/fd a/map a/fd2 b/fd b/map; do head -c $((RANDOM + 100)) /dev/urandom >"$T/$f"; done
hold r:"$T/a/fd" m:"$T/a/map" r:"$T/b/fd" # one process holding under both
pid_ab=$HPID
hold r:"$T/a/fd2" m:"$T/b/map" # another, also under both
pid_2=$HPID

# ours only: the machine is shared with other tests
summary() {
	jq -r --arg t "$T/" '.files[] | select(.path | startswith($t)) |
		"\(.id) \(.path) " + ([.holders[] | "\(.type):\(.pid):\(.fd)"] | sort | join(","))' "$1" |
		sort
}
paths() { jq -r '[.files[].path] | sort | join(" ")' "$1"; }

# pinned PIDS... : fail when the run traced in $T/trace opened a file through
# another process's fd or map_files (a pin) than PIDS
pinned_only() {
	local bad
	bad=$(grep -E '^[0-9]+ +openat\(' "$T/trace" | { grep -v 'O_DIRECTORY' || true; } |
		sed -nE 's#.*openat\([0-9]+</proc/([0-9]+)/(task/[0-9]+/)?(fd|map_files)>.*#\1#p;
			s#.*openat\([0-9]+</proc>, "([0-9]+)/(task/[0-9]+/)?(fd|map_files)/.*#\1#p' |
		sort -u | { grep -vxE "$(echo "$@" | tr ' ' '|')" || true; })
	[ -z "$bad" ] || fail "$1: opened files of other processes: $bad"
}

# (LeakSanitizer cannot run under ptrace: an ASan build is traced without it.)
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -y -qq -e trace=openat -o "$T/trace" "$RT_BIN" "$@"
}

for m in bpf proc; do
	tcase "--only PATH with --scan $m"
	traced --list --json --sample 0 --scan $m --only "$T/a" >"$T/only.$m.json" ||
		fail "--only with --scan $m failed"
	assert_eq "$(jq -r .scan.method "$T/only.$m.json")" $m "the path taken"
	assert_eq "$(paths "$T/only.$m.json")" "$T/a/fd $T/a/fd2 $T/a/map" "files under $T/a"
	pinned_only "$pid_ab" "$pid_2"
	summary "$T/only.$m.json" >"$T/only.$m.txt"

	tcase "--pid PID with --scan $m"
	traced --list --json --sample 0 --scan $m --pid "$pid_2" >"$T/pid.$m.json" ||
		fail "--pid with --scan $m failed"
	assert_eq "$(paths "$T/pid.$m.json")" "$T/a/fd2 $T/b/map" "files of $pid_2"
	pinned_only "$pid_2"
	summary "$T/pid.$m.json" >"$T/pid.$m.txt"

	tcase "--only PATH and --pid PID with --scan $m"
	traced --list --json --sample 0 --scan $m --only "$T/b" --pid "$pid_ab" >"$T/both.$m.json" ||
		fail "both filters with --scan $m failed"
	assert_eq "$(paths "$T/both.$m.json")" "$T/b/fd" "files of $pid_ab under $T/b"
	pinned_only "$pid_ab"
done

tcase the two paths report the same filtered files
diff "$T/only.proc.txt" "$T/only.bpf.txt" || fail "--only: the two paths differ"
diff "$T/pid.proc.txt" "$T/pid.bpf.txt" || fail "--pid: the two paths differ"

tcase auto takes BPF with a filter
"$RT_BIN" --list --json --sample 0 --only "$T/a" >"$T/auto.json"
assert_eq "$(jq -r .scan.method "$T/auto.json")" bpf "auto with --only"
