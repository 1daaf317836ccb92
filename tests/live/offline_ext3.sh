#!/usr/bin/env bash
# --offline on a crashed ext3 (journal, block maps): the orphan list.
source "$(dirname "$0")/offline_lib.bash"
crash mkfs.ext3 ext3
check_all list
