# Shared by the readerr*.sh tests: a badfs mount (tests/helpers/badfs) whose reads
# fail where BACKING/bad says, a file on it held open and deleted, and the rescue
# command. Sourced after lib.bash; everything is undone by its cleanup trap.
need_root
need_cmd jq
need_cmd fusermount3
[ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "needs /dev/fuse"
[ -x "$RT_TESTBIN/badfs" ] || skip "badfs was not built (libfuse3 missing)"

BLOCK=4096 # what a read through the page cache fails by: the map's granularity

# badfs_up: mount badfs on $T/mnt with its data in $T/back; sets BACK, MNT.
badfs_up() {
	local n=0
	BACK=$T/back MNT=$T/mnt
	mkdir -p "$BACK" "$MNT"
	: >"$BACK/bad"
	# Started from a subshell, so that the trap's "wait" does not wait for it: it is
	# stopped by the undo list, after the holders were killed (PIDS go first), with
	# SIGTERM, on which it unmounts itself; then a lazy unmount in case it could not.
	local bpid
	bpid=$("$RT_TESTBIN/badfs" "$BACK" "$MNT" >"$T/badfs.out" 2>"$T/badfs.err" </dev/null &
		echo $!)
	UNDO+=("badfs_down $bpid $(printf %q "$MNT")")
	until grep -qx ready "$T/badfs.out" 2>/dev/null; do
		kill -0 $bpid 2>/dev/null || skip "badfs cannot mount here: $(cat "$T/badfs.err")"
		n=$((n + 1))
		[ $n -lt 100 ] || fail "badfs not ready after 5 s"
		sleep 0.05
	done
}

# badfs_down PID MOUNTPOINT: stop our badfs and make sure its mount is gone.
badfs_down() {
	local n
	kill -TERM "$1" 2>/dev/null || true
	for n in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	if mountpoint -q "$2"; then
		fusermount3 -u -z "$2" 2>/dev/null || true
	fi
	kill -KILL "$1" 2>/dev/null || true
}

# bad LINES...: the failing ranges, "NAME START LENGTH [ERRNO]"; none heals them.
bad() {
	if [ $# -eq 0 ]; then
		: >"$BACK/bad.new"
	else
		printf '%s\n' "$@" >"$BACK/bad.new"
	fi
	mv "$BACK/bad.new" "$BACK/bad"
}

# held_file NAME SIZE: random content as $T/NAME.orig, copied to the mount, held
# open and deleted there by a holder; sets ID (the file's id for --recover).
held_file() {
	head -c "$2" /dev/urandom >"$T/$1.orig"
	cp "$T/$1.orig" "$MNT/$1"
	hold r:"$MNT/$1"
	list
	ID=$(jq -r --arg p "$MNT/$1" '.files[] | select(.path == $p) | .id' "$T/list.json")
	[ -n "$ID" ] || fail "the held file $MNT/$1 is not listed"
}

# rt ARGS...: rescuetui --recover ... --yes --json --log $T/actions.log; the JSON
# summary goes to $T/out.json, the exit status to RC.
rt() {
	RC=0
	"$RT_BIN" --recover "$@" --yes --json --log "$T/actions.log" </dev/null \
		>"$T/out.json" 2>"$T/err" || RC=$?
}

# jr FILTER: jq -r on the last summary's result.
jr() { jq -r ".result | $1" "$T/out.json"; }

# zeros FILE START LENGTH: are those bytes of FILE all zero?
zeros() {
	[ "$(tail -c +$(($2 + 1)) "$1" | head -c "$3" | tr -d '\0' | wc -c)" = 0 ]
}

# same_outside FILE ORIG START LENGTH: FILE equals ORIG before and after the range.
same_outside() {
	cmp -n "$3" "$1" "$2" || fail "$1 differs from the original before byte $3"
	cmp -i $(($3 + $4)) "$1" "$2" || fail "$1 differs from the original after the range"
}

# unread_zeros FILE ORIG START LENGTH: the unread range reads as zeros in FILE while
# the original had data there (never stale or made-up bytes).
unread_zeros() {
	zeros "$1" "$3" "$4" || fail "the unread range $3+$4 of $1 is not zeros"
	! zeros "$2" "$3" "$4" || fail "the original has zeros at $3+$4 too: a useless test"
}
