# The command line: help, version, usage errors (exit 2), --list as a person reads
# it, an empty machine, and the filters --only and --pid: what they leave out is
# neither shown nor pinned.
. "$(dirname "$0")/lib.bash"
need_cmd jq

# rc CMD...: run CMD with set -e off; its exit status in RC
rc() { set +e; "$@"; RC=$?; set -e; }

tcase help and version
"$RT_BIN" --help >"$T/help"
for opt in --list --json --only --pid --recover --targets --max-rate --log; do
	grep -q -- "$opt" "$T/help" || fail "--help does not mention $opt"
done
"$RT_BIN" --version | grep -Eq '^rescuetui [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"

tcase usage errors
rc "$RT_BIN" --no-such-option >"$T/out" 2>"$T/err"
assert_eq $RC 2 "bad option exit status"
[ "$(wc -l <"$T/err")" -le 3 ] || fail "bad option message is not short: $(cat "$T/err")"
grep -q -- "--help" "$T/err" || fail "bad option message does not point to --help"
[ ! -s "$T/out" ] || fail "bad option printed to stdout"
rc "$RT_BIN" --list stray >/dev/null 2>"$T/err"
assert_eq $RC 2 "stray argument exit status"
rc "$RT_BIN" --list --only relative/nowhere >/dev/null 2>"$T/err"
assert_eq $RC 2 "--only with a relative path that does not exist"
grep -q -- "--only" "$T/err" || fail "--only error does not name it: $(cat "$T/err")"
for bad in x 0 -3 1,,2 12x; do
	rc "$RT_BIN" --list --pid "$bad" >/dev/null 2>"$T/err"
	assert_eq $RC 2 "--pid '$bad' exit status"
done

tcase the man page documents every option
for opt in $(grep -oE -- '--[a-z-]+' "$T/help" | sort -u); do
	grep -qF -- "${opt//-/\\-}" "$RT_TOP/man/rescuetui.8" || fail "man page lacks $opt"
done

# Two held deleted files in two directories, a third held by another process.
mkdir -p "$T/a" "$T/b" "$T/c"
head -c 300000 /dev/urandom >"$T/a/alpha.db"
head -c 4000 /dev/urandom >"$T/b/beta.log"
head -c 5000 /dev/urandom >"$T/c/gamma.bin"
ino_a=$(stat -c %i "$T/a/alpha.db") ino_b=$(stat -c %i "$T/b/beta.log")
hold r:"$T/a/alpha.db" w:"$T/b/beta.log"
pid1=$HPID hout1=$HOUT
hold rw:"$T/c/gamma.bin"
pid2=$HPID

tcase --list shows a held file as a person reads it
"$RT_BIN" --list --json --only "$T" --sample 0 >"$T/l.json"
assert_eq "$(jq -r --argjson i "$ino_a" '.files[] | select(.ino == $i) | "\(.path) \(.size) \(.holders[0].pid)"' "$T/l.json")" \
	"$T/a/alpha.db 300000 $pid1" "alpha.db in the JSON"
assert_eq "$(jq '.files | length' "$T/l.json")" 3 "files under \$T"
id_a=$(jq -r --argjson i "$ino_a" '.files[] | select(.ino == $i) | .id' "$T/l.json")
"$RT_BIN" --list --only "$T" --sample 0 >"$T/table"
row=$(grep -F -- "$T/a/alpha.db" "$T/table" | head -n 1) || fail "table lacks alpha.db: $(cat "$T/table")"
read -r -a f <<<"$row"
assert_eq "${f[0]} ${f[1]} ${f[3]} ${f[4]} ${f[5]} ${f[6]} ${f[-1]}" \
	"$id_a 293K file static holder[$pid1] fd$(hfd "$hout1" 0) $T/a/alpha.db" \
	"table row: id, size, kind, change, holder, fd, path"

tcase --only keeps what is under the path, repeatable
"$RT_BIN" --list --json --only "$T/a" --sample 0 >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | sort | join(" ")' "$T/l.json")" "$T/a/alpha.db" "--only a"
"$RT_BIN" --list --json --only "$T/a/" --only "$T/c" --sample 0 >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | sort | join(" ")' "$T/l.json")" "$T/a/alpha.db $T/c/gamma.bin" "--only a/ --only c"
# A prefix of a name is no directory: $T/a must not take $T/ab.
mkdir "$T/ab"
head -c 10 /dev/urandom >"$T/ab/x"
hold r:"$T/ab/x"
"$RT_BIN" --list --json --only "$T/a" --sample 0 >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | join(" ")' "$T/l.json")" "$T/a/alpha.db" "--only a leaves ab out"
# A relative path is taken from here.
(cd "$T" && "$RT_BIN" --list --json --only b --sample 0) >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | join(" ")' "$T/l.json")" "$T/b/beta.log" "--only b from \$T"

tcase --pid keeps what these processes hold
"$RT_BIN" --list --json --pid "$pid2" --sample 0 >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | join(" ")' "$T/l.json")" "$T/c/gamma.bin" "--pid holder 2"
"$RT_BIN" --list --json --pid "$pid1,$pid2" --only "$T" --sample 0 >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | sort | join(" ")' "$T/l.json")" \
	"$T/a/alpha.db $T/b/beta.log $T/c/gamma.bin" "--pid both (comma list)"
"$RT_BIN" --list --json --pid "$pid1" --pid "$pid2" --only "$T/b" --sample 0 >"$T/l.json"
assert_eq "$(jq -r '[.files[].path] | join(" ")' "$T/l.json")" "$T/b/beta.log" "--pid and --only: both must hold"
# A pid with no process: said on stderr, and the list is empty (exit 0).
sh -c 'exit 0' &
gone=$!
wait "$gone"
"$RT_BIN" --list --pid "$gone" --sample 0 >"$T/l.txt" 2>"$T/err"
grep -qx "No deleted files are held open." "$T/l.txt" || fail "list: $(cat "$T/l.txt")"
grep -qxF "$RT_NAME: no process $gone (it exited, or the pid is wrong)" "$T/err" ||
	fail "no word of the missing process: $(cat "$T/err")"
! "$RT_BIN" --list --pid "$pid2" --sample 0 2>&1 >/dev/null | grep -q "no process" ||
	fail "a live pid is called missing"
"$RT_BIN" --list --json --only "$T/a" --sample 0 >"$T/l.json"
id_a=$(jq -r '.files[0].id' "$T/l.json")
"$RT_BIN" --targets --json --only "$T/a" >"$T/t.json"
assert_eq "$(jq -r '[.targets[] | (.same_fs_as[], .files[].id)] | unique | join(" ")' "$T/t.json")" \
	"$id_a" "the files --targets --json weighs under --only"

# What a filter leaves out is not pinned: while a slow rescue of alpha.db runs, the
# program holds no fd of beta.log. The same check without the filter must see
# beta.log pinned, or it would prove nothing.
pinned_beta() { # PID: does PID hold beta.log?
	local l
	for l in /proc/"$1"/fd/*; do
		[[ $(readlink "$l" 2>/dev/null) == "$T/b/beta.log (deleted)" ]] && return 0
	done
	return 1
}
slow_rescue() { # OUT ONLY: start a slow copy of alpha.db; sets RPID
	"$RT_BIN" --recover "$T/a/alpha.db" --to "$1" --method copy --yes --max-rate 20K \
		--log "$T/actions.log" --only "$2" </dev/null >"$1.out" 2>&1 &
	RPID=$!
	PIDS+=("$RPID")
	wait_for 30 "the rescue to write $1.partial" test -e "$1.partial"
}
tcase a filtered scan pins nothing else
slow_rescue "$T/out1" "$T/a"
! pinned_beta "$RPID" || fail "--only $T/a pinned $T/b/beta.log"
kill -TERM "$RPID"
wait "$RPID" || true
slow_rescue "$T/out2" "$T"
pinned_beta "$RPID" || fail "control: --only $T did not pin beta.log, so the check above proves nothing"
kill -TERM "$RPID"
wait "$RPID" || true

# A machine with nothing to rescue: in a new PID namespace only loop devices (not
# namespaced) can show up, and --only leaves out every one not ours. The empty
# result must be a clean answer, not a crash (a NULL array reached qsort once).
tcase an empty pid namespace
if ! unshare -fp --mount-proc true 2>"$T/unshare.err"; then
	tskip "cannot make a pid namespace: $(head -n 1 "$T/unshare.err")"
else
	# Ten times: the targets' probes fork beside the scan, and once they were
	# walked and counted when they happened to start before the list was taken.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		unshare -fp --mount-proc "$RT_BIN" --list --json --only "$T" >"$T/empty.json" ||
			fail "--list in an empty PID namespace failed"
		assert_eq "$(jq -c '.files' "$T/empty.json")" "[]" "files in an empty namespace ($i)"
		jq -e '.scan.processes == 0' "$T/empty.json" >/dev/null ||
			fail "run $i: the scan saw $(jq .scan.processes "$T/empty.json") processes (its own probes?)"
	done
	unshare -fp --mount-proc "$RT_BIN" --list --only "$T" >"$T/empty.txt" ||
		fail "--list table in an empty PID namespace failed"
	grep -q "No deleted files are held open" "$T/empty.txt" ||
		fail "empty list does not say so: $(cat "$T/empty.txt")"
fi

# A loop device counts by its backing file's path; --pid has none of them.
tcase --only and --pid with a loop device
if needs root losetup; then
	head -c 1048576 /dev/urandom >"$T/a/disk.img"
	attach "$T/a/disk.img"
	rm "$T/a/disk.img"
	"$RT_BIN" --list --json --only "$T/a" --sample 0 >"$T/l.json"
	assert_eq "$(jq -r --arg d "$LOOPDEV" '[.files[] | select(any(.holders[]; .device == $d)) | .path] | join(" ")' "$T/l.json")" \
		"$T/a/disk.img" "loop image under --only"
	"$RT_BIN" --list --json --only "$T/b" --sample 0 >"$T/l.json"
	assert_eq "$(jq -r '[.files[].path] | join(" ")' "$T/l.json")" "$T/b/beta.log" "--only b leaves the loop image out"
	"$RT_BIN" --list --json --pid "$pid1" --only "$T/a" --sample 0 >"$T/l.json"
	assert_eq "$(jq -r '[.files[].path] | join(" ")' "$T/l.json")" "$T/a/alpha.db" "--pid leaves loop devices out"
fi
