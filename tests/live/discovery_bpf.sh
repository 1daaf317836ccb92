# The two ways of finding candidates report the same files: BPF iterators in the
# kernel and the walk of /proc give the same ids and the same holders (fds with
# their access, append, position; mappings, of a deleted executable too; a thread's
# own fd table; several processes; a dup; command lines the kernel gives and those
# read from /proc). Without the privileges BPF needs, auto falls back to /proc and
# says why, and --scan bpf fails with a message.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq
"$RT_BIN" --list --json --sample 0 --scan bpf >"$T/probe.json" 2>"$T/probe.err" ||
	skip "the BPF scan does not work here: $(cat "$T/probe.err")"

for f in r w a m mw t1 t2 s p x; do head -c $((RANDOM + 100)) /dev/urandom >"$T/$f"; done
hold -c 3 -D r:"$T/r" w:"$T/w" a:"$T/a" m:"$T/m" mw:"$T/mw" t:"$T":"$T/t1"
hold_thread "$T/s" "$T/p"

# btrfs: stat's dev is the subvolume's, not the superblock's the kernel has
if command -v mkfs.btrfs >/dev/null; then
	make_fs btrfs "$T/btrfs.img" 128M
	attach "$T/btrfs.img"
	mount_at "$T/btrfs" "$LOOPDEV"
	btrfs subvolume create "$T/btrfs/sub" >/dev/null
	head -c 5000 /dev/urandom >"$T/btrfs/sub/b"
	hold -D -c 2 r:"$T/btrfs/sub/b"
	nours=10
else
	nours=9
fi

# a command line with a tab, a newline, a control byte and UTF-8: shown alike
HN=$((HN + 1))
out="$T/odd.out"
bash -c 'exec -a "$0" "$@"' "$(printf 'odd\tname\nhere \303\251 \001')" "$RT_TESTBIN/holder" \
	r:"$T/x" >"$out" 2>"$out.err" &
PIDS+=($!)
wait_ready "$out" $!
oddpid=$!

# a deleted executable that still runs: held by its own mappings, named as such
cp "$(command -v sleep)" "$T/sleepy"
"$T/sleepy" 600 &
PIDS+=($!)
wait_for 10 "the copy of sleep to map itself" grep -q sleepy /proc/$!/maps
rm "$T/sleepy"
nours=$((nours + 1))

# command lines the kernel does not hand over plainly, read from /proc instead:
# one longer than a page, one a process rewrote past its end (setproctitle, as
# perl does for $0)
head -c 300 /dev/urandom >"$T/long"
head -c 300 /dev/urandom >"$T/title"
HN=$((HN + 1))
out="$T/long.out"
bash -c 'exec -a "$0" "$@"' "$(printf 'x%.0s' $(seq 5000))" "$RT_TESTBIN/holder" \
	r:"$T/long" >"$out" 2>"$out.err" &
PIDS+=($!)
wait_ready "$out" $!
nours=$((nours + 1))
if command -v perl >/dev/null; then
	out="$T/title.out"
	perl -e 'open(my $f, "<", $ARGV[0]) or die; unlink($ARGV[0]) or die;
		$0 = "retitled " . ("y" x 300); $| = 1; print "pid $$\nready\n"; sleep 1000' \
		"$T/title" >"$out" 2>"$out.err" &
	PIDS+=($!)
	wait_ready "$out" $!
	nours=$((nours + 1))
fi

# ours only: the machine is shared with other tests
summary() {
	jq -r --arg t "$T/" '.files[] | select(.path | startswith($t)) |
		"\(.id) \(.path) \(.size) \(.kind) " + ([.holders[] |
		"\(.type):\(.pid):\(.tid):\(.fd):\(.access):\(.append):\(.pos):\(.write):\(.mapped):\(.exe):\(.other_mntns):\(.comm):\(.user):\(.state):\(.cmdline)"] |
		sort | join(","))' "$1" | sort
}
"$RT_BIN" --list --json --sample 0 --all --scan proc >"$T/proc.json"
"$RT_BIN" --list --json --sample 0 --all --scan bpf >"$T/bpf.json"
assert_eq "$(jq -r .scan.method "$T/proc.json")" proc "forced /proc"
assert_eq "$(jq -r .scan.method "$T/bpf.json")" bpf "forced BPF"
assert_eq "$(jq -r .scan.method "$T/probe.json")" bpf "auto as root"
summary "$T/proc.json" >"$T/proc.txt"
summary "$T/bpf.json" >"$T/bpf.txt"
cat "$T/bpf.txt"
assert_eq "$(wc -l <"$T/bpf.txt")" "$nours" "files of ours found by BPF"
diff "$T/proc.txt" "$T/bpf.txt" || fail "the two paths differ"
echo "ok: both paths report the same ids and holders"

# The odd command line as ps (libproc2) shows it, on both paths.
if command -v ps >/dev/null; then
	want=$(LC_ALL=C.UTF-8 ps -ww -o args= -p "$oddpid")
	for m in proc bpf; do
		got=$(LC_ALL=C.UTF-8 "$RT_BIN" --list --json --sample 0 --pid "$oddpid" --scan "$m" |
			jq -r '.files[0].holders[0].cmdline')
		assert_eq "$got" "$want" "$m: the odd command line as ps shows it"
	done
fi

# Without privileges: auto walks /proc and says why; bpf alone fails.
if command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
	as_nobody "$RT_BIN" --list --json --sample 0 >"$T/nobody.json" 2>/dev/null || true
	assert_eq "$(jq -r .scan.method "$T/nobody.json")" proc "auto without root"
	[ "$(jq -r .scan.bpf_error "$T/nobody.json")" != null ] || fail "no reason for the fallback"
	rc=0
	as_nobody "$RT_BIN" --list --json --sample 0 --scan bpf >/dev/null 2>"$T/nobody.err" || rc=$?
	assert_eq "$rc" 1 "--scan bpf without root"
	grep -q -- "--scan proc" "$T/nobody.err" || fail "no advice: $(cat "$T/nobody.err")"
	echo "ok: said: $(cat "$T/nobody.err")"
fi
