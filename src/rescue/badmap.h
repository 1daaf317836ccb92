/* badmap: the ranges of a source that could not be read (ddrescue's mapfile, for
 * one held file). A leaf of src/rescue: plain data, no job inside.
 *
 * The ranges are kept sorted and disjoint; touching ranges with the same error are
 * merged. Offsets are those of the RESULT (for follow, source offset + the result
 * offset of the source's byte 0), which is where the holes are.
 *
 * Beside a result NAME the map is kept as NAME.unread, a small text file saved
 * atomically (a temporary name, fsync, rename), which names the source:
 *
 *   rescuetui-unread 1
 *   dev 2049
 *   ino 1234
 *   size 1048576
 *   range 8192 4096 5
 *   end-of-map
 *
 * ("range START LENGTH ERRNO"). It is read back strictly: anything else is refused.
 */
#ifndef RT_RESCUE_BADMAP_H
#define RT_RESCUE_BADMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BADMAP_SUFFIX ".unread"
/* A map file larger than this is not one of ours. */
#define BADMAP_FILE_MAX (16u << 20)

struct badrange {
	uint64_t start, len;
	int err; /* the positive errno of the failed read */
};

struct badmap {
	struct badrange *v; /* owned; sorted by start, disjoint */
	size_t n, cap;
};

/* Whom the map is about: the source's device and inode, and the size it had. */
struct badmap_id {
	uint64_t dev, ino, size;
};

/* An empty map (no allocation). */
void badmap_init(struct badmap *m);
/* Free what M holds and leave it empty. */
void badmap_free(struct badmap *m);

/* Record [START, START+LEN) as unread with ERR (positive errno): what it overlaps
 * takes the new error; touching ranges with the same error merge. LEN 0 does
 * nothing. 0, or -ENOMEM (M unchanged), -EOVERFLOW when the range wraps. */
int badmap_add(struct badmap *m, uint64_t start, uint64_t len, int err);

/* [START, START+LEN) was read: take it out of M, splitting a range it cuts in two.
 * 0, or -ENOMEM (M unchanged). */
int badmap_remove(struct badmap *m, uint64_t start, uint64_t len);

/* Does any range of M overlap [START, START+LEN)? */
bool badmap_overlaps(const struct badmap *m, uint64_t start, uint64_t len);

/* The index of the first range that ends after OFF (M->n when none). */
size_t badmap_find(const struct badmap *m, uint64_t off);

/* Bytes in all ranges. */
uint64_t badmap_total(const struct badmap *m);

/* The file's text for M about ID into a new buffer *TEXT (owned by the caller,
 * NUL-terminated) of *LEN bytes. 0 or -ENOMEM. */
int badmap_format(const struct badmap *m, const struct badmap_id *id, char **text, size_t *len);

/* Parse a map file's TEXT (LEN bytes) into *ID and M (which must be empty; on error
 * it is left empty). 0, -EINVAL for anything that is not a complete map of ours
 * (ranges out of order, overlapping, empty, past SIZE, a bad errno, no end line),
 * or -ENOMEM. */
int badmap_parse(const char *text, size_t len, struct badmap_id *id, struct badmap *m);

/* Save M about ID as NAME in directory DIR_FD atomically: NAME.tmp (created
 * exclusively, never through a symlink), fsync, rename over NAME. Negative errno. */
int badmap_save_at(int dir_fd, const char *name, const struct badmap *m,
                   const struct badmap_id *id);

/* Load NAME in DIR_FD (a regular file, not followed through a symlink) into *ID and
 * M (empty). 0, -ENOENT when there is none, -EINVAL as badmap_parse, or the errno of
 * reading it. */
int badmap_load_at(int dir_fd, const char *name, struct badmap_id *id, struct badmap *m);

/* Remove NAME in DIR_FD and fsync the directory; no map is fine. Negative errno. */
int badmap_drop_at(int dir_fd, const char *name);

#endif
