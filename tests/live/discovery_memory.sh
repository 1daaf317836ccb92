# Memory with a file face: a memfd, a /dev/shm object, a System V segment and a shared
# anonymous mapping, all held by one process (--pid: nothing else on the machine is
# looked at). Without --all they are left out and counted in the "not shown" line;
# with --all each is listed with its kind, size and holder, and can be rescued.
. "$(dirname "$0")/lib.bash"
need_root # the mapped ones are confirmed through map_files
need_cmd jq

name=rt-shm.$$
hold memfd:rt-mem:100000 shm:"$name":50000 sysv:70000 anon:30000
pid=$HPID
page=$(getconf PAGESIZE)

tcase without --all they are counted, not shown
"$RT_BIN" --list --pid "$pid" --sample 0 >"$T/table" 2>"$T/err"
grep -qx "No deleted files are held open." "$T/table" || fail "table: $(cat "$T/table")"
grep -qx "$RT_NAME: 4 memfd/shared-memory objects not shown (--all shows them)." "$T/err" ||
	fail "no 'not shown' line: $(cat "$T/err")"
"$RT_BIN" --list --json --pid "$pid" --sample 0 >"$T/l.json" 2>/dev/null
assert_eq "$(jq -c '[(.files | length), .scan.hidden]' "$T/l.json")" "[0,4]" "JSON: no files, 4 hidden"

tcase with --all each is listed with its kind, size and holder
"$RT_BIN" --list --json --all --pid "$pid" --sample 0 >"$T/l.json" 2>"$T/err"
! grep -q "not shown" "$T/err" || fail "--all still hides some: $(cat "$T/err")"
got=$(jq -r '[.files[] | "\(.path) \(.kind) \(.size) \(.holders[0].type) \(.holders[0].pid)"] | sort | join(",")' "$T/l.json")
want=$(printf '%s\n' "/SYSV00000000 shm 70000 mmap $pid" "/dev/shm/$name shm 50000 fd $pid" \
	"/dev/zero shm $(((30000 + page - 1) / page * page)) mmap $pid" "/memfd:rt-mem memfd 100000 fd $pid" |
	sort | paste -sd,)
assert_eq "$got" "$want" "the four objects"
assert_eq "$(jq -r '[.files[].pin.type] | map(select(. != null)) | length' "$T/l.json")" 4 "all four pinned"

tcase a table with --all names them
"$RT_BIN" --list --all --pid "$pid" --sample 0 >"$T/table"
for p in /memfd:rt-mem "/dev/shm/$name" /SYSV00000000 /dev/zero; do
	grep -qF -- "$p" "$T/table" || fail "table lacks $p: $(cat "$T/table")"
done

tcase a memfd and a System V segment come back byte for byte
mkdir "$T/out"
memfd_id=$(jq -r '.files[] | select(.kind == "memfd") | .id' "$T/l.json")
"$RT_BIN" --recover "$memfd_id" --pid "$pid" --to "$T/out/mem" --method copy --yes \
	--log "$T/actions.log" </dev/null >/dev/null 2>"$T/err" || fail "memfd rescue: $(cat "$T/err")"
cmp "$T/out/mem" /proc/"$pid"/fd/"$(hfd "$HOUT" 0)" || fail "memfd copy differs"
sysv_id=$(jq -r '.files[] | select(.path == "/SYSV00000000") | .id' "$T/l.json")
range=$(awk '$1 == "map" && $2 == 2 {print $3}' "$HOUT")
"$RT_BIN" --recover "$sysv_id" --pid "$pid" --to "$T/out/sysv" --method copy --yes \
	--log "$T/actions.log" </dev/null >/dev/null 2>"$T/err" || fail "SysV rescue: $(cat "$T/err")"
assert_eq "$(stat -c %s "$T/out/sysv")" 70000 "SysV copy size"
cmp -n 70000 "$T/out/sysv" /proc/"$pid"/map_files/"$range" || fail "SysV copy differs"
