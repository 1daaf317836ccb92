#!/usr/bin/env bash
# Fail when a file includes a header of a higher layer than its own.
# Usage: tests/layers.sh SRCDIR
# The order, lowest first (src/README.md says why): base and text, find, decide,
# rescue (actions), offline (orphans of an unmounted ext fs; uses rescue), then
# the faces cli and console, which include neither each other nor anything above
# (cli/main.c, the program's entry, dispatches to both).
# Curses belongs to the console alone.
set -u
src=${1:-src}
rank() {
	case $1 in
	base | text) echo 0 ;; find) echo 1 ;; decide) echo 2 ;;
	rescue) echo 3 ;; offline) echo 4 ;; cli | console) echo 5 ;; *) echo -1 ;;
	esac
}
bad=0
while IFS= read -r -d '' f; do
	dir=${f#"$src"/}; dir=${dir%%/*}
	mine=$(rank "$dir")
	if [ "$mine" -lt 0 ]; then
		echo "layers: $f is in no known layer folder" >&2; bad=1; continue
	fi
	while IFS=: read -r line inc; do
		inc=${inc#*\"}; inc=${inc%\"*}
		case $inc in
		*/*) ;;
		*) echo "layers: $f:$line: include \"$inc\" without its folder" >&2; bad=1; continue ;;
		esac
		theirs=$(rank "${inc%%/*}")
		if [ "$theirs" -lt 0 ]; then
			echo "layers: $f:$line: \"$inc\" is in no known layer" >&2; bad=1
		elif [ "$theirs" -gt "$mine" ]; then
			echo "layers: $f:$line: $dir/ may not include \"$inc\" (a higher layer)" >&2; bad=1
		elif [ "$theirs" -eq "$mine" ] && [ "$theirs" -ge 5 ] && [ "${inc%%/*}" != "$dir" ] &&
			[ "$f" != "$src/cli/main.c" ]; then
			echo "layers: $f:$line: $dir/ may not include \"$inc\" (a sibling at its layer)" >&2; bad=1
		fi
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	if [ "$dir" != console ] && grep -qE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(n?curses|ncursesw/)' "$f"; then
		echo "layers: $f: curses outside src/console" >&2; bad=1
	fi
done < <(find "$src" -name '*.[ch]' -print0 | sort -z)
[ $bad -eq 0 ] && echo "layers: every include goes down"
exit $bad
