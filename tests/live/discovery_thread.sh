# A thread that called unshare(CLONE_FILES) has an fd table of its own: a deleted
# file held only there is not in /proc/PID/fd (find and lsof miss it). Both ways of
# scanning find it, named by the thread; a file in both tables (the copy unshare
# made) has the process as its one holder. The BPF path is compared only where it
# works (root, BTF).
. "$(dirname "$0")/lib.bash"
need_cmd jq

head -c 3000 /dev/urandom >"$T/shared"
head -c 7000 /dev/urandom >"$T/private"
hold_thread "$T/shared" "$T/private"
tid=$(awk '$1 == "tid" {print $2}' "$HOUT")
sfd=$(hfd "$HOUT" 0)
pfd=$(hfd "$HOUT" 1)
pino=$(stat -L -c %i /proc/"$HPID"/task/"$tid"/fd/"$pfd")
sino=$(stat -L -c %i /proc/"$HPID"/fd/"$sfd")
[ -e /proc/"$HPID"/fd/"$pfd" ] && [ "$(stat -L -c %i /proc/"$HPID"/fd/"$pfd")" = "$pino" ] &&
	fail "the private file is in the process's table too"

methods=(proc)
"$RT_BIN" --list --json --sample 0 --scan bpf >/dev/null 2>&1 && methods+=(bpf)
for m in "${methods[@]}"; do
	list --sample 0 --scan "$m"
	assert_eq "$(q .scan.method)" "$m" "the path taken"
	assert_eq "$(by_ino "$pino" '.holders | length')" 1 "$m: holders of the private file"
	assert_eq "$(by_ino "$pino" '.holders[0] | "\(.pid) \(.tid) \(.fd)"')" "$HPID $tid $pfd" \
		"$m: the thread holds it"
	assert_eq "$(by_ino "$pino" .size)" 7000 "$m: size"
	assert_eq "$(by_ino "$pino" .path)" "$T/private" "$m: path"
	assert_eq "$(by_ino "$sino" '[.holders[] | "\(.pid) \(.tid) \(.fd)"] | join(",")')" \
		"$HPID null $sfd" "$m: the shared file's one holder"
done
for m in "${methods[@]}"; do
	id=$(by_ino "$pino" .id)
	"$RT_BIN" --recover "$id" --to "$T/byid.$m" --method copy --yes --scan "$m" \
		--log "$T/log" </dev/null >/dev/null 2>&1 || fail "$m: rescue by id failed"
	cmp -s "$T/byid.$m" /proc/"$HPID"/task/"$tid"/fd/"$pfd" || fail "$m: rescued bytes differ"
	echo "ok: $m: rescued by id, bytes equal"
done

# A process whose only deleted file is in a thread's table: its leader's table
# holds a file that still has a name (a second link), so nothing in the process's
# own fds makes it a holder before its threads are looked at.
head -c 5000 /dev/urandom >"$T/named"
ln "$T/named" "$T/named.link"
head -c 9000 /dev/urandom >"$T/private2"
hold_thread "$T/named" "$T/private2"
tid2=$(awk '$1 == "tid" {print $2}' "$HOUT")
pfd2=$(hfd "$HOUT" 1)
pino2=$(stat -L -c %i /proc/"$HPID"/task/"$tid2"/fd/"$pfd2")
for m in "${methods[@]}"; do
	list --sample 0 --scan "$m"
	assert_eq "$(by_ino "$pino2" '.holders[0] | "\(.pid) \(.tid) \(.fd)"')" "$HPID $tid2 $pfd2" \
		"$m: a thread-only holder"
	assert_eq "$(by_ino "$pino2" .size)" 9000 "$m: its size"
done
