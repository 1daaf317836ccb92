# A process whose fds even root may not read (it has privileges the scanner lacks:
# here CAP_SYS_PTRACE is dropped from the scanner's bounding set) is counted as
# denied, once, by both ways of scanning, and said so on stderr; its files are not
# listed, nothing is counted as vanished, and after the first refusal the walk reads
# no more of its fds nor its threads' tables (the kernel checks the process, not
# the fd). A run with every capability, the control, lists both of its files.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
need_cmd setpriv

head -c 3000 /dev/urandom >"$T/shared"
head -c 7000 /dev/urandom >"$T/private"
# a thread with an fd table of its own: one file only there, one in both tables
hold_thread "$T/shared" "$T/private"

weaker() { setpriv --inh-caps=-sys_ptrace --bounding-set=-sys_ptrace "$@"; }
weaker true || skip "setpriv cannot drop CAP_SYS_PTRACE here"

methods=(proc)
"$RT_BIN" --list --json --sample 0 --scan bpf >/dev/null 2>&1 && methods+=(bpf)
for m in "${methods[@]}"; do
	"$RT_BIN" --list --json --sample 0 --scan "$m" --pid "$HPID" >"$T/all.json"
	assert_eq "$(jq '.files | length' "$T/all.json")" 2 "$m: files with every capability"
	assert_eq "$(jq .scan.denied "$T/all.json")" 0 "$m: refusals with every capability"

	weaker "$RT_BIN" --list --json --sample 0 --scan "$m" --pid "$HPID" \
		>"$T/weak.json" 2>"$T/weak.err" || fail "$m: the weaker run failed: $(cat "$T/weak.err")"
	assert_eq "$(jq .scan.method "$T/weak.json")" "\"$m\"" "$m: the path taken"
	assert_eq "$(jq '.files | length' "$T/weak.json")" 0 "$m: files listed"
	assert_eq "$(jq .scan.denied "$T/weak.json")" 1 "$m: processes refused"
	assert_eq "$(jq .scan.vanished "$T/weak.json")" 0 "$m: counted as vanished"
	grep -q "^$RT_NAME: 1 process could not be inspected even as root" "$T/weak.err" ||
		fail "$m: stderr does not say so: $(cat "$T/weak.err")"
	echo "ok: $m: one refusal, said, nothing vanished"
done

# The walk stops at the first refusal: one readlink in the process's fd table, no
# thread table opened.
if command -v strace >/dev/null 2>&1; then
	# (LeakSanitizer cannot run under ptrace)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 weaker strace -f -yy \
		-e trace=readlinkat,openat -o "$T/trace" \
		"$RT_BIN" --list --json --sample 0 --scan proc --pid "$HPID" >"$T/weak.json" 2>/dev/null
	links=$(grep -c "readlinkat([0-9]*</proc/$HPID/fd>" "$T/trace" || true)
	assert_eq "$links" 1 "readlinks in the refused table"
	grep -q "</proc/$HPID/task" "$T/trace" && fail "a thread's table was looked at"
	assert_eq "$(jq .scan.threads "$T/weak.json")" 0 "thread tables looked at"
	echo "ok: the walk stopped at the first refusal"
fi
