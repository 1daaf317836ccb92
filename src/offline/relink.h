/* relink: give an orphan inode a name again on an UNMOUNTED ext filesystem, and ask
 * e2fsck what it thinks of the result.
 *
 * This is the one offline action that writes to the device. The inode is linked
 * into lost+found (or under a name relative to the filesystem's root) with a link
 * count of 1, and taken off the orphan list (the s_last_orphan chain, or its slot in
 * the orphan file), so that the next mount or fsck keeps it instead of freeing it.
 * Doing the same on a mounted filesystem corrupts it (DESIGN.md): off_open refuses
 * RW on a mounted one, and this refuses a journal that still needs recovery (its
 * replay would put the old orphan list back over the change).
 */
#ifndef RT_RELINK_H
#define RT_RELINK_H

#include "offline/orphan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFF_FSCK_OUT_LEN 4096

struct off_relink_result {
	char path[4096];       /* where the inode is linked now, from the root: "/lost+found/x" */
	bool from_list;        /* it was taken off the s_last_orphan chain */
	bool from_orphan_file; /* ... or out of the orphan file */
	size_t remaining;      /* orphans still there (found as off_scan finds them):
	                        * e2fsck -fn reports them, e2fsck -f frees them */
	char message[OFF_WHY_LEN]; /* why it failed, for people; "" */
};

/* Link regular file INO of FS (opened with off_open(..., rw=true)) as NAME (relative
 * to the root, its directory must exist; NULL: "lost+found/rescued-INO", creating
 * lost+found when it is missing), set its link count to 1 and take it off the orphan
 * lists. The changes are in libext2fs' buffers until off_close writes them. Returns
 * 0, or a negative errno with RES->message: -EROFS FS is read-only, -EAGAIN the
 * journal needs recovery, -EINVAL not an orphan regular file (links, mode) or a NAME
 * off_relink_check refuses, -EUCLEAN its block map is damaged (copy it out instead),
 * -EEXIST NAME exists, -ENOENT or -ENOTDIR NAME's directory, -ENAMETOOLONG, -ENOSPC,
 * -EIO. */
int off_relink(struct off_fs *fs, uint32_t ino, const char *name, struct off_relink_result *res);

/* Would off_relink(FS, INO, NAME) take NAME? The same checks, without writing (FS
 * may be read-only): NAME is not empty, has no "." or ".." component and a file name
 * of at most EXT2_NAME_LEN bytes, its directory exists and it is not there yet
 * (leading slashes are dropped: it is from the root either way). NULL checks
 * lost+found/rescued-INO (a missing lost+found is fine: off_relink makes it).
 * Returns 0, or a negative errno with WHY in words: -EINVAL, -ENAMETOOLONG, -ENOENT
 * or -ENOTDIR (its directory), -EEXIST, -EIO. For a face to refuse a name before it
 * asks; off_relink checks again. */
int off_relink_check(struct off_fs *fs, uint32_t ino, const char *name, char why[OFF_WHY_LEN]);

/* The name off_relink gives INO when given none, from the root without the leading
 * slash ("lost+found/rescued-INO"), into BUF of LEN bytes. */
void off_relink_default_name(uint32_t ino, char *buf, size_t len);

/* Run "e2fsck -fn DEV" (read-only: answers no to everything) with its output in OUT
 * (at most LEN bytes, NUL-terminated, cut when longer). Returns e2fsck's exit status
 * (0 clean; 4 errors left uncorrected; 8 and up: it could not check), or a negative
 * errno when it cannot be run (-ENOENT: no e2fsck). */
int off_fsck(const char *dev, char *out, size_t len);

#endif
