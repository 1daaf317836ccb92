/* parse: pure parsers for what the kernel shows in /proc and /sys.
 *
 * They take bytes and never touch the system, so every corner (a file really named
 * "x (deleted)", paths with spaces, lines longer than expected) is unit-tested.
 */
#ifndef RT_PARSE_H
#define RT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The suffix the kernel appends to the path of an unlinked dentry. */
#define PARSE_DELETED_SUFFIX " (deleted)"

/* True when the LEN bytes at S end in exactly " (deleted)"; then *STRIPPED (if not
 * NULL) is LEN without the suffix. The suffix alone never proves deletion (a file may
 * be named that way): callers confirm with st_nlink == 0. */
bool parse_deleted_suffix(const char *s, size_t len, size_t *stripped);

/* Open-file flags as /proc/PID/fdinfo shows them (octal; the kernel adds O_LARGEFILE). */
#define PARSE_ACC_R 1u
#define PARSE_ACC_W 2u

struct parse_fdinfo {
	uint64_t pos;
	unsigned flags; /* raw f_flags */
	int mnt_id;     /* -1 when the kernel did not say */
};

/* Parse the text of /proc/PID/fdinfo/N. Returns 0, or -EINVAL when "pos:" or "flags:"
 * is missing or malformed. Unknown lines are ignored. */
int parse_fdinfo(const char *buf, size_t len, struct parse_fdinfo *out);

/* Access of an open file from its f_flags: PARSE_ACC_R and/or PARSE_ACC_W. */
unsigned parse_access(unsigned flags);
/* True when f_flags has O_APPEND / the O_TMPFILE bit. */
bool parse_is_append(unsigned flags);
bool parse_is_tmpfile(unsigned flags);

/* One line of /proc/PID/maps. PATH points into the parsed line (not copied, not NUL-
 * terminated): it is the text after the inode column with the " (deleted)" suffix
 * already removed when DELETED is set. The kernel writes a newline in a name as
 * "\012"; parse_maps_unescape() undoes that. */
struct parse_maps {
	uint64_t start, end, offset;
	unsigned dev_major, dev_minor;
	uint64_t ino;
	bool readable, writable, shared;
	const char *path;
	size_t path_len;
	bool deleted;
};

/* Parse one line (without its newline) of LEN bytes. Returns 0 or -EINVAL. A line with
 * no path (anonymous memory) parses with PATH_LEN 0. */
int parse_maps_line(const char *line, size_t len, struct parse_maps *out);

/* Copy the LEN bytes of a maps path to DST (room for LEN + 1), turning "\012" back
 * into a newline. Returns the new length; DST is NUL-terminated. */
size_t parse_maps_unescape(char *dst, const char *src, size_t len);

/* Parse a sysfs number ("4096\n", surrounding blanks allowed). Returns 0, -EINVAL for
 * anything else, -ERANGE when it does not fit. */
int parse_sysfs_u64(const char *buf, uint64_t *out);

/* The command name and state of /proc/PID/stat (BUF, LEN bytes): "PID (COMM) S ...".
 * COMM may hold anything, ')' and spaces included: it ends at the last ')'. The name
 * goes to COMM (CAP bytes, NUL-terminated, cut if longer). Returns 0, or -EINVAL. */
int parse_stat_comm(const char *buf, size_t len, char *comm, size_t cap, char *state);

/* Field FIELD (as proc(5) numbers them: 20 the threads, 48 and 49 where the
 * arguments start and end) of /proc/PID/stat (BUF, LEN bytes), an unsigned number,
 * counted from the last ')'. Returns 0, or -EINVAL (a line cut short, a field not
 * an unsigned number, FIELD below 4). */
#define STAT_THREADS   20
#define STAT_ARG_START 48
#define STAT_ARG_END   49
int parse_stat_num(const char *buf, size_t len, int field, uint64_t *out);

/* The number of tasks (processes and threads) that exist, from /proc/loadavg's
 * fourth field ("1.00 0.50 0.25 2/2085 12345"). Returns 0, or -EINVAL. */
int parse_loadavg_tasks(const char *buf, uint64_t *out);

/* Parse a /proc directory name as a pid: digits only, > 0. Returns the pid or -1. */
int parse_pid(const char *name);

#endif
