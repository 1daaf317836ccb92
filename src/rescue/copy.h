/* copy: the copy, follow and sync engines, one bounded step at a time. */
#ifndef RT_RESCUE_COPY_H
#define RT_RESCUE_COPY_H

#include "rescue/state.h"

/* The phase steps run until DEADLINE (monotonic ns) or a change of phase; see
 * rescue/state.h for what they return. */
/* Copy (and sync's pass 1; a frozen copy ends at PH_FROZEN_DONE). */
int job_copy_step(struct job *j, int64_t deadline);
/* Sync's block table from the result (resume, clone). */
int job_rehash_step(struct job *j, int64_t deadline);
/* Sync passes from 2 on, the frozen one included. */
int job_pass_step(struct job *j, int64_t deadline);
/* Follow: append as the source grows, notice truncations and the writers' end. */
int job_follow_step(struct job *j, int64_t deadline);
/* Start the next sync pass (FROZEN: the final one): size, table, phase. */
void job_pass_begin(struct job *j, bool frozen);

#endif
