# Shared setup for the live tests: a private temp dir, real held deleted files made
# by tests/helpers/holder, real loop devices and mounts, all undone on exit. Every
# test only ever kills, unmounts and detaches what it started itself.
set -euo pipefail
: "${RT_BIN:?run through tests/run.sh}" "${RT_TESTBIN:?run through tests/run.sh}"
# tests/run.sh run by a user: every live test needs root
if [ -n "${RT_SKIP_ALL:-}" ]; then echo "skipped: $RT_SKIP_ALL"; exit 77; fi
# The name the program calls itself in its messages: the one it was started by
# (rescuetui, or rescuetui-static under make check-static).
RT_NAME=${RT_BIN##*/}

T=$(mktemp -d "${TMPDIR:-/tmp}/rt-live.XXXXXX")
PIDS=()
UNDO=() # cleanup commands, undone last first: an inner loop device is detached
        # before the filesystem its backing file lives on is unmounted
HN=0

cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -KILL "${PIDS[i]}" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do
		eval "${UNDO[i]}" || true
	done
	rm -rf "$T"
}

# detach DEV BACKING: only while the device still has our backing file: after an
# autoclear unmount the number may already belong to someone else.
detach() {
	local sys=/sys/block/${1#/dev/}/loop/backing_file n
	for n in $(seq 50); do
		[ -r "$sys" ] && [[ $(cat "$sys") == "$2"* ]] || return 0
		losetup -d "$1" 2>/dev/null && return 0
		sleep 0.1
	done
}
trap cleanup EXIT

# unmount DIR: retry while busy, because a loop device cleared by an inner unmount
# lets go of its backing file a moment later; only then fall back to a lazy unmount.
unmount() {
	local n
	mountpoint -q "$1" || return 0
	for n in $(seq 50); do
		umount "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	umount -l "$1" 2>/dev/null || true
}

# Cases: tests/run.sh counts each case a script declares, not the script.
#   tcase NAME     a case begins (the one before it passed, or skipped)
#   tskip REASON   the case cannot run here; the caller goes on to the next case
#                  itself (return from the case's function, or an if around it)
#   needs WHAT...  tskip unless every WHAT is here: "root", "fuse", or a command;
#                  returns 1 then: "needs root mkfs.xfs || return 0"
# A script without tcase is one test. skip (exit 77) before the first tcase skips
# the whole script; a failure fails the case that was running.
tcase() {
	printf '\n=== case: %s\n' "$*"
	[ -z "${RT_CASES:-}" ] || printf 'case %s\n' "$*" >>"$RT_CASES"
}
tskip() {
	echo "skipped: $*"
	[ -z "${RT_CASES:-}" ] || printf 'skip %s\n' "$*" >>"$RT_CASES"
}
needs() {
	local w
	for w in "$@"; do
		case $w in
		root) [ "$(id -u)" = 0 ] || { tskip "needs root"; return 1; } ;;
		fuse) [ -c /dev/fuse ] || { tskip "needs /dev/fuse"; return 1; } ;;
		*) command -v "$w" >/dev/null 2>&1 || { tskip "needs $w"; return 1; } ;;
		esac
	done
}

skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1"; }

# run_rc CMD...: run CMD with its stdout and stderr into $T/out; its exit status
# into rc (set -e does not stop the test when it fails).
run_rc() {
	set +e
	"$@" >"$T/out" 2>&1
	rc=$?
	set -e
}

# wait_for SECONDS WHAT CMD...: run CMD every 50 ms until it succeeds; fail saying
# WHAT when it has not after SECONDS. For conditions a fixed sleep would only guess.
wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$((SECONDS + secs))
	until "$@"; do
		[ $SECONDS -lt $end ] || fail "timed out after ${secs} s waiting for $what"
		sleep 0.05
	done
}

assert_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
	echo "ok: $3 = $2"
}

# journal_pos JOURNAL: the bytes a rescue's journal says are done (0 while there is
# none): pos for a copy or sync, tgt_pos for a follow
journal_pos() {
	awk '($1 == "pos" || $1 == "tgt_pos") && $2 > n {n = $2} END {print n + 0}' "$1" 2>/dev/null || echo 0
}
journal_has_progress() { [ "$(journal_pos "$1")" -gt 0 ]; }
# size_at_least FILE BYTES
size_at_least() { [ -e "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]; }
# proc_state PID: the state letter of /proc/PID/stat (T: stopped)
proc_state() { awk '{print $3}' /proc/"$1"/stat; }
not_stopped() { [ "$(proc_state "$1")" != T ]; }
is_stopped() { [ "$(proc_state "$1")" = T ]; }

# hold ARGS...: start a holder, wait for "ready"; sets HOUT (its output file) and
# HPID (its first process). Every pid it reports is killed at exit.
hold() {
	HN=$((HN + 1))
	HOUT="$T/holder.$HN.out"
	"$RT_TESTBIN/holder" "$@" >"$HOUT" 2>"$HOUT.err" &
	PIDS+=($!)
	wait_ready "$HOUT" $!
}

# wait_ready OUTFILE PID: wait for a holder (possibly started by a wrapper) to say
# "ready"; register the pids it reports.
wait_ready() {
	local out=$1 pid=$2 n=0 p
	until grep -qx ready "$out" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || fail "holder exited early: $(cat "$out.err" 2>/dev/null)"
		n=$((n + 1))
		[ $n -lt 200 ] || fail "holder not ready after 10 s"
		sleep 0.05
	done
	for p in $(awk '$1 == "pid" {print $2}' "$out"); do PIDS+=("$p"); done
	HPID=$(awk '$1 == "pid" {print $2; exit}' "$out")
}

# hold_thread SHARED PRIVATE: start tests/helpers/threadfd, which holds SHARED in
# its fd table and PRIVATE only in the table of a thread that called
# unshare(CLONE_FILES) (both files must exist; they are unlinked); wait for "ready".
# Sets HOUT and HPID as hold does.
hold_thread() {
	HN=$((HN + 1))
	HOUT="$T/threadfd.$HN.out"
	"$RT_TESTBIN/threadfd" "$1" "$2" >"$HOUT" 2>"$HOUT.err" &
	PIDS+=($!)
	wait_ready "$HOUT" $!
}

hfd() { awk -v n="$2" '$1 == "fd" && $2 == n {print $3}' "$1"; } # OUTFILE SPECINDEX
hpids() { awk '$1 == "pid" {print $2}' "$1" | sort -n | tr '\n' ' '; }

# list: the JSON report (memfd/shm included) of the files under $T into
# $T/list.json; only ours are looked at and pinned (--only).
list() { "$RT_BIN" --list --json --all --only "$T" "$@" >"$T/list.json"; }

# q FILTER [ARGS...]: jq on the last list
q() { local f=$1; shift; jq -r "$@" "$f" "$T/list.json"; }

# by_ino INO FILTER: jq FILTER on the one entry for inode INO with a path under $T
# (fails unless exactly one). The machine is shared: another test's file on another
# small filesystem may have the same inode number.
by_ino() {
	local n sel='.files[] | select(.ino == $i and (.path | startswith($t)))'
	n=$(jq --argjson i "$1" --arg t "$T/" "[$sel] | length" "$T/list.json")
	[ "$n" = 1 ] || fail "expected exactly one entry for inode $1, found $n"
	jq -r --argjson i "$1" --arg t "$T/" "$sel | $2" "$T/list.json"
}

# attach FILE [losetup options]: attach a loop device, retrying the EBUSY race, and
# remember it for cleanup. Sets LOOPDEV (not printed: a $(...) subshell would lose
# the cleanup record).
attach() {
	local f=$1 dev n=0
	shift
	until dev=$(losetup -f --show "$@" "$f" 2>/dev/null); do
		n=$((n + 1))
		[ $n -lt 20 ] || fail "cannot attach a loop device to $f"
		sleep 0.1
	done
	UNDO+=("detach $dev $(printf %q "$(realpath "$f")")")
	LOOPDEV=$dev
}

# mount_at DIR ARGS...: mount and remember for cleanup
mount_at() {
	local dir=$1
	shift
	mkdir -p "$dir"
	mount "$@" "$dir"
	UNDO+=("unmount $(printf %q "$dir")")
}

# make_fs TYPE IMAGE SIZE: a fresh filesystem image
make_fs() {
	truncate -s "$3" "$2"
	case $1 in
	ext4) mkfs.ext4 -q -F "$2" ;;
	xfs) mkfs.xfs -q -f "$2" ;;
	btrfs) mkfs.btrfs -q -f "$2" >/dev/null ;;
	esac
}
