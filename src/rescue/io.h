/* io: reading the source, writing the result, hashing and throttling. */
#ifndef RT_RESCUE_IO_H
#define RT_RESCUE_IO_H

#include "rescue/state.h"

/* Read N bytes of the source at file offset OFF through the pin (or our O_DIRECT
 * reopen of a loop device); short only at its end. Negative errno. */
ssize_t job_src_read(struct job *j, void *buf, size_t n, uint64_t off);
/* Read N bytes of SIDE (0 source, 1 result) at OFF, holes as zeros (fewer only at
 * the end of the file). When HOLE is not NULL and the whole range is a hole, *HOLE
 * is set and BUF is left alone: the caller feeds zeros without touching memory.
 * Negative errno. See io.c for which reads go through O_DIRECT. */
ssize_t job_read_full(struct job *j, int side, unsigned char *buf, size_t n, uint64_t off,
                      bool *hole);
/* Forget the full reads' extent maps (the files may have changed). */
void job_full_reset(struct job *j);
/* Data (true) or hole at OFF, and where that ends (at most LIMIT). */
bool job_ext_region(struct job_ext *e, uint64_t off, uint64_t limit, uint64_t *rend);
void job_ext_reset(struct job_ext *e);
/* Write all of BUF at OFF of the result, with write-behind. Negative errno. */
int job_dst_write(struct job *j, const void *buf, size_t n, uint64_t off);
/* Write all of BUF to the stream; -EPIPE when the reader went away. */
int job_stream_write(struct job *j, const void *buf, size_t n);
/* fsync the result and drop it from the page cache. */
int job_dst_flush(struct job *j);
/* Wait for MAX_RATE before reading N bytes; false: the step's time is up first. */
bool job_throttle(struct job *j, uint64_t n, int64_t deadline);
/* Sleep until monotonic time T (ns). */
void job_sleep_until(int64_t t);
bool job_is_zero(const void *p, size_t n);
/* XXH3_64 of a block zero-padded to BLOCK (P must have room). */
uint64_t job_block_hash(const unsigned char *p, size_t n, size_t block);
/* Grow sync's block table to cover SIZE; new blocks hash as zeros. */
int job_table_resize(struct job *j, uint64_t size);
/* The size of inode INO on DEV, asked of the filesystem (xfs bulkstat). */
int job_true_size(dev_t dev, uint64_t ino, uint64_t *size);

#endif
