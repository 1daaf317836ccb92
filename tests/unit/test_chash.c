/* Unit tests for chash: the content hash that holes cost nothing to feed. However
 * the same bytes are fed (in one piece, in odd pieces, zero runs as chash_zeros),
 * the digest is the same; any other content or length gives another. */
#include "rescue/chash.h"
#include "testlib.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define LEN (5 * CHASH_BLOCK + 12345)

/* Random bytes with zero runs: inside a block, across block edges, a whole block. */
static unsigned char *content(void)
{
	unsigned char *b = malloc(LEN);

	ck_assert(b);
	tl_random_bytes(b, LEN);
	memset(b + 100, 0, 5000);
	memset(b + CHASH_BLOCK - 300, 0, 900);
	memset(b + 2 * CHASH_BLOCK, 0, CHASH_BLOCK);
	memset(b + 3 * CHASH_BLOCK + 7, 0, CHASH_BLOCK + 20);
	memset(b + LEN - 999, 0, 999);
	return b;
}

static void digest_of(struct chash *c, unsigned char out[16])
{
	chash_digest(c, out);
	chash_reset(c);
}

/* Feed B in pieces of STEP, runs of zeros of at least MINZ as chash_zeros. */
static void feed(struct chash *c, const unsigned char *b, size_t step, size_t minz)
{
	size_t i = 0;

	while (i < LEN) {
		size_t z = 0;
		while (minz && i + z < LEN && b[i + z] == 0)
			z++;
		if (minz && z >= minz) {
			chash_zeros(c, z);
			i += z;
			continue;
		}
		size_t k = LEN - i < step ? LEN - i : step;
		chash_update(c, b + i, k);
		i += k;
	}
}

START_TEST(same_content_same_hash)
{
	unsigned char *b = content(), want[16], got[16];
	struct chash *c = chash_new();
	const size_t steps[] = {1, 7, 4096, CHASH_BLOCK, CHASH_BLOCK + 1, LEN};

	ck_assert(c);
	chash_update(c, b, LEN);
	digest_of(c, want);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		feed(c, b, steps[i], 0);
		digest_of(c, got);
		ck_assert_msg(memcmp(want, got, 16) == 0, "pieces of %zu", steps[i]);
		feed(c, b, steps[i], 64);
		digest_of(c, got);
		ck_assert_msg(memcmp(want, got, 16) == 0, "pieces of %zu, zeros skipped", steps[i]);
	}
	/* a digest taken midway changes nothing */
	chash_update(c, b, 1000);
	chash_digest(c, got);
	chash_update(c, b + 1000, LEN - 1000);
	digest_of(c, got);
	ck_assert(memcmp(want, got, 16) == 0);
	chash_free(c);
	free(b);
}
END_TEST

START_TEST(other_content_other_hash)
{
	unsigned char *b = content(), want[16], got[16];
	struct chash *c = chash_new();

	ck_assert(c);
	chash_update(c, b, LEN);
	digest_of(c, want);
	/* one byte in a zero run */
	b[2 * CHASH_BLOCK + 5] = 1;
	chash_update(c, b, LEN);
	digest_of(c, got);
	ck_assert(memcmp(want, got, 16) != 0);
	b[2 * CHASH_BLOCK + 5] = 0;
	/* one more zero at the end, or one fewer */
	chash_update(c, b, LEN);
	chash_zeros(c, 1);
	digest_of(c, got);
	ck_assert(memcmp(want, got, 16) != 0);
	chash_update(c, b, LEN - 1);
	digest_of(c, got);
	ck_assert(memcmp(want, got, 16) != 0);
	/* the same non-zero block at another place */
	chash_zeros(c, 2 * CHASH_BLOCK);
	chash_update(c, b, CHASH_BLOCK);
	digest_of(c, want);
	chash_zeros(c, CHASH_BLOCK);
	chash_update(c, b, CHASH_BLOCK);
	chash_zeros(c, CHASH_BLOCK);
	digest_of(c, got);
	ck_assert(memcmp(want, got, 16) != 0);
	chash_free(c);
	free(b);
}
END_TEST

static Suite *chash_suite(void)
{
	Suite *s = suite_create("chash");
	TCase *tc = tcase_create("chash");

	tcase_add_test(tc, same_content_same_hash);
	tcase_add_test(tc, other_content_other_hash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(chash_suite());
}
