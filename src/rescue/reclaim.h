/* reclaim: give back the space of a held deleted file by truncating it to 0 through
 * a holder's fd, as root does by hand with ': > /proc/PID/fd/N', but only on the
 * very inode the scan found. The holder's own fd and offset are untouched: an
 * appending writer goes on appending from 0, another writer leaves a hole.
 * Whether it may be done at all is decide/reclaim.h's question, asked first.
 */
#ifndef RT_RESCUE_RECLAIM_H
#define RT_RESCUE_RECLAIM_H

#include <stdint.h>
#include <sys/types.h>

struct entry;
struct reclaim_facts;

struct reclaim_result {
	pid_t pid; /* the holder it was truncated through */
	int fd;
	uint64_t size_before;       /* the file's size just before */
	uint64_t free_before, free_after; /* the filesystem's free bytes (f_bfree) */
	uint64_t freed;             /* free_after - free_before, 0 if it did not grow */
};

/* Truncate E to 0 through its first fd holder, then sync that filesystem and measure
 * what was freed. 0 and *OUT, or a negative errno: -ENOENT when no holder's fd can
 * be opened any more (the holder exited), -ESTALE when that fd is no longer E's
 * deleted inode, -EACCES without the right to write it. */
int reclaim_truncate(const struct entry *e, struct reclaim_result *out);

/* The facts decide/reclaim.h judges beyond the scan, for E whose id is ID: whether
 * a rescue job reads it now, whether its filesystem is read-only, and the newest
 * verified rescue of it in the action log at LOG (NULL: the default). */
void reclaim_gather(const struct entry *e, const char *id, const char *log,
                    struct reclaim_facts *out);

/* Append the reclaim of E (ID) to the action log at LOG (NULL: the default): FREED
 * bytes, RESULT "ok" or why not. 0 or a negative errno (-EINVAL: not a regular
 * file). */
int reclaim_log(const char *log, const struct entry *e, const char *id, uint64_t freed,
                const char *result);

#endif
