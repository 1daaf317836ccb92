# A file made with O_TMPFILE never had a name: kind tmpfile, found like any other.
. "$(dirname "$0")/lib.bash"
need_cmd jq

head -c 6000 /dev/urandom >"$T/src"
hold t:"$T":"$T/src"
fd=$(hfd "$HOUT" 0)
ino=$(stat -L -c %i /proc/"$HPID"/fd/"$fd")
list
assert_eq "$(by_ino "$ino" .kind)" tmpfile "kind"
assert_eq "$(by_ino "$ino" .size)" 6000 "size"
assert_eq "$(by_ino "$ino" '.holders[0] | "\(.fd) \(.access)"')" "$fd rw" "holder"
assert_eq "$(by_ino "$ino" .path)" "$T/#$ino" "the kernel's name for it"
