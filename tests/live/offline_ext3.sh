#!/usr/bin/env bash
# --offline on a crashed ext3 (journal, block maps): the orphan list.
EXTRA_VICTIMS=2 # other orphans stay on the list after the relink
source "$(dirname "$0")/offline_lib.bash"
crash mkfs.ext3 ext3
check_all list
