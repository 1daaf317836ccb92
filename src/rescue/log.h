/* log: the action log, one line per rescue (or refusal), so that an admin can tell
 * afterwards what was done to which file and with what result. One line per action:
 *   2026-11-29T04:30:00Z method="copy" source="8:1:12" path="/var/lib/vm.img"
 *   target="/backup/vm.img" bytes=67108864 result="ok"
 * (on one line). Every value but bytes is a JSON string (text/esc.h esc_json: exact
 * bytes, invalid UTF-8 as "\udcNN") or null, so a name cannot break the line or
 * reach a terminal raw, and its bytes can be read back exactly.
 */
#ifndef RT_RESCUE_LOG_H
#define RT_RESCUE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One action. Strings may be NULL (written as "-"); PATH is PATH_LEN bytes. */
struct rlog_line {
	const char *method;
	const char *id; /* the file's id (MAJ:MIN:INO) */
	const char *path;
	size_t path_len;
	const char *target;
	uint64_t bytes;
	const char *result; /* "ok" or what went wrong */
	/* rescues: was the result verified equal to the source, and the source's size
	 * and XXH3-128 then (what a later reclaim checks against) */
	bool verified;
	uint64_t src_size;
	const unsigned char *src_hash; /* 16 bytes, or NULL */
};

/* The newest verified rescue of one file found in the log. */
struct rlog_rescue {
	uint64_t src_size;
	unsigned char src_hash[16];
	bool has_hash;
	long long when; /* seconds since the epoch (UTC) */
};

/* The default log into BUF: /var/log/rescuetui.log for root; for a user
 * $XDG_STATE_HOME/rescuetui.log, else ~/.local/state/rescuetui.log with the home
 * directory from HOME or, when HOME is unset, the password database (the
 * directories are made 0700). 0, or -ENOENT when a user has no home to put it in,
 * -ENAMETOOLONG. Never the current directory. */
int rlog_default_path(char *buf, size_t len);

/* Append L to the log at PATH (NULL: the default). The file is created 0600, never
 * through a symlink, without blocking on a FIFO or taking a controlling terminal,
 * and must be a regular file. 0, or a negative errno (-EINVAL: not a regular file). */
int rlog_append(const char *path, const struct rlog_line *l);

/* Find in the log at PATH (NULL: the default) the newest line of a verified,
 * successful rescue of the file ID (MAJ:MIN:INO). 1 and *OUT when there is one, 0
 * when there is none, or a negative errno when the log cannot be read (-ENOENT: no
 * log). */
int rlog_find_rescue(const char *path, const char *id, struct rlog_rescue *out);

#endif
