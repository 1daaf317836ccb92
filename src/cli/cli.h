/* cli: the non-interactive face, one file per command (list.c, targets.c,
 * recover.c), called from main() after it parsed the options. Each command returns
 * the exit status: 0 success, 1 failure, 2 usage error, 3 a rescue that left ranges
 * unread (recover). Messages to people are made
 * only here and in the console; the layers below return errors as values.
 */
#ifndef RT_CLI_H
#define RT_CLI_H

#include "decide/after.h"
#include "find/scan.h"
#include "text/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct scan_opts;
struct scan_result;
struct target_list;

/* --only and --pid: the files a command may look at and pin (see scan_opts). */
struct cli_filter {
	char **only; /* absolute paths, resolved where they exist */
	size_t nonly;
	int *pids;
	size_t npids;
};

struct list_opts {
	const struct cli_filter *filter;
	bool all;      /* memfd and shared memory too */
	bool json;     /* JSON instead of a table */
	double sample; /* seconds of change sampling (0: none) */
	enum scan_method scan; /* --scan: how the candidates are found */
};

struct recover_opts {
	const struct cli_filter *filter;
	const char *sel;    /* id, PID:FD, loopN, /dev/loopN or original path */
	const char *to;     /* directory, new file name, or "-" for stdout */
	const char *method; /* "auto" or a method name */
	const char *log;    /* action log; NULL for the default */
	bool freeze, yes, json;
	uint64_t max_rate; /* bytes per second, 0 for no limit */
	double sample;     /* seconds of change sampling for auto */
	enum scan_method scan; /* --scan */
	int retries;       /* --retries: rounds over unread ranges; -1: not given */
};

struct reclaim_opts {
	const struct cli_filter *filter;
	const char *sel; /* as for --recover */
	const char *log; /* action log; NULL for the default */
	bool discard;    /* the admin says the data is not wanted */
	bool yes;        /* do not ask */
};

/* rescuetui --list [--json]. */
int cli_list(const struct list_opts *o);

/* rescuetui --targets [--json], with the files SO finds. */
int cli_targets(const struct scan_opts *so, bool json);

/* rescuetui --recover SEL --to PATH. */
int cli_recover(const struct recover_opts *o);

/* rescuetui --reclaim SEL [--discard] [--yes]. */
int cli_reclaim(const struct reclaim_opts *o);

/* ---- the one way the commands speak (say.c) ---- */

/* "rescuetui: MESSAGE" on stderr (warnx). */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_say, then the one hint to --help; returns 2, the usage error status. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bytes from the system (names, paths) escaped for a terminal; never NULL (a "?"
 * string when memory runs out). Caller frees. */
char *cli_shown(const char *s, size_t len);

/* The head every --json summary shares: {"result": {"ok": OK, "method": METHOD, ...
 * left open for the facts of each kind. */
void cli_json_result_begin(struct json *j, FILE *out, bool ok, const char *method);

/* The tail every --json summary shares: the "checks" array of the N reminder LINES
 * (decide/after), then the end of the outer object. */
void cli_json_checks(struct json *j, char lines[][AFTER_LEN], size_t n);

/* cli_say of PREFIX (a literal) and S (a message that may carry names: reasons,
 * warnings, job messages) escaped for the terminal. */
void cli_say_shown(const char *prefix, const char *s);

/* PREFIX, S escaped for the terminal, and a newline, on F. */
void cli_put_shown(FILE *f, const char *prefix, const char *s);

/* Copy the filter F (may be NULL: none) into O. */
void cli_filter_apply(const struct cli_filter *f, struct scan_opts *o);

/* Add the PATH of --only to F (resolved when it exists, else it must be absolute),
 * or the pids of a --pid ARG ("PID" or "PID,PID,...") to F. 0, or the exit
 * status 2 after the usage message. */
int cli_filter_add_path(struct cli_filter *f, const char *arg);
int cli_filter_add_pids(struct cli_filter *f, const char *arg);

/* Free what the adders allocated. */
void cli_filter_free(struct cli_filter *f);

/* scan_run with O, saying why it failed (with the hint that /proc may not be
 * mounted). 0, or the negative errno after the message. */
int cli_scan(const struct scan_opts *o, struct scan_result *r);

/* target_list_read (reflink probes only as root), saying why it failed. 0, or the
 * negative errno after the message. */
int cli_read_targets(struct target_list *tl);

/* Ask QUESTION on the terminal with "[y/N]": true only for "y" or "yes", so that
 * Enter, EOF or anything else is no. */
bool cli_ask(const char *question);

/* Flush stdout; 0, or 1 after saying that the report could not be written. */
int cli_finish_output(void);

/* The width of the terminal on stdout, or 0 when stdout is no terminal. */
unsigned cli_term_width(void);

/* rescuetui --offline DEVICE|IMAGE: orphan inodes of an unmounted ext2/3/4. */
struct offline_opts {
	const char *dev;     /* device or image */
	const char *recover; /* inode number to copy out, or NULL */
	const char *to;      /* --to for recover */
	const char *relink;  /* inode number to link back, or NULL */
	const char *name;    /* --name for relink: relative to the filesystem's root */
	const char *log;     /* action log; NULL for the default */
	bool list, json, deep, yes;
	bool other; /* an option of the online mode was given too: a usage error */
};

/* rescuetui --offline (cli/offline.c). */
int cli_offline(const struct offline_opts *o);

/* rescuetui --version: the version, whether this is the static build, and the
 * versions of the libraries it runs with, written to F. */
void cli_version(FILE *f);

#endif
