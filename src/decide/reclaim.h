/* reclaim: may the space a held deleted file occupies be given back (the file
 * truncated to 0 through a holder), and why not. A pure function of the facts, so
 * that the command line and the console refuse the same things for the same words.
 */
#ifndef RT_DECIDE_RECLAIM_H
#define RT_DECIDE_RECLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct entry;

struct reclaim_facts {
	const struct entry *e;
	bool busy;        /* a rescue job is reading it right now */
	bool readonly_fs; /* its filesystem is mounted read-only */
	bool rescued;     /* the action log holds a verified rescue of this file */
	uint64_t rescued_size;
	long long rescued_when; /* seconds since the epoch */
};

enum reclaim_verdict {
	RECLAIM_OK,           /* rescued, verified and unchanged since: go ahead */
	RECLAIM_NEEDS_DISCARD, /* only if the admin says the data is not wanted */
	RECLAIM_REFUSED,      /* never: truncating would harm a holder or a filesystem */
};

/* Judge F. WHY (LEN bytes) says why in one sentence, in every case. */
enum reclaim_verdict reclaim_judge(const struct reclaim_facts *f, char *why, size_t len);

#endif
