# --freeze stops every writer, all at once, with no fixed limit: 100 processes with
# write access, one that starts writing after the scan, one that leaves before the
# freeze. The summary names every writer resumed, and all of them run afterwards.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

head -c $((24 << 20)) /dev/urandom >"$T/db.img"
hold -c 100 rw:"$T/db.img"
fd=$(hfd "$HOUT" 0)
mapfile -t crowd < <(awk '$1 == "pid" {print $2}' "$HOUT")
assert_eq "${#crowd[@]}" 100 "holders started"
list
id=$(jq -r --arg p "$T/db.img" '.files[] | select(.path == $p) | .id' "$T/list.json")
mkdir "$T/out"
"$RT_BIN" --recover "$id" --to "$T/out/db.img" --method sync --freeze --max-rate 8M --yes \
	--json --log "$T/actions.log" </dev/null >"$T/result.json" 2>"$T/err" &
rpid=$!
PIDS+=($rpid)
sleep 1
# After the scan: a new writer (a shell holding the file open read-write) ...
bash -c 'exec 3<>"$1"; exec sleep 1000' sh /proc/"${crowd[0]}"/fd/"$fd" &
late=$!
PIDS+=($late)
# ... and one of the crowd leaves (its pid now names nothing, or a zombie reaped).
leaver=${crowd[99]}
kill -KILL "$leaver"
wait $rpid || fail "the frozen sync failed: $(cat "$T/err")"
jq -r .result.message "$T/result.json"
frozen=$(jq -r '.result.frozen[]' "$T/result.json" | sort -n)
assert_eq "$(grep -c . <<<"$frozen")" 100 "writers stopped and resumed (99 of the crowd + the late one)"
grep -qx "$late" <<<"$frozen" || fail "the writer that came after the scan was not stopped"
! grep -qx "$leaver" <<<"$frozen" || fail "a writer that left is listed"
for p in "${crowd[@]:0:99}" $late; do
	st=$(awk '{print $3}' /proc/"$p"/stat)
	[ "$st" != T ] || fail "writer $p was left stopped"
done
assert_eq "$(jq -r .result.verified "$T/result.json")" true "a frozen sync is verified"
echo "ok: every writer frozen together and resumed"
