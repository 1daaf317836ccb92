/* advise: the recommendation for every file of a scan, against the targets.
 *
 * The glue between the facts (scan, targets) and the pure decision (rec): it finds
 * which target each file lives on (fstatfs through the pin) and hands both to
 * rec_decide(). The CLI and the console show its result; neither decides anything.
 */
#ifndef RT_ADVISE_H
#define RT_ADVISE_H

#include "decide/rec.h"
#include "find/scan.h"
#include "find/target.h"

#include <stdbool.h>
#include <stddef.h>

struct advice {
	struct rec_result rec;
	uint64_t fsid; /* filesystem id of the file, 0 when unknown */
};

/* Advise on each of the R->n files of R with the targets TL. Returns a malloc'ed
 * array of R->n results (free() it; NULL with errno ENOMEM, or when R is empty).
 * Each is 8 KiB (reasons, and a warning with room for any path): for a report that
 * writes one file after another, an advisor costs less. */
struct advice *adv_all(const struct scan_result *r, const struct target_list *tl, double copy_bps);

/* Advice one file at a time. Every file's filesystem id is taken up front (a
 * target's summary counts the files on it); a file's recommendation is decided when
 * asked for, into one slot. Deciding thousands of files into adv_all()'s array cost
 * more in page faults and cold reads than the deciding itself. */
struct advisor {
	const struct scan_result *r;
	const struct target_list *tl;
	double copy_bps;
	uint64_t *fsid;        /* R->n ids (adv_fsid) */
	bool shared;           /* FSID is another advisor's (advisor_share) */
	struct rec_target *rt; /* room for TL->n */
	struct advice one;     /* what advisor_get() returned last */
};

/* Start an advisor on R and TL (both must outlive it). Returns 0 or -ENOMEM. */
int advisor_init(struct advisor *av, const struct scan_result *r, const struct target_list *tl,
                 double copy_bps);

/* Another advisor on FROM's files and targets for a second thread, sharing FROM's
 * filesystem ids (FROM must outlive it; its free leaves them). 0 or -ENOMEM. */
int advisor_share(struct advisor *av, const struct advisor *from);

/* The advice for file I of R, valid until the next call. */
const struct advice *advisor_get(struct advisor *av, size_t i);
void advisor_free(struct advisor *av);

/* The filesystem id of E, through its pin (0 when unknown: no pin, or only the loop
 * device, which lives on another filesystem than the file). */
uint64_t adv_fsid(const struct entry *e);

/* Is target T the filesystem of entry E, whose filesystem id is FSID (0: unknown)? */
bool adv_same_fs(const struct target *t, const struct entry *e, uint64_t fsid);

/* Does a copy of E (filesystem id FSID) fit on target T, and why (in numbers)? */
void adv_fit(const struct entry *e, uint64_t fsid, const struct target *t, double copy_bps,
             struct rec_fit *out);

/* What the held deleted files of R keep allocated on target T: the bytes (allocated,
 * not size: the space df counts and du cannot find) into *BYTES and how many files
 * into *FILES. FSID holds R->n filesystem ids (may be NULL when R is empty). */
void adv_held_on(const struct target *t, const struct scan_result *r, const uint64_t *fsid,
                 uint64_t *bytes, size_t *files);

/* Why target T must never be written to (for the file E, or any file when E is
 * NULL): it does not answer, it lives on a deleted loop backing file, or on E itself.
 * WHY (LEN bytes) is "" when T may be used. */
void adv_unusable(const struct target *t, const struct entry *e, char *why, size_t len);

/* Fill RT (room for TL->n) with the decision's view of the targets for E, whose
 * filesystem id is FSID. */
void adv_targets_for(const struct entry *e, uint64_t fsid, const struct target_list *tl,
                     struct rec_target *rt);

#endif
