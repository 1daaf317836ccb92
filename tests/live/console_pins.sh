# The console's pins: when every holder exits, the files stay listed, kept by the
# console's pin, and their filesystem stays busy; U (and y) releases the pins of
# every file on it, the files are marked gone, and it can be unmounted. u on one
# file asks first and No is the default.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
need_root

mount_at "$T/fs" -t tmpfs -o size=64m rt-console-pins
head -c $((1 << 20)) /dev/urandom >"$T/fs/one.dat"
head -c $((2 << 20)) /dev/urandom >"$T/fs/two.dat"
hold r:"$T/fs/one.dat" r:"$T/fs/two.dat"

con_console
con_wait "$T/fs/two.dat" "the list"
con_wait "2 files hold 3.0M allocated; pinned 2" "the header"

# u, then anything but y: nothing is released.
con_keys u
con_wait "Release the pin of this file?" "the question"
con_keys n
con_wait "nothing released" "the answer No"
con_wait "pinned 2" "the header"

# Every holder exits: the files stay listed, kept by the console's pin. (On a
# shared machine other scans, of rescuetui or of the tests linking its library,
# may pin them too for a while: they show as the holder then, and the file stays
# listed all the same.)
kill -KILL "$HPID"
wait "$HPID" 2>/dev/null || true
con_keys r
for f in one two; do
	CON_DEADLINE=30 con_wait_gone "holder[$HPID]" "the exited holder"
	con_wait "fs/$f.dat" "$f.dat still listed" # the [kept by pin] mark may cut the path on the left
done
con_screen | grep -F "$T/fs/one.dat" | grep -qF "[kept by pin]" &&
	echo "ok: marked [kept by pin]" || echo "note: another scan's pin holds it too"
! umount "$T/fs" 2>/dev/null || fail "the filesystem could be unmounted while pinned"
echo "ok: the pinned filesystem is busy"

# U, y: every pin on that filesystem goes; the files are gone; it unmounts.
con_keys U
con_wait "Release the pins of every file on $T/fs" "the question"
con_keys y
con_wait "pins on that filesystem released" "the answer"
con_wait "pins 0 " "the header"
# Other rescuetui runs on the machine may pin the files for a moment yet.
end=$((SECONDS + 30))
until umount "$T/fs" 2>/dev/null; do
	[ $SECONDS -lt $end ] || fail "$T/fs still busy after the pins were released"
	sleep 0.05
done
echo "ok: unmounted after the release"
# No key here: a key forgets gone files, and the rescan every few seconds may
# already have marked them; the next automatic one does it at the latest.
CON_DEADLINE=30 con_wait_re "GONE .*\[gone\] .*fs/two.dat" "two.dat gone"

# The next key forgets the gone files.
con_keys j
con_wait_gone "$T/fs/two.dat" "the gone files after a key"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
