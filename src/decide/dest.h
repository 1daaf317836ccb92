/* dest: where a rescued file goes.
 *
 * --to names a directory (the file keeps its original base name there, made unique
 * when taken) or a new file. Nothing existing is ever replaced; an interrupted
 * rescue whose ".partial" and journal are still there is continued instead.
 */
#ifndef RT_DEST_H
#define RT_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The suffixes the recovery engines use beside the final name. */
#define DEST_PARTIAL ".partial"
#define DEST_JOURNAL ".partial.journal"
#define DEST_UNREAD  ".unread" /* the map of ranges a rescue could not read */

/* Resolve TO for a file originally named ORIG (ORIG_LEN bytes, may be empty) with
 * inode INO into OUT (LEN bytes). A directory gets the original base name; an
 * O_TMPFILE name ("#INO") or an empty one becomes "rescued-INO". When that name (or
 * its .partial without a journal) is taken, ".1", ".2", ... are tried. *RESUME is set
 * when OUT has a .partial and journal from an earlier run. Returns 0, -EEXIST when TO
 * is an existing file (never overwritten), -ENOENT when TO's directory does not
 * exist, -ENAMETOOLONG, or another negative errno. */
int dest_resolve(const char *to, const char *orig, size_t orig_len, ino_t ino, char *out,
                 size_t len, bool *resume);

/* The same, where a .partial and journal in a directory TO count as a rescue to
 * continue only when OURS(candidate, CTX) says the journal is this file's; another
 * file's interrupted rescue is left alone and the next name tried. (A file name TO
 * is taken as given: there the job refuses a journal that is not its own.) An
 * existing result with a map of unread ranges beside it (DEST_UNREAD) is continued
 * in place (*RESUME) when OURS says the map is this file's; a name whose map is not
 * is taken. Without OURS an existing name is always -EEXIST. */
int dest_resolve_ours(const char *to, const char *orig, size_t orig_len, ino_t ino,
                      bool (*ours)(const char *dest, void *ctx), void *ctx, char *out, size_t len,
                      bool *resume);

#endif
