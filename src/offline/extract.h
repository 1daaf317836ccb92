/* extract: copy an orphan inode's data out of an unmounted ext filesystem.
 *
 * The filesystem is only read (libext2fs, opened without EXT2_FLAG_RW). The result
 * is made the way the online engines make theirs (rescue/job.h): a new file created
 * exclusively under a ".partial" name (O_EXCL, O_NOFOLLOW, mode 0600), data runs
 * written at their offsets so that holes stay holes, every byte hashed (XXH3-128,
 * holes as zeros) as it is read, fsync'ed, read back in full (O_DIRECT where the
 * target filesystem allows) and compared, then renamed to its final name, which is
 * never replaced. Unwritten (preallocated) extents read as zeros and stay holes.
 */
#ifndef RT_EXTRACT_H
#define RT_EXTRACT_H

#include "offline/orphan.h"

#include <stdbool.h>
#include <stdint.h>

struct off_copy_result {
	char final_path[4096]; /* the result; the .partial one when it was kept */
	uint64_t size;         /* bytes of the file (i_size) */
	uint64_t bytes_read;   /* data bytes read from the filesystem */
	uint64_t bytes_written;
	bool verified; /* the result read back hashes as what was read */
	unsigned char src_hash[16], dst_hash[16];
	double seconds_copy, seconds_verify;
	char message[OFF_WHY_LEN]; /* why it failed, for people; "" */
};

/* Called between chunks with the bytes done of TOTAL; may be NULL. Returning
 * non-zero stops the copy: off_recover then fails with -ECANCELED (a face's cancel
 * key; the .partial is removed). */
typedef int (*off_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/* Is directory DIR on the filesystem FS was opened from: the device itself, or, for
 * an image, a loop device backed by that image file? Returns 1, 0, or a negative
 * errno when DIR cannot be looked at. */
int off_target_on_fs(const struct off_fs *fs, const char *dir);

/* Copy regular file INO of FS to DEST (a file name; its directory must exist; the
 * face resolves --to with dest_resolve). Returns 0 when the result is complete,
 * verified and renamed; or a negative errno with RES->message: -EINVAL not a regular
 * file, -EXDEV DEST lies on FS itself, -EEXIST DEST or DEST.partial exists, -EUCLEAN
 * a damaged block map, -EIO a read of FS, or the result does not read back as
 * written (the .partial is kept then), -ENOSPC, -ECANCELED PROGRESS asked to stop,
 * ... On other failures the
 * .partial is removed. */
int off_recover(struct off_fs *fs, uint32_t ino, const char *dest, off_progress_fn progress,
                void *ctx, struct off_copy_result *res);

#endif
