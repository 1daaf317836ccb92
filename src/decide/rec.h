/* rec: the recommendation, a pure function of the facts.
 *
 * From one file (size, holders, how it changes, how it is pinned) and the candidate
 * targets (free space, same filesystem or not, reflink or not) to a ranked list of
 * every method: feasible or not, a one-line reason, a risk, and the target it would
 * write to. No I/O here, so every rule is tested as a table. Online debugfs
 * relinking is listed only to say why it is never offered.
 */
#ifndef RT_REC_H
#define RT_REC_H

#include "find/rate.h"
#include "find/scan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rec_method {
	REC_RELINK,
	REC_REFLINK,
	REC_FOLLOW,
	REC_SYNC,
	REC_COPY,
	REC_DEBUGFS,
	REC_NMETHODS
};

enum rec_risk { RISK_LOW, RISK_MEDIUM, RISK_HIGH };

/* Copy speed assumed when nothing was measured: a modest disk. */
#define REC_COPY_BPS_DEFAULT 100e6
/* Longest shell-quoted name put into a suggested command; a longer one is named by a
 * placeholder instead (a cut quote would be no command). */
#define REC_QUOTED_LEN 1024
/* Room kept on top of a copy's allocated size. */
#define REC_MARGIN_MIN (16ull << 20)

/* What the decision needs to know of a file. */
struct rec_file {
	uint64_t size, allocated;
	enum scan_kind kind;
	bool pinned;                 /* something to read from */
	bool pin_partial;            /* only /dev/loopN: UNREADABLE bytes cannot be read */
	int64_t unreadable;          /* -1 when not known */
	bool writer;                 /* some holder can write */
	bool append_writers;         /* every fd writer has O_APPEND (and there is one) */
	bool fd_holder;              /* some process holds an fd on it */
	const char *loop_dev;        /* held by this loop device, or NULL */
	const char *loop_mountpoint; /* its filesystem is mounted here, or NULL */
	bool loop_autoclear;
	enum rate_class change;
	double rate_bps, growth_bps;
};

/* Room for the reason a target is unusable. */
#define REC_WHY_LEN 160

/* What the decision needs to know of a target. */
struct rec_target {
	const char *mountpoint, *fstype;
	uint64_t size, avail;
	bool readonly, ram, network;
	bool same_fs; /* the file lives on this filesystem */
	int reflink;  /* FICLONE works (1), does not (0), unknown (-1) */
	/* Why nothing may ever be written here, "" when it may: it does not answer, or
	 * it vanishes with a deleted loop backing file (maybe this very file). */
	char unusable[REC_WHY_LEN];
};

struct rec_fit {
	bool fits;
	uint64_t need;      /* allocated bytes plus margin */
	uint64_t keep_free; /* left free for the live writer (own filesystem only) */
	char why[200];      /* the numbers, whether it fits or not */
};

struct rec_option {
	enum rec_method method;
	bool feasible;
	enum rec_risk risk;
	int target; /* index into the targets, -1 for none */
	char reason[320];
};

struct rec_result {
	struct rec_option opt[REC_NMETHODS]; /* ranked, best first */
	size_t n;
	bool recommended;      /* opt[0] is feasible and is the recommendation */
	bool freeze_suggested; /* writers (or the loop filesystem) should be frozen */
	/* what must not be done, or what is missing; room for a PATH_MAX mountpoint and
	 * a command with it quoted (REC_QUOTED_LEN), so that no command is ever cut */
	char warning[6144];
};

/* Does a copy of F fit on T? A copy needs the allocated size plus a margin (2%, at
 * least 16 MiB). On the file's own filesystem it must also leave the live writer
 * room: 10% of the filesystem, or the growth over the expected copy time at
 * COPY_BPS, whichever is larger. OUT->why says it in numbers. */
void rec_fit(const struct rec_file *f, const struct rec_target *t, double copy_bps,
             struct rec_fit *out);

/* Rank every method for F given the NT targets T (NT may be 0). COPY_BPS is the
 * expected copy speed (REC_COPY_BPS_DEFAULT when unknown). */
void rec_decide(const struct rec_file *f, const struct rec_target *t, size_t nt, double copy_bps,
                struct rec_result *out);

/* The facts of a scan entry as the decision wants them. Pure. */
void rec_file_from_entry(const struct entry *e, struct rec_file *out);

/* "relink", "reflink", "follow", "sync", "copy", "debugfs"; "low", "medium", "high". */
const char *rec_method_name(enum rec_method m);
const char *rec_risk_name(enum rec_risk r);

/* The method named S, or -1 (for --method). */
int rec_method_parse(const char *s);

#endif
