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
for _ in $(seq 100); do [ -e "$T/many.ready" ] && break; sleep 0.1; done
rm "$T/many"
list
assert_eq "$(by_ino "$ino_many" '.holders | length')" 3000 "3000 fds, one entry"
assert_eq "$(by_ino "$ino_many" '[.holders[].pid] | unique | length')" 1 "one process"
