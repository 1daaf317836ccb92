# A source truncated while it is copied is a change of the source, not a failing
# disk: the message says how it shrank, the result is kept as the best copy there
# is (not verified), and the advice is sync or follow; never "check dmesg".
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

head -c $((32 << 20)) /dev/urandom >"$T/vm.img"
hold rw:"$T/vm.img"
list
id=$(jq -r --arg p "$T/vm.img" '.files[] | select(.path == $p) | .id' "$T/list.json")
fd=$(hfd "$HOUT" 0)
mkdir "$T/out"
for method in copy sync; do
	"$RT_BIN" --recover "$id" --to "$T/out/$method.img" --method $method --max-rate 8M \
		--yes --json --log "$T/actions.log" </dev/null >"$T/$method.json" 2>"$T/$method.err" &
	rpid=$!
	PIDS+=($rpid)
	sleep 1.5
	truncate -s 1M /proc/"$HPID"/fd/"$fd"
	rc=0
	wait $rpid || rc=$?
	msg=$(jq -r .result.message "$T/$method.json")
	echo "$method: exit $rc: $msg"
	grep -qi "dmesg\|failing" "$T/$method.err" "$T/$method.json" &&
		fail "$method: a shrinking source blamed on the disk: $msg"
	[[ $msg == *"the source shrank from 32M to 1.0M during the copy"* ]] ||
		fail "$method: the shrink is not named: $msg $(cat "$T/$method.err")"
	assert_eq "$(jq -r '.result | "\(.verified) \(.source_changed)"' "$T/$method.json")" \
		"false true" "$method: not verified, the source changed"
	jq -r '.checks[]' "$T/$method.json" | grep -q -- "--method sync\|--method follow" ||
		fail "$method: no advice to use sync or follow"
	# Back to its size for the next method.
	head -c $((32 << 20)) /dev/urandom >/proc/"$HPID"/fd/"$fd"
done
