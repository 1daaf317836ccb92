# A machine with no held deleted file: the console says so (and is no error). Run
# in pid and mount namespaces of its own, where nothing holds anything; then a holder
# starts there, and the next scan shows its file without a key; it exits and the
# file stays, kept by the console's pin (no other scan can see it in there).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
need_root
need_cmd unshare

head -c 100000 /dev/urandom >"$T/late.dat"
# Inside: the holder's part in the background, the console in the foreground (a
# background job would get /dev/null for its input).
cat >"$T/inner.sh" <<INNER
# Loop devices are not per pid namespace: hide other tests' from this one (the
# mount is private to this namespace).
mount -t tmpfs -o size=1m rt-noloop /sys/block
(
	until [ -e "$T/go" ]; do sleep 0.05; done
	"$RT_TESTBIN/holder" r:"$T/late.dat" >"$T/inner-holder" &
	h=\$!
	until [ -e "$T/stop" ]; do sleep 0.05; done
	kill \$h
) &
exec "$RT_BIN" --sample 0
INNER
con_run unshare --mount --propagation private --pid --fork --mount-proc bash "$T/inner.sh"
con_wait "No deleted files are held open." "the empty list"
con_wait "0 held deleted files" "the title"
touch "$T/go"
CON_DEADLINE=20 con_wait "$T/late.dat" "a new file, found by the automatic rescan"
con_wait_re "holder\[[0-9]+\] fd3 r" "its holder"
touch "$T/stop"
CON_DEADLINE=20 con_wait_re "\\[kept by pin\\] .*/late.dat" "the file after its holder exited"
con_wait "(exited)" "the holders column"
con_keys Enter
con_wait "only this console's pin keeps the" "the detail says what keeps it"
con_keys q q
assert_eq "$(con_exit_status)" 0 "exit status after q"
