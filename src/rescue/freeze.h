/* freeze: stopping the writers (and a filesystem) for a consistent final pass. */
#ifndef RT_RESCUE_FREEZE_H
#define RT_RESCUE_FREEZE_H

#include "rescue/state.h"

/* -EPERM when --freeze would stop pid 1, us or an ancestor of ours. */
int job_check_freezable(const struct job *j);
/* The same whether or not FREEZE is set (a freeze asked while running). */
int job_check_stoppable(const struct job *j);
/* Start the guardian, SIGSTOP the writers, wait until they stopped, FIFREEZE.
 * 0 once everything is stopped (the caller starts the frozen pass), 1 when the
 * step's time ran out first, or the negative errno of a failure (job_fail). */
int job_freeze_step(struct job *j, int64_t deadline);
/* FITHAW, SIGCONT, dismiss the guardian; nothing when nothing is frozen. */
void job_resume_all(struct job *j);
/* Does some writer still hold the file (follow)? The planned writers first; when
 * none is left, any process at all (read from /proc, at most once a second). */
bool job_writers_alive(struct job *j);
/* A writer we stopped that is not stopped now (0: none). */
pid_t job_first_running(struct job *j);
/* Did the guardian resume everything because we were stopped too long? */
bool job_guard_gave_up(struct job *j);
/* Fail the job for that (job_fail); returns the negative errno. */
int job_fail_guard(struct job *j);

#endif
