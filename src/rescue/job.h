/* job: a recovery (copy, follow, sync, reflink, relink) that runs in bounded steps
 * and publishes its progress.
 *
 * The source is only ever read, through its pin, opened read-only. The result is a
 * new file, created exclusively (O_EXCL, no symlink following, mode 0600) under a
 * ".partial" name, fsync'ed and verified before it gets its final name, which never
 * replaces an existing file. A journal beside the target (saved atomically) lets the
 * same command resume a copy or sync that was interrupted. Both faces drive jobs the
 * same way: job_start, then job_step until it returns 0 or less, reading
 * job_progress in between (from another thread too).
 *
 * What each method does, and what "verified" means for it:
 * - copy: data extents only (SEEK_DATA/SEEK_HOLE; holes stay holes, the target is
 *   sized first), in 1 MiB reads, never copy_file_range (the bytes are hashed as
 *   they pass). Then the source and the result are each read in full (holes as
 *   zeros; the result with O_DIRECT, so what the storage holds is checked) and
 *   their XXH3-128 compared. With SRC_STATIC and a source whose size and mtime did
 *   not move, the hash taken while copying stands for the source's second read.
 *   Equal: verified, and the result is the
 *   source as it was at one moment between the end of the copy and the start of the
 *   check. Different while what was written reads back as written: the source
 *   changed during the copy; the result is still completed and renamed (the best
 *   copy there is), with verified=false, source_changed=true and a message that
 *   says to use sync. job_step returns 0 then: faces must look at VERIFIED.
 *   If the result does not read back as written, the job fails with -EIO and the
 *   .partial is kept.
 * - stream (STREAM_FD >= 0, copy only): everything in order, holes as zeros, no
 *   .partial, journal or rename. SRC_HASH = DST_HASH = the hash of what was sent;
 *   verified when a second read of the source hashes the same.
 * - follow: appends as the source grows, looking every 100 ms, until no writer
 *   is left (fd writers: /proc/PID/fd/FD no longer is the file; mapping writers
 *   (fd -1): no shared writable mapping of the inode in /proc/PID/maps) or the first
 *   job_cancel, which ends the follow normally (a second one cancels). A truncation
 *   (the size drops below what was copied, or the last 4 KiB copied read back
 *   different) keeps everything copied; the source's content is then appended again
 *   from its byte 0 after it (like tail -F; a truncation to a non-zero size repeats
 *   those bytes). TAIL_START and the message say where. Verified: the result from
 *   TAIL_START equals the source's first (size copied) bytes, and the whole result
 *   reads back as written. Not supported for loop device pins (-EINVAL).
 * - sync: pass 1 copies like copy and keeps an XXH3_64 per block (4 KiB, the
 *   writes of most databases and VMs; larger above 8 GiB so that the table stays
 *   within 2M blocks, 16 MiB); later passes read
 *   every block in full and rewrite the changed ones. It ends after a pass (2 or
 *   later) rewrote less than CONVERGE_BYTES (default max(1 MiB, size/1000)) or
 *   after MAX_PASSES (default 8); a size change during a pass counts as changed.
 *   Without freeze a live source rarely verifies: verified=false, source_changed,
 *   and the message says the copy is live (crash-consistent at best).
 * - copy with FREEZE or FREEZE_FS: the writers are stopped (and the filesystem
 *   frozen) as for sync's final pass below, for the whole copy; SRC_HASH is then of
 *   the source as read while frozen, and a resumed frozen copy starts over (one
 *   snapshot). Not for a stream. Sync, whose frozen pass is short, is the better
 *   choice for anything large.
 * - sync with FREEZE: refused (-EPERM) when a writer is pid 1, us, or one of our
 *   ancestors. After converging (or at MAX_PASSES-1) a guardian process is forked,
 *   every writer gets SIGSTOP (one already stopped by someone else is left alone),
 *   the job waits until all their threads are stopped (10 s at most: -ETIMEDOUT),
 *   FREEZE_FS is frozen (FIFREEZE), and the final pass runs unthrottled, hashing
 *   the whole source as it goes. One job_step returns right after that pass with
 *   the writers still stopped (progress: phase "frozen pass done", frozen=true);
 *   the next thaws and sends SIGCONT. The result is then read back and must equal
 *   the source as frozen. Writers are resumed and the filesystem thawed on every
 *   path: done, error, cancel, job_free, and the guardian does it when we die
 *   (even by SIGKILL): it waits on a pipe only we write to. FREEZE_FS alone (no
 *   FREEZE) freezes the filesystem without stopping processes. A sync started
 *   without FREEZE can be frozen while it runs (job_request_freeze): the end of the
 *   pass under way then leads to the same frozen pass, converged or not.
 * - reflink: FICLONE of the whole source into the .partial in job_start (-EXDEV
 *   to another filesystem, -EOPNOTSUPP where the filesystem cannot; then nothing
 *   is left behind). Verified as for copy (a source that changed after the clone
 *   gives verified=false, the clone being an atomic snapshot of its moment). With
 *   SYNC_AFTER_REFLINK, block hashes are taken from the clone and sync passes
 *   follow; with FREEZE the frozen pass follows the clone at once.
 * - relink: linkat of the pinned inode to DEST (atomic, never replaces; no
 *   .partial, no journal). -EXDEV in job_start when DEST's directory is on another
 *   filesystem; the kernel's ENOENT (not a linkable O_TMPFILE) fails the first step
 *   with a message saying to copy instead. Verified: DEST is that very inode.
 * - loop device pins (PIN_LOOPDEV): only the bytes the device shows are read
 *   (O_DIRECT, as a filesystem on the device writes past its page cache); the
 *   result keeps the file's offsets, so bytes before the loop offset are a hole,
 *   and the hashes count them as zeros. All-zero 4 KiB pages are left as holes.
 *   UNREADABLE is the file's size (SPEC.SRC_SIZE, else asked of xfs by inode
 *   number, else unknown: -1) minus what the device shows.
 *
 * Resume: DEST.partial.journal records the method, the source's identity, size and
 * mtime, and how far the copy got (saved after fdatasync of the result, every 2 s
 * or 256 MiB, on cancel, on failure and in job_free). job_start continues when
 * DEST.partial and a journal for the same method, device and inode exist; a
 * .partial without one is -EEXIST. Copy: from the recorded position (what lies past
 * it is punched out first), or from the start if the source's size or mtime
 * changed; sync: block hashes are rebuilt by reading the .partial, then pass 1
 * continues or a new pass starts; follow: from the recorded end; reflink: cloned
 * again. Every resumed job is verified in full at the end.
 *
 * Read errors (readerr): a read of the source that fails with a media error (EIO,
 * ENXIO, EREMOTEIO, ENODATA, EBADMSG, EUCLEAN) does not end copy, sync or follow: it
 * is halved down to 4 KiB, the blocks that fail are left as holes in the result and
 * recorded in a map (job_unread(), result offsets), saved with the journal as
 * DEST.unread. Before verifying, RETRIES rounds (default 1), each after 200 ms, read
 * only the mapped ranges again; a block that fails only in a later sync pass is
 * punched out of the result (what pass 1 read may be stale). Verification leaves
 * the unread ranges out of both hashes; a block of the source that fails only then
 * joins the map too (the result keeps what the copy read there, unchecked). With
 * ranges left, the job still ends with 0 and the result renamed (the best copy
 * there is) but VERIFIED is false, SOURCE_CHANGED says whether what was
 * read differs, UNREAD_BYTES/UNREAD_RANGES/UNREAD_MAP say what is missing, and
 * DEST.unread stays. A later job_start for the same source whose DEST exists with a
 * DEST.unread naming it (same device, inode and size; DEST a regular file of ours
 * with one link and that size) continues DEST in place: it reads only the mapped
 * ranges, then verifies DEST in full and removes the map when none remain. Any
 * other existing DEST is still -EEXIST. A stream gets zeros for what is unread.
 *
 * I/O manners: the source gets POSIX_FADV_SEQUENTIAL and NOREUSE (never DONTNEED,
 * which would drop the holder's pages); the result is written behind (writeback
 * started per chunk, waited for and dropped from the page cache every 8 MiB); the
 * stepping thread gets idle I/O priority; MAX_RATE is a token bucket that sleeps
 * within the step's budget. Memory: one 1 MiB buffer plus sync's block table.
 * Messages may hold path bytes as given: faces escape them for display.
 */
#ifndef RT_JOB_H
#define RT_JOB_H

#include "find/pin.h"
#include "decide/rec.h"
#include "rescue/badmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum job_state { JOB_RUNNING, JOB_VERIFYING, JOB_DONE, JOB_FAILED, JOB_CANCELLED };

/* A freeze asked while the job runs (job_request_freeze). */
enum job_freeze_req {
	JOB_FREEZE_NONE,    /* none asked */
	JOB_FREEZE_ASKED,   /* asked: taken at the end of the pass under way */
	JOB_FREEZE_TAKEN,   /* taken: the writers are being stopped, or were, for the final pass */
	JOB_FREEZE_TOO_LATE /* the passes had ended before it was taken: not frozen */
};

/* A process whose fd on the source makes it a writer: follow ends when none is
 * left; --freeze stops them (SIGSTOP) for the final pass. */
struct job_writer {
	pid_t pid;
	int fd;    /* -1 for a shared writable mapping */
	pid_t tid; /* FD is in this thread's own fd table (unshare(CLONE_FILES)); 0: the
	            * process's */
};

struct job_spec {
	enum rec_method method; /* REC_COPY, REC_FOLLOW, REC_SYNC, REC_REFLINK, REC_RELINK */
	const struct pin *src;  /* not owned; must outlive the job */
	dev_t dev;              /* identity of the source, for the journal (0: from the
	                         * pin; needed for loop device pins) */
	ino_t ino;
	const char *src_name; /* original path, for messages and the log */
	const char *dest;     /* final path of the result (a file name, not a directory) */
	int stream_fd;        /* >= 0: copy to this fd (a pipe, stdout) instead of DEST,
	                       * which must then be NULL; else -1 (not 0: -EINVAL) */
	uint64_t max_rate;    /* bytes per second, 0 for no limit */
	/* follow and freeze */
	const struct job_writer *writers;
	size_t nwriters;
	/* sync (and reflink followed by sync passes) */
	bool sync_after_reflink;
	unsigned max_passes;     /* 0: default (8) */
	uint64_t converge_bytes; /* a pass rewriting less ends the job; 0: default */
	bool freeze;             /* SIGSTOP the writers for the final pass (sync, reflink) or
	                          * the whole copy, SIGCONT always */
	const char *freeze_fs;   /* loop images: FIFREEZE this mountpoint likewise, FITHAW
	                          * always; not the target's own filesystem */
	/* What a freeze asked while the job runs (job_request_freeze) freezes besides
	 * the writers: a loop-mounted image's filesystem, or NULL. Dropped at the start
	 * when it is the target's own filesystem (freezing that would hang the job). */
	const char *freeze_fs_on_request;
	/* loop device pins: the file's true size when the caller knows it, 0 if not */
	uint64_t src_size;
	/* No holder can write the source (scan_entry_writable() said no: no fd with
	 * write access, no shared writable mapping, no writable loop device). A copy
	 * then takes the source's hash while copying instead of reading it again, when
	 * its size and mtime have not moved either. */
	bool src_static;
	/* readerr: rounds of retries of the unread ranges after the first pass; 0: the
	 * default (1), negative: none */
	int retries;
};

struct job_progress {
	enum job_state state;
	/* "copying", "copying (resumed)", "frozen copy", "resuming", "hashing the clone",
	 * "pass 1", "pass 1 (resumed)", "pass 2", ..., "stopping writers", "frozen pass
	 * N", "frozen pass done", "following", "relinking", "verifying", "finishing",
	 * "done" */
	char phase[32];
	uint64_t done, total;  /* bytes of the current phase (holes count as done) */
	double rate_bps;       /* sliding average of the last seconds */
	double eta_s;          /* -1 when unknown */
	unsigned pass;         /* sync: the pass under way */
	uint64_t pass_changed; /* sync: bytes the last finished pass rewrote */
	int error;             /* negative errno of the failure, 0 */
	char message[320];     /* what happened, for people */
	bool frozen;           /* writers are stopped or the filesystem frozen right now */
	/* job_request_freeze: what became of the request */
	enum job_freeze_req freeze_req;

	/* readerr: bytes of the source that could not be read so far, in how many ranges */
	uint64_t unread_bytes;
	unsigned unread_ranges;
};

struct job_result {
	char final_path[4096]; /* where the result is (the .partial one on failure) */
	/* BYTES_READ: read from the source by the copy and the passes (holes are not
	 * read by a copy; sync's later passes read everything); verification's reads
	 * are not counted. BYTES_WRITTEN: to the result (data only). SIZE: the result's. */
	uint64_t bytes_read, bytes_written, size;
	bool verified;       /* source and result hashed equal (XXH3-128) */
	bool source_changed; /* the source changed while it was copied: the result is
	                      * complete (renamed) but not an exact copy */
	unsigned passes;     /* sync */
	uint64_t last_pass_changed;
	unsigned truncations; /* follow: times the source was truncated */
	uint64_t tail_start;  /* follow: result offset of the source's byte 0 (after the
	                       * last truncation; 0 without one) */
	bool resumed;         /* continued from a journal */
	uint64_t resumed_at;  /* source bytes (follow: result bytes) taken as done */
	pid_t *frozen;        /* writers stopped and resumed (--freeze), all of them, for
	                       * the summary; owned by the job */
	size_t nfrozen;
	bool fs_frozen;        /* the loop image's filesystem (spec freeze_fs) was frozen
	                        * (FIFREEZE, or already frozen by someone else) for the
	                        * final pass, and thawed after it */
	bool frozen_pass;      /* the final pass (or the whole copy) ran with everything
	                        * stopped: with FREEZE, or asked by job_request_freeze */
	double seconds_copy;   /* time spent before verification (copy, passes, follow) */
	double seconds_verify; /* time spent verifying */
	int64_t unreadable;    /* loop device pins: bytes that could not be read, -1 unknown */
	unsigned char src_hash[16], dst_hash[16];
	/* readerr: bytes of the source that could not be read, in how many ranges (see
	 * job_unread()); they are holes in the result, left out of both hashes, and
	 * VERIFIED is false. UNREAD_MAP: the map file kept beside the result ("" when
	 * none is kept) */
	uint64_t unread_bytes;
	unsigned unread_ranges;
	char unread_map[4096];
};

struct job;
struct entry;

/* The holders of E that can change it, as a job wants them: fds with write access,
 * and shared writable mappings (fd -1). Fills at most MAX (give E->nholders: there
 * is no other limit); returns how many. A freeze reads the writers again from /proc
 * when it stops them: these are the ones the plan is made with. */
size_t job_writers_of(const struct entry *e, struct job_writer *w, size_t max);

/* Prepare a job: check the spec (method against the source), create DEST.partial
 * exclusively (or reopen it when a journal beside it matches the source: resume),
 * and take ioprio idle. Returns 0 and *OUT, or a negative errno: -EEXIST when DEST
 * exists or DEST.partial exists without a matching journal, -EXDEV for a reflink
 * or relink to another filesystem, -EOPNOTSUPP for a reflink where the filesystem
 * cannot, -EINVAL for a spec that does not make sense (freeze with follow, relink
 * or a stream, FREEZE_FS on the target's own filesystem, follow, reflink or relink
 * of a loop device pin, a stream with another method than copy or with a DEST too,
 * stream_fd 0 next to a DEST), -EPERM for
 * --freeze of pid 1 or of our own ancestors, -EBUSY when another job holds the
 * .partial, -ESTALE when the pin is not DEV/INO. A reflink clones here. The spec's
 * strings and writers are copied: they need not outlive this call (the pin must). */
int job_start(const struct job_spec *spec, struct job **out);

/* Advance for at most about BUDGET_MS milliseconds. Returns 1 while there is more to
 * do, 0 when done (result verified, renamed, fsync'ed; see VERIFIED and
 * SOURCE_CHANGED: a live source may leave a complete but unverified result), or a
 * negative errno on failure (the .partial and its journal are kept; progress says
 * why): -ENOSPC, -EIO, -ENOENT (target directory gone), -ECANCELED after
 * job_cancel, -ETIMEDOUT (a writer would not stop), ... Later calls return the same
 * value. */
int job_step(struct job *j, unsigned budget_ms);

/* Ask the job to stop at its next step: frozen writers are resumed, a frozen
 * filesystem thawed, the .partial and journal kept. Safe from a signal handler.
 * Follow: the first call ends the follow normally (verified, renamed); a second
 * cancels. */
void job_cancel(struct job *j);

/* Freeze now: ask a running sync (or a reflink followed by sync passes) to make the
 * pass under way its last unfrozen one: at its end the writers are stopped (and
 * FREEZE_FS_ON_REQUEST frozen) and a final frozen pass runs, exactly as with FREEZE
 * (the same checks of the writers, guardian and resume on every path), whether or
 * not the passes have converged. Safe from any thread (not from a signal handler:
 * it takes the progress lock); the job's own thread takes the request at the next
 * pass boundary, and progress' FREEZE_REQ says what became of it. Returns 0, or
 * -EOPNOTSUPP for a method without a short final pass (copy: a frozen copy stops
 * the writers for the whole copy, so it is chosen before it starts; follow,
 * relink, a plain reflink, a stream), -EALREADY when FREEZE is set or a freeze was
 * asked before, -EPERM when a writer is pid 1, us or an ancestor of ours, -EBUSY
 * when the job is no longer running its passes (verifying, ended). */
int job_request_freeze(struct job *j);

/* For a signal handler that is about to end the program (a second Ctrl-C): thaw
 * what the job froze and SIGCONT the writers it stopped, with system calls only,
 * and let the guardian go. Nothing is freed; the job must not be stepped again. */
void job_emergency_resume(struct job *j);

/* A consistent copy of the progress record; safe from another thread. */
void job_progress(struct job *j, struct job_progress *out);

/* The result so far (final once job_step returned 0 or less). */
const struct job_result *job_result(const struct job *j);

/* Free the job. Anything still stopped is resumed and anything frozen thawed first. */
void job_free(struct job *j);

/* Does DEST.partial.journal record an interrupted rescue of the file DEV:INO? (A
 * .partial of another file with the same name must not be taken for ours.) */
bool job_journal_is_for(const char *dest, dev_t dev, ino_t ino);

/* readerr: the ranges that could not be read (result offsets, sorted), valid until
 * the next job_step or job_free. */
const struct badmap *job_unread(const struct job *j);

/* Is DEST.unread the map of an incomplete rescue of the file DEV:INO into DEST? (The
 * same command then continues into DEST in place, reading only those ranges.) */
bool job_unread_is_for(const char *dest, dev_t dev, ino_t ino);

/* "running", "verifying", "done", "failed", "cancelled". */
const char *job_state_name(enum job_state s);

#endif
