/* plan: the decisions a rescue makes around its job, shared by every face.
 *
 * --recover and the console do the same five things (find the file, plan the
 * method and target, confirm, run the job, report); what is decided rather than
 * shown lives here: which target a destination directory is on, which method runs
 * there, the job's spec, whether the result counts as a success, what to check
 * afterwards, and the action log's line. The faces only ask and show.
 */
#ifndef RT_RESCUE_PLAN_H
#define RT_RESCUE_PLAN_H

#include "decide/advise.h"
#include "decide/after.h"
#include "rescue/job.h"

#include <stdbool.h>
#include <stddef.h>

/* The target that holds directory DIR into *OUT: the entry of TL on the same
 * device or filesystem, else STAND_IN filled from statfs (its strings point at DIR
 * and constants: it lives as long as DIR). 0 or a negative errno of open/fstat. */
int plan_dest_target(const char *dir, const struct target_list *tl, struct target *stand_in,
                     const struct target **out);

/* The directory part of PATH ("." or "/" at least) into BUF. */
void plan_dir_of(const char *path, char *buf, size_t len);

/* For dest_resolve_ours(): is the interrupted rescue at DEST (or the incomplete
 * result DEST whose map names it) the one of the entry CTX points at (a const
 * struct entry *)? */
bool plan_journal_is_ours(const char *dest, void *ctx);

/* The loop device that holds E (the mounted one first), or NULL. */
const struct holder *plan_loop_holder(const struct entry *e);

/* The option for method WANT (-1: the recommended one) when E (advice A) is
 * written to target T, into *OUT, with the decision's warning into WARNING (LEN
 * bytes, may be empty). 0 when it can run, 1 when it cannot (OUT->reason says
 * why), 2 when nothing may be written to T at all (WARNING says why: it does not
 * answer, or it vanishes with a deleted loop image), -ENOENT when the method is
 * not among the options. */
int plan_choose(const struct entry *e, const struct advice *a, const struct target *t, int want,
                struct rec_option *out, char *warning, size_t len);

/* The spec of a job rescuing E with METHOD to DEST (NULL with STREAM_FD >= 0) read
 * through PIN (E's own, or a duplicate that outlives the scan). WRITERS has room for
 * E->nholders (at least 1). FREEZE stops the writers; a loop-mounted image's
 * filesystem (LH) is frozen with them (without FREEZE, it is the one a freeze
 * asked while running freezes). Strings point into E and DEST: job_start copies
 * them. */
void plan_spec(const struct entry *e, const struct pin *pin, enum rec_method method,
               const char *dest, int stream_fd, uint64_t max_rate, bool freeze,
               struct job_writer *writers, struct job_spec *out);

/* What the report needs of a rescue, copied so that it outlives the scan. */
struct plan_facts {
	enum rec_method method;
	bool stream; /* sent to a stream: no result file */
	bool freeze, sync_after_reflink;
	size_t nwriters;
	const char *loop_dev, *loop_mountpoint; /* NULL without a loop holder */
	bool loop_autoclear, loop_readonly;
	bool pin_loopdev; /* read through the loop device only */
};

/* The facts of a rescue of E planned as SPEC (FREEZE as asked); the strings point
 * into E. */
void plan_facts_of(const struct entry *e, const struct job_spec *spec, struct plan_facts *out);

/* Did the job that ended with ERR (job_step's last value) and result RES succeed?
 * A live sync without freeze (neither planned nor asked while it ran) succeeds
 * unverified (crash-consistent), a relink needs no hashes, a result with ranges
 * left unread never succeeds. Fills AF for after_checks() (pointing into F and
 * RES). */
bool plan_outcome(const struct plan_facts *f, int err, const struct job_result *res,
                  struct after_facts *af);

/* readerr: how many unread ranges a summary lists before "and N more". */
#define PLAN_UNREAD_SHOWN 8
/* Room for one range as plan_unread_range() writes it. */
#define PLAN_RANGE_LEN 96

/* readerr: the unread range R as people read it into BUF (LEN bytes):
 * "bytes A-B (SIZE): strerror". Returns BUF. */
char *plan_unread_range(const struct badrange *r, char *buf, size_t len);

/* readerr: the command that reads again, into the incomplete result FINAL, only what
 * its map lists as unread: "PROG --recover ID --to FINAL --method METHOD", with
 * "--retries N" when RETRIES >= 0, each word quoted for a POSIX shell (text/shq.h),
 * into BUF (LEN bytes). 0, or -ENAMETOOLONG when it does not fit (BUF is then ""). */
int plan_retry_command(const char *prog, const char *id, const char *final, enum rec_method method,
                       int retries, char *buf, size_t len);

/* Append the action's line to the log at LOG (NULL: the default): METHOD on the
 * file ID (PATH, PATH_LEN bytes, SIZE bytes) to TARGET, BYTES written, RESULT ("ok"
 * or why not), RES when the job ran (NULL for a refusal). 0 or a negative errno. */
int plan_log(const char *log, enum rec_method method, const char *id, const char *path,
             size_t path_len, uint64_t size, const char *target, uint64_t bytes, const char *result,
             const struct job_result *res);

#endif
