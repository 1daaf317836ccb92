# A loop-mounted image that was deleted: the header warns never to detach its loop
# device, and the detail says how much of the file the device cannot give (on a
# tmpfs the file cannot be reopened by handle, so the device is the only pin, and a
# size that is not a multiple of 512 loses its tail).
. "$(dirname "$0")/lib.bash"
. "$(dirname "$0")/console_lib.bash"
need_root
need_cmd losetup
need_cmd mkfs.ext4

mount_at "$T/t" -t tmpfs -o size=64m rt-console-loop
truncate -s $((16 << 20)) "$T/t/disk.img"
mkfs.ext4 -q -F "$T/t/disk.img"
truncate -s $(((16 << 20) + 300)) "$T/t/disk.img"
attach "$T/t/disk.img"
loop=$LOOPDEV
mount_at "$T/m" "$loop"
rm "$T/t/disk.img"

con_console
con_wait "$T/t/disk.img" "the image in the list"
con_wait "! $loop holds a deleted image, mounted on $T/m: never detach it" "the warning"
con_wait_re "${loop#/dev/} +[a-z]+ +$T/t/disk\.img" "the loop device as its holder"
con_keys Enter
con_wait "pin      loop device only: it shows 16M; the file could not be opened" "what the pin cannot read"
con_wait "loop  $loop  offset 0" "the loop holder in the detail"
con_wait "its filesystem (ext4) is mounted on $T/m: never detach $loop" "the detail's warning"
con_keys q q
assert_eq "$(con_exit_status)" 0 "exit status after q"
