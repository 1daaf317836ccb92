/* offline internals shared by orphan.c (open, walks), extract.c (copy out) and
 * relink.c (link back). Not for use outside src/offline. */
#ifndef RT_OFF_IMPL_H
#define RT_OFF_IMPL_H

#include "offline/orphan.h"

#include <ext2fs/ext2fs.h>
#include <stdarg.h>
#include <sys/stat.h>

struct off_fs {
	ext2_filsys fs;
	char *path;
	struct stat st; /* of PATH when opened */
	bool rw;
};

/* A libext2fs code as a negative errno (its own codes mapped to the nearest). */
int off_errno(errcode_t e);

/* WHY = the formatted text, then ": " and libext2fs' message for E (when E != 0).
 * WHY may be NULL. Returns off_errno(E), or FALLBACK when E is 0. */
int off_fail(char *why, errcode_t e, int fallback, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Read inode INO in full (large inodes included). 0 or a negative errno. */
int off_read_inode(struct off_fs *f, uint32_t ino, struct ext2_inode_large *in);

/* Is INO a valid inode number of FS (1..s_inodes_count)? */
bool off_ino_ok(const struct off_fs *f, uint64_t ino);

/* Is loop device NAME (e.g. "loop3") backed by the file DEV:INO? */
bool off_loop_backed_by(const char *name, dev_t dev, ino_t ino);

#endif
