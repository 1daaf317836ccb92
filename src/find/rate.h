/* rate: how fast a held deleted file is changing.
 *
 * Free signals first: a file nobody can write is static. Otherwise two snapshots Δ
 * apart: size and mtime through the pin, and K random 4 KiB blocks hashed (XXH3)
 * each time. With n blocks in the file and c of K changed, the rate of change is
 * about -n·ln(1-c/K)·4096/Δ: after w block writes at random places a block is
 * still untouched with probability e^(-w/n), so c/K ≈ 1-e^(-w/n), w ≈ -n·ln(1-c/K).
 * Reads go through the pin with POSIX_FADV_NOREUSE so sampling does not push the
 * holder's pages out of the cache (never DONTNEED: that would drop them too). A PIN_LOOPDEV pin is
 * read through our own O_DIRECT reopen of the device: a filesystem mounted on it writes past the
 * device's page cache, so buffered reads would show stale blocks.
 */
#ifndef RT_RATE_H
#define RT_RATE_H

#include "find/pin.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATE_BLOCK     4096u
#define RATE_K_DEFAULT 1024u

enum rate_class {
	CHANGE_UNKNOWN, /* not sampled, or could not be read */
	CHANGE_STATIC,  /* no holder can write it */
	CHANGE_QUIET,   /* a writer exists, nothing changed while sampled */
	CHANGE_APPEND,  /* grew at the end, the interior did not change */
	CHANGE_RANDOM,  /* the interior changed */
};

struct rate_result {
	enum rate_class cls;
	/* Estimated interior rewrites, in bytes per second: the writer's rate of 4 KiB
	 * block writes, a block hit twice counting twice (that is what -ln undoes).
	 * Class random with rate 0 means "changing, too slowly for the sample". */
	double rate_bps;
	double growth_bps;   /* size change per second (negative when truncated) */
	double seconds;      /* Δ actually measured */
	uint64_t bytes_read; /* I/O the sampling cost */
	unsigned k, changed; /* interior blocks compared, of them changed */
	bool truncated;      /* the size went down while sampled */
};

/* One file's first snapshot. Opaque. */
struct rate_sample;

/* Take the first snapshot of the file behind PIN: size, mtime and the hashes of up
 * to K blocks chosen at random (all blocks when the file has at most K; SEED makes
 * the choice repeatable). For a PIN_LOOPDEV pin the blocks are those the device
 * shows and size/mtime are not watched. PIN must stay open until rate_end (the
 * snapshot keeps a copy of it, not the fd). Returns 0 and *OUT (free with rate_free), or
 * a negative errno (-EBADF without a pin, -ENOMEM, or a read error). */
int rate_begin(const struct pin *pin, unsigned k, uint64_t seed, struct rate_sample **out);

/* Take the second snapshot and judge: fills RES (class, rates, cost). Only interior
 * blocks are compared: those wholly below the first size (the partial last block
 * changes with every append), and after a truncation below the new size. HAS_WRITER
 * says whether any holder can write (without one the class is static and nothing
 * need be read: callers may skip rate_begin then). Returns 0 or a negative errno. */
int rate_end(struct rate_sample *s, bool has_writer, struct rate_result *res);

/* Free a snapshot (NULL is fine). */
void rate_free(struct rate_sample *s);

/* The estimator alone, pure: rate in bytes per second for NBLOCKS blocks of
 * RATE_BLOCK bytes, CHANGED of K sampled blocks different after SECONDS. When K
 * covers every block (NBLOCKS <= K) the count is exact: CHANGED·RATE_BLOCK/SECONDS.
 * All K changed saturates at the estimate for K - 1/2. 0 when nothing changed or
 * SECONDS <= 0. */
double rate_estimate(uint64_t nblocks, unsigned k, unsigned changed, double seconds);

/* The class alone, pure: from the free signals and what the snapshots showed, first
 * rule that applies: no writer: static; not sampled: unknown; shrank (truncated) or
 * interior changed: random; grew: append; only mtime moved: random (written where
 * the sample did not look; the rate stays 0); else quiet. */
enum rate_class rate_classify(bool has_writer, bool sampled, uint64_t size0, uint64_t size1,
                              bool mtime_changed, unsigned changed_interior);

/* "static", "quiet", "append", "random", "unknown". */
const char *rate_class_name(enum rate_class c);

struct scan_result;

/* Sample every entry of R at the same time: first snapshots of all files with a
 * writer, one sleep of SECONDS, second snapshots; files without a writer are static
 * without any I/O. BUDGET caps the bytes read per snapshot round over all files (K
 * is lowered per file to fit, never below 64). Results go to each entry's change
 * field. K per file is min(RATE_K_DEFAULT, max(64, BUDGET / RATE_BLOCK / files
 * with a writer)); the blocks are chosen from the inode number, so runs repeat.
 * SECONDS <= 0 classifies from the free signals only (static or unknown). Returns 0
 * or -ENOMEM (the other files are still sampled); a file that cannot be read, or a
 * writable one without a pin, ends up unknown. */
int rate_sample_all(struct scan_result *r, double seconds, uint64_t budget);

#endif
