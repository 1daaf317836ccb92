/* journal: the resumable record beside a .partial (see journal.c). */
#ifndef RT_RESCUE_JOURNAL_H
#define RT_RESCUE_JOURNAL_H

#include "rescue/state.h"

/* A journal as read back: what the rescue was and how far it got. */
struct journal {
	char method[16];
	uint64_t dev, ino, size, lo, end, pos, src_pos, tgt_pos, tail_start;
	long long mt_s;
	long mt_ns;
	unsigned pass, block, truncations;
	bool complete;
};

/* A journal is a few short lines; more than this is not one of ours. */
#define JOURNAL_MAX 2047

/* Parse the text of a journal (LEN bytes, at most JOURNAL_MAX are looked at) into
 * JR. 0, or -EINVAL for text that is not a complete journal of ours. Pure. */
int journal_parse(const char *buf, size_t len, struct journal *jr);

/* Save the journal when it is due (2 s or 256 MiB); a failure ends the job. */
int job_journal_maybe(struct job *j, int64_t now);
/* Save the journal now: the result's data first (fdatasync). Negative errno. */
int job_journal_save(struct job *j);
/* readerr: save the map of unread ranges as DEST.unread (atomically) when there
 * are ranges or a map of ours exists already. Negative errno. */
int job_unread_store(struct job *j);
/* Read J's journal into JR. 0, or -EINVAL for a journal that is not one of ours or
 * is incomplete, or the errno of opening or reading it. */
int job_journal_read(struct job *j, struct journal *jr);

#endif
