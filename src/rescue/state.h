/* state: the job's insides, shared by every file of src/rescue and by nothing
 * outside it (faces use rescue/job.h). Calls go only down this list:
 *   job.c      the driver: start, step, cancel, failure, finish, free
 *   copy.c     copy, follow, sync passes (uses freeze.c to check on writers)
 *   freeze.c   stop the writers and a filesystem; the guardian
 *   verify.c   the final comparison
 *   prepare.c  the target: .partial, resume, clone
 *   salvage.c  reads that survive errors, the retries of what failed, the map
 *   io.c       reads, writes, hashing, throttle
 *   journal.c  the resumable record
 *   state.c    phase, progress, message, failure, cancellation
 * badmap.c (the map of unread ranges) is plain data below them all.
 */
#ifndef RT_RESCUE_STATE_H
#define RT_RESCUE_STATE_H

#include "rescue/chash.h"
#include "rescue/badmap.h"
#include "rescue/job.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <xxhash.h>

#define JOB_CHUNK_MAX        (1u << 20)      /* bytes per read: large sequential I/O */
#define JOB_BLOCK_MIN        4096u           /* sync: bytes per hashed block, at least */
#define JOB_TABLE_MAX        (2u << 20)      /* sync: blocks at most (16 MiB of hashes) */
#define JOB_WB_WINDOW        (8u << 20)      /* write-behind: bytes between two waits */
#define JOB_JOURNAL_NS       (2000000000ll)  /* save the journal at least this often */
#define JOB_JOURNAL_BYTES    (256ull << 20)  /* ... or after this many bytes */
#define JOB_POLL_NS          (100000000ll)   /* follow: how often the size is looked at */
#define JOB_RATE_WINDOW_NS   (3000000000ll)  /* the rate is measured over this span */
#define JOB_RATE_SAMPLE_NS   (100000000ll)   /* ... from readings this far apart */
#define JOB_RATE_MIN_SPAN_NS (50000000ll)    /* ... and never over less than this */
#define JOB_RATE_RING        40u             /* readings kept: covers the window */
#define JOB_STOP_WAIT_NS     (10000000000ll) /* freeze: how long a writer may take to stop */
#define JOB_FREEZE_ROUNDS    4u              /* freeze: new writers appearing, tries at most */
#define JOB_GUARD_BEAT_MS    200             /* freeze: we tell the guardian we run this often */
#define JOB_GUARD_SILENCE_MS 3000            /* ... and it resumes everything after this silence */
#define JOB_GUARD_GAVE_UP    3               /* the guardian's exit status when it did */
#define JOB_WRITER_RESCAN_NS (1000000000ll)  /* follow: /proc read for new writers at most this often */
#define JOB_PASSES_DEFAULT   8u              /* sync: passes at most unless the spec says */
#define JOB_CONVERGE_PART    1000u           /* sync: converged when a pass changes 1/1000 ... */
#define JOB_CONVERGE_MIN     (1u << 20)      /* ... or 1 MiB, whichever is more */
#define JOB_ALIGN            4096u           /* buffer alignment for O_DIRECT */
#define JOB_TAIL             4096u           /* follow: bytes compared to notice a rewrite */
#define JOB_RETRIES_DEFAULT  1u              /* readerr: rounds over the unread ranges */
#define JOB_RETRY_PAUSE_NS   (200000000ll)   /* ... each after this pause (the disk settles) */

enum job_phase {
	PH_RELINK,      /* linkat the inode to DEST */
	PH_REHASH,      /* sync resume or reflink: block hashes from the target */
	PH_COPY,        /* copy, sync pass 1: data extents in order */
	PH_FOLLOW,      /* append as the source grows */
	PH_PASS,        /* sync passes from 2 on */
	PH_FREEZE,      /* stop the writers, freeze the filesystem */
	PH_FROZEN_PASS, /* the final sync pass while everything is stopped */
	PH_FROZEN_DONE, /* one step boundary with the writers still stopped */
	PH_VERIFY,      /* hash the source, then the result */
	PH_FINISH,      /* fsync, rename, fsync the directory, drop the journal */
	PH_END,
};

/* Cached SEEK_DATA/SEEK_HOLE answer: [start, end) is data or a hole. */
struct job_ext {
	int fd;
	bool ok; /* the filesystem answers SEEK_DATA */
	bool data;
	uint64_t start, end;
	uint64_t size; /* full reads: the file's size at the reset, UINT64_MAX unknown */
};

/* Processes stopped for the frozen pass and the guardian that resumes them. */
struct job_freeze {
	pid_t *pid; /* unique writer pids that we stop (not ones already stopped) */
	int *pidfd; /* pidfd_open of each, -1 where not available */
	size_t n, cap;
	bool stopped; /* SIGSTOP sent, not yet resumed */
	bool settled; /* ... and every thread of every writer seen stopped, none new:
	               * only then does the progress record say frozen */
	int fsfd;     /* freeze_fs directory, -1 */
	bool fs_frozen;
	pid_t guardian;
	/* our end of the socket to the guardian: 'F' = filesystem frozen by us, 'f' = not,
	 * 'H' = we still run (JOB_GUARD_BEAT_MS), 'D' = all resumed */
	int gpipe;
	bool guard_gave_up; /* the guardian resumed everything: we were stopped too long */
	pthread_t beat;
	bool beating;
	pthread_mutex_t beat_mu;
	pthread_cond_t beat_cv;
	bool beat_stop;
	int64_t t_stop;
	bool prepared;
	unsigned rounds; /* freezes started over because a new writer appeared */
	/* follow: the last full look for writers, and whether it found one */
	int64_t t_rescan;
	bool rescan_found;
};

/* Verification: one side at a time, in chunks. */
struct job_verify {
	int side; /* 0 source, 1 target, 2 done */
	uint64_t pos, end;
	bool started;
	struct chash *a, *b; /* a: compared hash; b: the landing check (target) */
	uint64_t a_from, b_from;
	bool b_is_a;     /* both hash the same bytes: only a is computed */
	struct stat st0; /* the source before its hashing */
	bool src_moved;  /* its size or mtime moved since the copy began */
	bool table_bad;
	uint64_t table_bad_at;
};

struct job {
	/* the spec, with private copies of what it points to */
	struct job_spec spec;
	char *dest, *src_name;
	struct job_writer *writers;
	char *dir, *base, *partial_base, *journal_base; /* DEST split up */
	int dir_fd;
	int src_fd; /* reading: the pin's fd, or our O_DIRECT reopen of a loop device */
	bool src_direct;
	uint64_t lo;  /* first readable byte of the source (loop offset for PIN_LOOPDEV) */
	uint64_t end; /* bytes of the source the current copy or pass covers */
	bool loopdev;
	struct stat st_start; /* the source when the copy began */
	int dst_fd;           /* the .partial, or the stream, -1 */
	bool stream;
	bool have_partial; /* we own a .partial (created or resumed) */
	bool started;      /* job_start succeeded: job_free may save the journal */
	bool journaled;    /* a journal of ours exists */

	enum job_phase ph, next_after_freeze;
	int64_t t_work, t_verify; /* when the work and the verification began (job_now) */
	atomic_uint cancels;
	bool follow_stop; /* follow: the first cancel ends the follow normally */
	/* job_request_freeze: set by any thread (under MU, with PROG.FREEZE_REQ), taken
	 * by the job's own at a pass boundary, which then sets FREEZE_TAKEN (its own) */
	atomic_bool freeze_asked;
	bool freeze_taken;

	/* buffers and grid */
	unsigned char *buf;
	size_t bufsz;
	uint32_t chunk, block;
	uint64_t pos;  /* the phase's position (source offset) */
	uint64_t jpos; /* for the journal: source [lo, jpos) is in the result (copy, pass 1) */

	/* hashing */
	struct chash *stream_h; /* what was read, in order: [stream_from, ...) of the result */
	uint64_t stream_from;   /* result offset the stream hash starts at */
	bool stream_valid;
	bool head_done;  /* the zeros before a loop device's offset are hashed (and sent) */
	uint64_t *table; /* sync: XXH3_64 per block, zero-padded */
	size_t nblocks, table_cap;
	uint64_t zero_hash;
	bool rehash_then_copy; /* after PH_REHASH: continue pass 1 (else passes) */
	uint64_t rehash_end;

	/* sync */
	unsigned pass, max_passes;
	uint64_t converge, changed;
	uint64_t pass_size0;
	struct chash *frozen_h; /* the source's hash read during the frozen pass */
	bool frozen_hash_done;
	bool src_hash_done;  /* the source's hash is known before verifying: no second read */
	pid_t freeze_broken; /* a writer ran during the frozen pass (someone resumed it) */
	/* The source was truncated under the copy: from SHRANK_FROM bytes (its size when
	 * the copy began) to SHRANK_TO (where the reads ended); a change of the source,
	 * not a fault of the target. */
	bool shrank;
	uint64_t shrank_from, shrank_to;

	/* follow */
	uint64_t src_pos, tgt_pos, tail_start;
	unsigned char tailbuf[JOB_TAIL];
	size_t tail_len;
	struct timespec last_mtime;
	int64_t next_poll, next_writer_check;
	bool writers_gone, final_catchup;
	uint64_t last_trunc_src, last_trunc_tgt;

	/* verification */
	struct job_verify v;

	/* cursors: the copy's on the source; the full reads' on either side */
	struct job_ext ext;
	struct job_ext fext[2];
	int dio[2]; /* O_DIRECT reopens of source and result for holes; -1: none, -2: not yet */

	/* throttle */
	double tokens;
	int64_t t_tokens;

	/* write-behind */
	uint64_t wb_lo, wb_hi, wb_plo, wb_phi, wb_pend;

	/* journal */
	int64_t j_last;
	uint64_t j_bytes;
	bool j_dir_synced;

	/* freeze */
	struct job_freeze fz;

	/* progress */
	pthread_mutex_t mu;
	struct job_progress prog;
	uint64_t work; /* bytes moved or hashed, for the rate */
	int64_t rs_t[JOB_RATE_RING];
	uint64_t rs_b[JOB_RATE_RING];
	unsigned rs_n, rs_i;
	int err;
	pid_t ioprio_tid;
	int busy_fd; /* our mark that a job reads the source (rescue/busy.h), -1 */

	struct job_result res;

	/* readerr: what could not be read (result offsets), and its retries */
	struct badmap bad;
	char *unread_base;  /* DEST's base name + ".unread": the map beside the result */
	bool unread_saved;  /* a map file of ours exists */
	bool bad_seen;      /* the map was not empty at some time: hashes taken while
	                     * copying hold zeros for what was unread */
	bool repair;        /* continuing our own incomplete result DEST in place */
	uint32_t unit;      /* the smallest read: bisection stops there */
	bool skip_ahead;    /* the last chunk read nothing: the next failing one is not
	                     * split (ddrescue's first pass); the retries split it */
	uint64_t unchecked; /* bytes of the map the copy read, but the check could not */
	unsigned retries;   /* rounds over the map before verifying */
	unsigned retry_round;
	bool retry_in_round, retry_done, retry_wrote;
	uint64_t retry_pos; /* the round's position (result offset) */
	int64_t retry_wait; /* when the round may begin */
};

/* The phase steps (job_*_step) run until DEADLINE (monotonic ns) or a change of
 * phase: they return 1 when the step should end now, 0 after moving to another
 * phase, or the negative errno of a failure already reported with job_fail. */

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t job_now(void);
/* Enter phase PH, shown as PHASE. */
void job_set_phase(struct job *j, enum job_phase ph, const char *phase);
/* Publish DONE of TOTAL, the rate and the ETA (under the lock). */
void job_publish(struct job *j, uint64_t done, uint64_t total);
/* Set the message. */
void job_say(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the message with j->mu already held. */
void job_say_locked(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Record that the job ends with ERR and publish why (the message); returns ERR, or
 * the earlier error when there was one. The driver (job.c) then resumes the writers
 * and saves the journal: nothing here calls upward. */
int job_fail(struct job *j, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* job_fail with the words for a failed write of the result, or read of the source. */
int job_fail_write(struct job *j, int err);
int job_fail_read(struct job *j, int err, uint64_t off);
/* Has job_cancel asked to stop (twice for follow)? */
bool job_cancelled(struct job *j);
/* Are the writers stopped for the final pass (or the copy): FREEZE, or a freeze
 * asked while running and taken? */
bool job_stops_writers(const struct job *j);
/* The filesystem to FIFREEZE with them, or NULL. */
const char *job_fs_to_freeze(const struct job *j);
/* Does the job freeze at all (writers or a filesystem)? */
bool job_wants_freeze(const struct job *j);
/* At a pass boundary: take a freeze asked by job_request_freeze, if any (from then
 * on job_wants_freeze is true). Returns whether one was taken now. */
bool job_take_freeze_request(struct job *j);

#endif
