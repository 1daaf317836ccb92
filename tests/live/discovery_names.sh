# Names are bytes: a newline and an escape sequence, and bytes that are not UTF-8,
# never reach the terminal raw, and JSON gives the exact bytes back.
. "$(dirname "$0")/lib.bash"
need_cmd jq
need_cmd python3

nasty=$'evil\nname\e[31mred\e]0;title\a'
raw=$'latin1-\xe9t\xe9-\xff'
printf 'a' >"$T/$nasty"
printf 'b' >"$T/$raw"
head -c 4096 /dev/urandom >"$T/$nasty.m"
ino_n=$(stat -c %i "$T/$nasty") ino_r=$(stat -c %i "$T/$raw") ino_m=$(stat -c %i "$T/$nasty.m")
hold r:"$T/$nasty" r:"$T/$raw" m:"$T/$nasty.m"
methods=(proc)
"$RT_BIN" --list --json --sample 0 --scan bpf >/dev/null 2>&1 && methods+=(bpf)

# JSON must parse, and surrogateescape must give back the original bytes, on
# either path (a mapped file's name comes from the kernel there).
for m in "${methods[@]}"; do
	list --sample 0 --scan "$m"
	for pair in "$ino_n:$nasty" "$ino_r:$raw" "$ino_m:$nasty.m"; do
		ino=${pair%%:*} want="$T/${pair#*:}"
		# jq would turn the escapes into U+FFFD; Python keeps them (PEP 383).
		python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
p = [f["path"] for f in d["files"] if f["ino"] == int(sys.argv[2])]
assert len(p) == 1, p
sys.stdout.buffer.write(p[0].encode("utf-8", "surrogateescape"))' "$T/list.json" "$ino" >"$T/p.bytes"
		printf '%s' "$want" >"$T/want.bytes"
		cmp "$T/p.bytes" "$T/want.bytes" ||
			fail "$m: JSON path of inode $ino does not give the bytes back"
		echo "ok: $m: JSON round-trips inode $ino"
	done
done

# The table, in a UTF-8 and in the C locale: no control bytes, escapes visible.
for loc in C.UTF-8 C; do
	LC_ALL=$loc "$RT_BIN" --list --only "$T" >"$T/table.$loc"
	if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$T/table.$loc"; then
		fail "control bytes reach the terminal in $loc"
	fi
	grep -qF 'evil\nname\e[31mred\e]0;title\x07' "$T/table.$loc" ||
		fail "escaped name not shown in $loc: $(cat -v "$T/table.$loc")"
	grep -qF 'latin1-\xe9t\xe9-\xff' "$T/table.$loc" || fail "invalid UTF-8 not escaped in $loc"
	[ "$(grep -c "$T" "$T/table.$loc")" = 3 ] || fail "each file must be one line in $loc"
	echo "ok: table safe in $loc"
done

# A path near PATH_MAX (16 components of 250 bytes): found whole, by fd and by
# mapping (whose /proc line is then over 4 KiB long).
long="$T"
for i in $(seq 16); do long="$long/$(printf "%0250d" "$i")"; done
mkdir -p "$long"
printf 'deep' >"$long/f"
head -c 4096 /dev/urandom >"$long/m"
ino_f=$(stat -c %i "$long/f") ino_m=$(stat -c %i "$long/m")
hold r:"$long/f" m:"$long/m"
list
assert_eq "$(by_ino "$ino_f" .path)" "$long/f" "long path by fd"
assert_eq "$(by_ino "$ino_m" .path)" "$long/m" "long path by mapping"
assert_eq "$(by_ino "$ino_m" .holders[0].type)" mmap "long path holder"
