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

#endif
