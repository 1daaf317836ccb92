# One file held by 3 processes, one of them through 2 fds: one entry, 4 holders.
. "$(dirname "$0")/lib.bash"
need_cmd jq

head -c 5000 /dev/urandom >"$T/shared"
ino=$(stat -c %i "$T/shared")
hold -c 3 -D r:"$T/shared"
list
assert_eq "$(by_ino "$ino" '.holders | length')" 4 "holders"
assert_eq "$(by_ino "$ino" '[.holders[].pid] | unique | sort | map(tostring) | join(" ")')" \
	"$(hpids "$HOUT" | xargs | tr ' ' '\n' | sort | xargs)" "holder pids"
assert_eq "$(by_ino "$ino" "[.holders[] | select(.pid == $HPID) | .fd] | sort | map(tostring) | join(\" \")")" \
	"$(awk '$1 == "fd" || $1 == "dup" {print $3}' "$HOUT" | sort -n | xargs)" "the parent's two fds"
echo "shared file: one entry, four holders"

# One process holding the same deleted file through 3000 fds: one entry, every fd.
head -c 777 /dev/urandom >"$T/many"
ino_many=$(stat -c %i "$T/many")
(
	ulimit -n 4096
	for _ in $(seq 3000); do exec {fd}<"$T/many"; done
	echo ready >"$T/many.ready"
	exec sleep 600
) &
PIDS+=($!)
wait_for 30 "the process with 3000 fds" test -e "$T/many.ready"
rm "$T/many"
list
assert_eq "$(by_ino "$ino_many" '.holders | length')" 3000 "3000 fds, one entry"
assert_eq "$(by_ino "$ino_many" '[.holders[].pid] | unique | length')" 1 "one process"

# Another rescuetui (here one slowly copying some other file) pins every file it
# found: its pins are no holders of a file someone else holds.
head -c $((8 << 20)) /dev/urandom >"$T/slow"
ino_slow=$(stat -c %i "$T/slow")
hold r:"$T/slow"
list
mkdir "$T/out"
"$RT_BIN" --only "$T" --recover "$(by_ino "$ino_slow" .id)" --to "$T/out" --method copy --yes \
	--max-rate 1000000 --log /dev/null </dev/null >/dev/null 2>"$T/other.err" &
other=$!
PIDS+=($other)
wait_for 30 "the other rescuetui to start ($T/other.err)" test -e "$T/out/slow.partial"
[ "$(find /proc/$other/fd -lname "$T/shared (deleted)" | wc -l)" -gt 0 ] ||
	fail "the other rescuetui does not pin the shared file"
list
assert_eq "$(by_ino "$ino" '.holders | length')" 4 "holders beside another rescuetui"
assert_eq "$(by_ino "$ino" "[.holders[] | select(.pid == $other)] | length")" 0 \
	"another rescuetui's pin is no holder"
kill -TERM $other
wait $other 2>/dev/null || true
echo "another rescuetui's pins left out"
