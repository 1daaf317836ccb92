#!/usr/bin/env bash
# --offline on a crashed ext4 with the orphan_file feature (e2fsprogs 1.47+).
EXTRA_VICTIMS=2 # other orphans stay on the list after the relink
source "$(dirname "$0")/offline_lib.bash"
probe=$(mktemp "$T/probe.XXXXXX")
truncate -s 16M "$probe"
mkfs.ext4 -q -F -O orphan_file "$probe" 2>/dev/null || skip "mkfs.ext4 cannot make orphan_file"
crash mkfs.ext4 ext4 -O orphan_file
assert_eq "$("$RT_BIN" --offline "$IMG" --list --json | jq -r .orphan_file)" true "orphan_file"
check_all orphan_file
