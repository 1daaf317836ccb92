/* jobs: the console's rescues, each in a thread of its own, without curses.
 *
 * The main thread plans a rescue (rescue.c) and hands it here with a duplicate of
 * the file's pin, so that the job reads the same open file whatever the model's
 * worker does to its pins at later scans. The job's thread starts the engine,
 * steps it with a small budget, forwards cancel requests, pokes the console's wake
 * fd after each step, and at the end judges the outcome, gathers the reminders and
 * appends the action log line exactly as --recover does (rescue/plan.h). The main
 * thread reads a running job only through cjob_progress() and a finished one after
 * cjob_ended() said so; the engine itself is freed when it ends (its busy mark, which
 * holds off a reclaim, goes with it), its result kept in the cjob.
 */
#ifndef RT_CONSOLE_JOBS_H
#define RT_CONSOLE_JOBS_H

#include "decide/after.h"
#include "find/scan.h"
#include "rescue/plan.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* Jobs one console keeps (running or finished). */
#define JOBS_MAX 16

enum cjob_phase { CJOB_STARTING, CJOB_RUNNING, CJOB_ENDED };

struct cjob {
	/* Set before the thread starts, read-only afterwards. */
	pthread_t th;
	struct pin pin;       /* our own duplicate of the file's pin */
	struct job_spec spec; /* strings point at the copies below */
	struct job_writer *writers;
	struct plan_facts facts;
	char *src_name, *dest, *loop_dev, *loop_mp;
	size_t src_len;
	char id[64];
	dev_t dev;
	ino_t ino;
	uint64_t size;
	const char *log; /* --log, or NULL for the default */
	int wake_fd;
	long t0_ms;
	/* The thread's, published by PHASE (release). */
	atomic_int phase;
	atomic_int cancels; /* requests of the main thread */
	pthread_mutex_t mu; /* J's life: the thread frees it at the end (its busy mark
	                     * must go, or a reclaim would wait for the console) */
	struct job *j;      /* valid from CJOB_RUNNING until CJOB_ENDED */
	/* Valid once CJOB_ENDED. */
	int err; /* job_start's or job_step's last value */
	bool ok;
	bool verified;  /* the engine's result, kept after it is freed */
	uint64_t rsize; /* the result's size */
	unsigned passes;
	long t1_ms;
	char final[PATH_MAX];
	char why[320];
	char lines[AFTER_MAX][AFTER_LEN];
	size_t nlines;
	int log_err;
	bool frozen_pass; /* the final pass ran with the writers stopped */
	/* readerr: what could not be read: bytes, ranges in all, the first of them in
	 * words (plan_unread_range), the map beside the result, and the command that
	 * reads them again ("" when it does not fit) */
	uint64_t unread_bytes;
	size_t unread_ranges, unread_shown;
	char unread[PLAN_UNREAD_SHOWN][PLAN_RANGE_LEN];
	char unread_map[PATH_MAX];
	char retry[PATH_MAX + 256];
};

struct jobs {
	struct cjob *v[JOBS_MAX];
	size_t n;
};

/* Start a job rescuing E (model mutex held: E is read here and never again) with
 * SPEC's method, DEST, max rate and freeze (its src and writers are replaced by our
 * own copies). LOG may be NULL; it must outlive JS. WAKE_FD is poked after every
 * step. Returns the job's index, or a negative errno (-ENOSPC: JOBS_MAX jobs; the
 * errno of dup or pthread_create). */
int jobs_start(struct jobs *js, const struct entry *e, const struct job_spec *spec, const char *log,
               int wake_fd);

/* Has C's thread finished (result, reminders and log line ready)? */
bool cjob_ended(const struct cjob *c);

/* C's progress into *P; false while the engine is not started yet. */
bool cjob_progress(struct cjob *c, struct job_progress *p);

/* Ask C to stop (follow: the first request ends it normally). */
void cjob_cancel(struct cjob *c);

/* Ask C's sync to freeze the writers for a final pass at the end of the pass under
 * way (job_request_freeze: 0 or its negative errno; -EAGAIN while the engine is
 * not started, or after it ended). */
int cjob_request_freeze(struct cjob *c);

/* How many jobs have not ended. */
size_t jobs_running(const struct jobs *js);

/* The newest job of the file DEV/INO, or NULL. */
struct cjob *jobs_of(const struct jobs *js, dev_t dev, ino_t ino);

/* Cancel every job that runs. */
void jobs_cancel_all(struct jobs *js);

/* Wait for every thread, free the engines (which resume and thaw whatever they
 * stopped), close our pins and free JS's jobs. */
void jobs_free(struct jobs *js);

/* Milliseconds of a monotonic clock. */
long jobs_now_ms(void);

/* Wake the console's main loop: one count on its eventfd FD (a worker thread's way
 * to say "draw again"). */
void jobs_poke(int fd);

#endif
