/* chash: see chash.h. */
#include "rescue/chash.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct chash *chash_new(void)
{
	struct chash *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->h = XXH3_createState();
	c->tmp = XXH3_createState();
	c->part = malloc(CHASH_BLOCK);
	if (!c->h || !c->tmp || !c->part) {
		chash_free(c);
		return NULL;
	}
	chash_reset(c);
	return c;
}

void chash_free(struct chash *c)
{
	if (!c)
		return;
	XXH3_freeState(c->h);
	XXH3_freeState(c->tmp);
	free(c->part);
	free(c);
}

void chash_reset(struct chash *c)
{
	XXH3_128bits_reset(c->h);
	c->len = 0;
	c->fill = 0;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	if (n == 0)
		return true;
	if (n < 16) {
		for (size_t i = 0; i < n; i++)
			if (p[i])
				return false;
		return true;
	}
	for (size_t i = 0; i < 16; i++)
		if (p[i])
			return false;
	return memcmp(p, p + 16, n - 16) == 0;
}

/* Hash block number IDX (N bytes at P) into H unless it is all zeros. The index
 * is written little-endian whatever the host, so the hash is the same everywhere. */
static void put_block(XXH3_state_t *h, uint64_t idx, const unsigned char *p, size_t n)
{
	unsigned char le[8];

	if (all_zero(p, n))
		return;
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(idx >> (8 * i));
	XXH3_128bits_update(h, le, sizeof(le));
	XXH3_128bits_update(h, p, n);
}

void chash_update(struct chash *c, const void *p, size_t n)
{
	const unsigned char *b = p;

	if (c->fill) {
		size_t k = CHASH_BLOCK - c->fill < n ? CHASH_BLOCK - c->fill : n;
		memcpy(c->part + c->fill, b, k);
		c->fill += k;
		c->len += k;
		b += k;
		n -= k;
		if (c->fill < CHASH_BLOCK)
			return;
		put_block(c->h, c->len / CHASH_BLOCK - 1, c->part, CHASH_BLOCK);
		c->fill = 0;
	}
	/* whole blocks straight from the caller's buffer */
	while (n >= CHASH_BLOCK) {
		put_block(c->h, c->len / CHASH_BLOCK, b, CHASH_BLOCK);
		c->len += CHASH_BLOCK;
		b += CHASH_BLOCK;
		n -= CHASH_BLOCK;
	}
	if (n) {
		memcpy(c->part, b, n);
		c->fill = n;
		c->len += n;
	}
}

void chash_zeros(struct chash *c, uint64_t n)
{
	if (c->fill) {
		size_t k = CHASH_BLOCK - c->fill < n ? CHASH_BLOCK - c->fill : (size_t)n;
		memset(c->part + c->fill, 0, k);
		c->fill += k;
		c->len += k;
		n -= k;
		if (c->fill < CHASH_BLOCK)
			return;
		put_block(c->h, c->len / CHASH_BLOCK - 1, c->part, CHASH_BLOCK);
		c->fill = 0;
	}
	/* whole zero blocks are left out: only the length moves */
	c->len += n / CHASH_BLOCK * CHASH_BLOCK;
	n %= CHASH_BLOCK;
	if (n) {
		memset(c->part, 0, (size_t)n);
		c->fill = (size_t)n;
		c->len += n;
	}
}

void chash_digest(struct chash *c, unsigned char out[16])
{
	XXH3_state_t *t = c->tmp;
	XXH128_canonical_t can;
	unsigned char le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(c->len >> (8 * i));
	XXH3_copyState(t, c->h);
	if (c->fill)
		put_block(t, c->len / CHASH_BLOCK, c->part, c->fill);
	XXH3_128bits_update(t, le, sizeof(le));
	XXH128_canonicalFromHash(&can, XXH3_128bits_digest(t));
	memcpy(out, can.digest, 16);
}
