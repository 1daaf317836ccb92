/* salvage: reads of the source that survive read errors (ddrescue-style), the
 * retries of what failed, and the map of unread ranges kept beside the result.
 *
 * A read that fails with a media error (EIO, ENXIO, EREMOTEIO, ENODATA, EBADMSG,
 * EUCLEAN) is split in two, and again, down to the read unit (4 KiB for a file: a
 * buffered read of a failing disk fails by whole pages; a loop device's logical
 * block size), so that only the ranges that really fail are lost. They read as
 * zeros in the buffer, are never written to the result (they stay holes), and are
 * recorded in j->bad at their result offset. */
#ifndef RT_RESCUE_SALVAGE_H
#define RT_RESCUE_SALVAGE_H

#include "rescue/state.h"

/* Is ERR (negative errno) the storage failing to read, as opposed to our mistake? */
bool job_media_error(int err);

/* Read N bytes of the source at OFF into BUF (FULL: holes included, as
 * job_read_full; else data as job_src_read), narrowing media errors down by
 * bisection. What fails is zeroed in BUF and added to the map at its offset + DELTA
 * (the result offset of the source's byte 0); what is read is taken out of it.
 * HOLE (full reads, may be NULL): as job_read_full's: the whole range is a hole and
 * BUF is left alone. Counts the bytes read in res.bytes_read. Returns the bytes (short only at the
 * source's end), or another negative errno (not reported). */
ssize_t job_salvage_read(struct job *j, bool full, unsigned char *buf, size_t n, uint64_t off,
                         uint64_t delta, bool *hole);

/* Write BUF[0, N) at result offset OFF, except the ranges in the map: those are
 * made holes (zeros where the filesystem cannot punch one), never left with what
 * an earlier pass wrote. Negative errno of the write. */
int job_write_known(struct job *j, const unsigned char *buf, size_t n, uint64_t off);

/* Verification: read the source at OFF in full (as job_read_full) except the
 * ranges in the map (at OFF + DELTA), which read as zeros and are not touched; a
 * block that fails only now is narrowed down and added to the map (so that both
 * hashes leave it out; the result is then not verified). Not counted in
 * res.bytes_read. *HOLE as job_read_full's. Bytes, or a negative errno that is not a
 * media error. */
ssize_t job_read_known(struct job *j, unsigned char *buf, size_t n, uint64_t off, uint64_t delta,
                       bool *hole);

/* Feed H with BUF[0, N) (NULL: N zeros, a hole), which lies at result offset OFF,
 * leaving out what the map holds: both hashes then compare only what was read. */
void job_hash_known(struct job *j, struct chash *h, const unsigned char *buf, size_t n,
                    uint64_t off);

/* Before verifying (PH_VERIFY until j->retry_done): up to j->retries rounds over
 * the map, each after a short pause, reading only those ranges. Returns as a phase
 * step (1: time is up, 0: done, negative errno: failed, already reported). */
int job_retry_step(struct job *j, int64_t deadline);

/* Verification found the read bytes EQUAL (or not) with ranges still unread: the
 * result is the best copy there is, never verified; say so. Returns 0. */
int job_unread_conclude(struct job *j, bool equal);

/* Prepare, DEST exists: continue it in place when DEST.unread is our map for this
 * source (same device, inode and size; DEST a regular file of ours, one link, that
 * size). 0 when continuing, -EEXIST when DEST is anything else, -EBUSY when another
 * job has it, or another negative errno. */
int job_unread_reopen(struct job *j);

/* Prepare, resuming a .partial from its journal: load DEST.unread when it is ours.
 * 0, -EEXIST for a map that is not (someone else's file under our name). */
int job_unread_load(struct job *j);

/* Finish: keep the map beside the result (ranges left) or remove it (none).
 * Negative errno. */
int job_unread_settle(struct job *j);

/* Publish the map's totals in the progress record and the result. */
void job_unread_publish(struct job *j);

#endif
