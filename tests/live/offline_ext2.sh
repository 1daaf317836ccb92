#!/usr/bin/env bash
# --offline on a crashed ext2: no journal, so no orphan list; the inode table walk
# finds the inode in use with no links. (Mounted with the ext4 driver, which can
# freeze it and, without a journal, keeps no orphan list either.)
EXTRA_VICTIMS=1 # other orphans stay on the list after the relink
source "$(dirname "$0")/offline_lib.bash"
crash mkfs.ext2 ext4
assert_eq "$("$RT_BIN" --offline "$IMG" --list --json | jq -r '"\(.journal) \(.deep)"')" \
	"false true" "no journal: the table is walked"
check_all inode_table
