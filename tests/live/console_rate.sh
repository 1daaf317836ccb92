# A file that starts being written while the console watches shows a changing rate
# without a key being pressed: the sampler thread publishes, the screen follows.
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"

head -c $((1 << 20)) /dev/urandom >"$T/growing.log"
hold rw:"$T/growing.log"
fd=$(hfd "$HOUT" 0)

con_console --sample 0.5
con_wait "$T/growing.log" "the list"
con_wait_re "quiet +holder\[$HPID\]" "an idle writer is quiet"

# Now append through the holder's fd, 4 KiB every 20 ms (about 200 KiB/s).
(
	while :; do
		head -c 4096 /dev/urandom >>"/proc/$HPID/fd/$fd" || exit 0
		sleep 0.02
	done
) &
PIDS+=($!)
con_wait_re "append +[0-9.]+[KM]/s" "the rate of an appending writer, with no key pressed"
# The size keeps moving on screen too, still without a key.
s1=$(con_row growing.log | awk '{print $1}')
end=$((SECONDS + CON_DEADLINE))
until [ "$(con_row growing.log | awk '{print $1}')" != "$s1" ]; do
	[ $SECONDS -lt $end ] || fail "the size stayed at $s1: $(con_row growing.log)"
	sleep 0.05
done
echo "ok: size $s1, then $(con_row growing.log | awk '{print $1, $3, $4}')"
con_keys q
assert_eq "$(con_exit_status)" 0 "exit status after q"
