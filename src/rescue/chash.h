/* chash: a hash of a file's logical content whose zeros cost nothing to feed.
 *
 * The content is cut into CHASH_BLOCK blocks counted from the first byte fed; an
 * all-zero block is left out, every other one is hashed (XXH3-128) behind its
 * index, and the total length closes the hash. Two byte sequences of the same
 * length hash the same when (and, but for XXH3 collisions, only when) they are
 * equal, however they were fed: a hole fed as a run of zeros (chash_zeros, no
 * memory touched) and data that happens to be zeros give the same hash. So both
 * sides of a copy can skip their holes and still be compared byte for byte in
 * meaning.
 */
#ifndef RT_RESCUE_CHASH_H
#define RT_RESCUE_CHASH_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#define CHASH_BLOCK 65536u

struct chash {
	XXH3_state_t *h;
	XXH3_state_t *tmp;   /* the digest's scratch: H is left as it is */
	uint64_t len;        /* bytes fed since the reset */
	size_t fill;         /* bytes of the current block kept in PART */
	unsigned char *part; /* CHASH_BLOCK bytes: a block fed in pieces */
};

/* A new hash, reset. NULL when memory runs out. Free with chash_free. */
struct chash *chash_new(void);
/* Free C (NULL is fine). */
void chash_free(struct chash *c);
/* Start over: nothing fed. */
void chash_reset(struct chash *c);
/* Feed N bytes of P. */
void chash_update(struct chash *c, const void *p, size_t n);
/* Feed N zero bytes; whole blocks of them cost nothing. */
void chash_zeros(struct chash *c, uint64_t n);
/* The hash of everything fed so far, in canonical (big-endian) bytes. What was
 * fed stays: feeding may go on. */
void chash_digest(struct chash *c, unsigned char out[16]);

#endif
