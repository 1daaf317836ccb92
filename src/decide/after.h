/* after: what to check once a file is rescued, with exact commands.
 *
 * A copy of a live VM disk or filesystem image is only crash-consistent; a loop-
 * mounted image must stay mounted until the copy is verified; frozen writers were
 * resumed. after_checks() is pure; after_detect() looks at the result's content.
 */
#ifndef RT_AFTER_H
#define RT_AFTER_H

#include "decide/rec.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum after_content { CONTENT_UNKNOWN, CONTENT_EXT, CONTENT_XFS, CONTENT_BTRFS, CONTENT_QCOW2 };

struct after_facts {
	enum rec_method method;
	const char *result; /* final path of the result (NULL when streamed) */
	enum after_content content;
	bool ok; /* the job succeeded */
	bool verified;
	bool live; /* a writer held the file while it was copied */
	bool source_changed;
	bool frozen;          /* writers were stopped for the final pass */
	bool fs_frozen;       /* the loop image's filesystem was frozen for it (fsfreeze) */
	const pid_t *resumed; /* ... and resumed: these */
	size_t nresumed;
	const char *loop_dev, *loop_mountpoint; /* loop image, mounted there */
	bool loop_autoclear;
	long long unreadable; /* bytes a loop device pin could not give, -1 unknown */
	/* readerr: bytes of the source that could not be read, in how many ranges (holes
	 * in RESULT, listed in its map), and the command that reads them again */
	unsigned long long unread;
	unsigned unread_ranges;
	const char *unread_map, *retry;
};

#define AFTER_MAX 8
/* Room for a sentence and a command with a PATH_MAX name quoted for the shell. */
#define AFTER_LEN 8192

/* Fill LINES with at most AFTER_MAX checks, most important first; returns how many.
 * Commands in them have their names quoted for a POSIX shell (text/shq.h); the lines
 * still carry other bytes of names as they are, so a face escapes them for display.
 * A RESULT of NULL or "-" is a stream. */
size_t after_checks(const struct after_facts *f, char lines[][AFTER_LEN]);

/* What the file at PATH holds: a filesystem (libblkid) or a qcow2 image. */
enum after_content after_detect(const char *path);

#endif
