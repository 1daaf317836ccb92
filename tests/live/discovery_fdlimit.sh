# A low open-file limit: a default soft limit of 1024 once lost most files on a busy
# machine (the pins used up the fds the walk needed). The soft limit is raised to
# the hard one; below a hard limit that cannot be raised, every file is still
# listed, the ones without a pin are marked, and a note says what to do.
. "$(dirname "$0")/lib.bash"
need_cmd jq

N=300
specs=()
for ((i = 0; i < N; i++)); do
	printf 'f%d' "$i" >"$T/f$i"
	specs+=("r:$T/f$i")
done
hold "${specs[@]}"

count() { jq --arg d "$T/" "[.files[] | select(.path | startswith(\$d)) | $1] | length" "$T/l.json"; }

# Soft limit 64, hard limit as it was: everything found and pinned.
(ulimit -Sn 64 && "$RT_BIN" --list --only "$T" --json >"$T/l.json" 2>"$T/err") || fail "--list under ulimit -Sn 64"
assert_eq "$(count .)" $N "files found under a soft limit of 64"
assert_eq "$(count 'select(.pin.type == "fd")')" $N "files pinned under a soft limit of 64"
assert_eq "$(jq .scan.out_of_fds "$T/l.json")" 0 "out_of_fds under a soft limit"

# Hard limit 64: only CAP_SYS_RESOURCE may raise it.
capeff=$(awk '$1 == "CapEff:" {print $2}' /proc/self/status)
(ulimit -n 64 && "$RT_BIN" --list --only "$T" --json >"$T/l.json" 2>"$T/err") || fail "--list under ulimit -n 64"
assert_eq "$(count .)" $N "files found under a hard limit of 64"
if (((0x$capeff >> 24) & 1)); then
	assert_eq "$(count 'select(.pin.type == "fd")')" $N "files pinned after raising the hard limit"
else
	pinned=$(count 'select(.pin.type == "fd")')
	[ "$pinned" -lt $N ] || fail "all $N pinned under a hard limit of 64?"
	assert_eq "$(count 'select(.pin.type == "none")')" $((N - pinned)) "unpinned files marked"
	[ "$(jq .scan.out_of_fds "$T/l.json")" -gt 0 ] || fail "out_of_fds not counted"
	grep -q "open-file limit (64) is too low" "$T/err" || fail "no note on the limit: $(cat "$T/err")"
fi
echo "discovery_fdlimit pass"
