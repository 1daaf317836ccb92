# A --list --json of 512 files or more is written in two parts: the later files are
# advised on and written by a second thread into memory, then appended. It must
# read as if one thread wrote it. A crowd of 700 processes, each holding a deleted
# file of its own (and every 10th one more by a mapping): the JSON parses; it names
# every file held under $T once, with the holder /proc names for it; its files come
# in the order of the table, which one thread writes; each has a recommendation.
. "$(dirname "$0")/lib.bash"
need_root
need_cmd jq

N=700
mkdir "$T/crowd"
"$RT_TESTBIN/crowd" "$T/crowd" "$N" 4 1 10 >"$T/crowd.out" 2>"$T/crowd.err" &
PIDS+=($!)
wait_for 120 "the crowd to be ready" grep -qsx ready "$T/crowd.out"

"$RT_BIN" --list --json --sample 0 --only "$T" >"$T/list.json"
"$RT_BIN" --list --sample 0 --only "$T" >"$T/list.txt"
jq -e . "$T/list.json" >/dev/null || fail "the JSON does not parse"
files=$(jq '.files | length' "$T/list.json")
[ "$files" -ge 512 ] || fail "only $files files: the report is not written in parts"
assert_eq "$files" $((N + N / 10)) "files listed"

# every held file once, with its holder: as /proc says (fds), and by mapping
jq -r '.files[] | select(.holders[0].type == "fd") | "\(.holders[0].pid) \(.path)"' \
	"$T/list.json" | sort >"$T/json.fd"
# (find fails on processes that vanish, or that even root may not read)
{ find /proc/[0-9]*/fd -lname "$T/crowd/*" -printf '%h %l\n' 2>/dev/null || true; } |
	sed -E 's#^/proc/([0-9]+)/fd (.*) \(deleted\)$#\1 \2#' | sort >"$T/proc.fd"
[ -s "$T/proc.fd" ] || fail "find saw no held file"
cmp -s "$T/json.fd" "$T/proc.fd" ||
	fail "files and holders differ from /proc: $(diff "$T/proc.fd" "$T/json.fd" | head -n 5)"
assert_eq "$(jq '[.files[] | select(.holders[0].type == "mmap")] | length' "$T/list.json")" \
	$((N / 10)) "files held by a mapping"
assert_eq "$(jq '[.files[].id] | unique | length' "$T/list.json")" "$files" "distinct ids"

# the order of the table (written by one thread), and advice for every file
awk '$1 ~ /^[0-9]+:[0-9]+:[0-9]+$/ {print $1}' "$T/list.txt" >"$T/table.ids"
jq -r '.files[].id' "$T/list.json" >"$T/json.ids"
cmp -s "$T/table.ids" "$T/json.ids" || fail "the JSON's files are not in the table's order"
assert_eq "$(jq '[.files[] | select(.recommendation.method == "copy" and
	.recommendation.target != null and (.methods | length) == 6)] | length' "$T/list.json")" \
	"$files" "files with a copy recommended and every method ranked"
echo "ok: $files files in two parts, read as one"
