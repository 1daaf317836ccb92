/* Unit tests for rate: the estimator and the classes, as pure functions. */
#include "find/rate.h"
#include "base/util.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define B ((double)RATE_BLOCK)

/* |got - want| <= tol * want */
#define ck_near(got, want, tol)                                                                    \
	ck_assert_msg(fabs((got) - (want)) <= (tol)*fabs(want), "%s = %.6g, want %.6g ±%g%%",      \
	              #got, (double)(got), (double)(want), (tol)*100)

START_TEST(nothing_changed_is_zero)
{
	ck_assert(rate_estimate(1u << 20, 1024, 0, 1.0) == 0);
	ck_assert(rate_estimate(10, 10, 0, 1.0) == 0);
	ck_assert(rate_estimate(0, 0, 0, 1.0) == 0);
}
END_TEST

/* Nothing sampled, or no time passed: no rate can be claimed. */
START_TEST(degenerate_inputs_are_zero)
{
	ck_assert(rate_estimate(1000, 0, 0, 1.0) == 0);
	ck_assert(rate_estimate(1000, 64, 3, 0) == 0);
	ck_assert(rate_estimate(1000, 64, 3, -1) == 0);
	ck_assert(rate_estimate(1000, 64, 3, NAN) == 0);
}
END_TEST

/* Few changes in a big file: the fraction changed scales up to the whole file,
 * c·n·4096/(K·Δ), and the saturation correction only adds a little. */
START_TEST(small_counts_scale_to_the_file)
{
	uint64_t n = 1u << 20; /* a 4 GiB file */
	double plain = 10.0 * (double)n * B / 1024.0;
	double r = rate_estimate(n, 1024, 10, 1.0);

	ck_near(r, plain, 0.01);
	ck_assert(r >= plain);
	ck_near(rate_estimate(n, 1024, 1, 1.0), (double)n * B / 1024.0, 0.001);
	/* twice the time, half the rate */
	ck_near(rate_estimate(n, 1024, 10, 2.0), r / 2, 1e-9);
	/* a smaller sample that saw the same fraction gives the same answer */
	ck_near(rate_estimate(n, 64, 10, 1.0), rate_estimate(n, 1024, 160, 1.0), 1e-9);
}
END_TEST

/* Uniform random block writes at w blocks per Δ leave 1-(1-1/n)^w of the blocks
 * changed; the estimator must give back w, not the smaller count of distinct
 * blocks. */
START_TEST(undoes_repeated_hits)
{
	uint64_t n = 16384;
	double w = 8192; /* half a file's worth of writes: many blocks hit twice */
	double frac = 1 - pow(1 - 1.0 / (double)n, w);
	unsigned k = 1024, c = (unsigned)lround(frac * k);
	double r = rate_estimate(n, k, c, 1.0);

	ck_assert_uint_eq(c, 403);
	ck_near(r, w * B, 0.005);
	ck_assert(r > frac * (double)n * B * 1.2); /* well above the distinct count */
}
END_TEST

/* All K changed: the file changes faster than the sample can tell. The answer is
 * the estimate for K - 1/2, finite and above the estimate for K - 1. */
START_TEST(saturation)
{
	uint64_t n = 1u << 20;
	unsigned k = 1024;
	double all = rate_estimate(n, k, k, 1.0);

	ck_assert(isfinite(all));
	ck_near(all, (double)n * log(2.0 * k) * B, 1e-9);
	ck_assert(all > rate_estimate(n, k, k - 1, 1.0));
	/* a count above K is treated as K */
	ck_assert(rate_estimate(n, k, k + 5, 1.0) == all);
}
END_TEST

/* Every block sampled: the count is exact, no scaling, no log. */
START_TEST(all_blocks_sampled_is_exact)
{
	ck_near(rate_estimate(100, 100, 7, 0.5), 7 * B / 0.5, 1e-12);
	ck_near(rate_estimate(100, 100, 100, 1.0), 100 * B, 1e-12);
	ck_near(rate_estimate(1, 1, 1, 1.0), B, 1e-12);
	/* K above n (a small file given the default K) */
	ck_near(rate_estimate(10, 1024, 3, 1.0), 3 * B, 1e-12);
	ck_near(rate_estimate(1024, 1024, 3, 1.0), 3 * B, 1e-12);
	/* one block more than K: sampled, the estimate scales by n/K */
	ck_near(rate_estimate(1025, 1024, 3, 1.0), 3 * B * 1025 / 1024, 0.01);
}
END_TEST

struct classify_case {
	bool writer, sampled;
	uint64_t size0, size1;
	bool mtime;
	unsigned changed;
	enum rate_class want;
	const char *why;
};

START_TEST(classify_table)
{
	static const struct classify_case t[] = {
	    {false, false, 100, 100, false, 0, CHANGE_STATIC, "no writer, not sampled"},
	    {false, true, 100, 200, true, 5, CHANGE_STATIC, "no writer wins over anything seen"},
	    {true, false, 100, 100, false, 0, CHANGE_UNKNOWN, "writer, not sampled"},
	    {true, false, 100, 200, true, 5, CHANGE_UNKNOWN, "not sampled: values ignored"},
	    {true, true, 100, 100, false, 0, CHANGE_QUIET, "writer, nothing moved"},
	    {true, true, 0, 0, false, 0, CHANGE_QUIET, "empty, nothing moved"},
	    {true, true, 100, 100, false, 1, CHANGE_RANDOM, "an interior block changed"},
	    {true, true, 100, 200, true, 0, CHANGE_APPEND, "grew, interior untouched"},
	    {true, true, 0, 4096, true, 0, CHANGE_APPEND, "grew from empty"},
	    {true, true, 100, 200, true, 3, CHANGE_RANDOM, "grew and rewritten inside"},
	    {true, true, 200, 100, true, 0, CHANGE_RANDOM, "truncated"},
	    {true, true, 200, 0, true, 0, CHANGE_RANDOM, "truncated to nothing"},
	    {true, true, 100, 100, true, 0, CHANGE_RANDOM, "mtime moved, nothing sampled did"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		enum rate_class got = rate_classify(t[i].writer, t[i].sampled, t[i].size0,
		                                    t[i].size1, t[i].mtime, t[i].changed);
		ck_assert_msg(got == t[i].want, "%s: got %s, want %s", t[i].why,
		              rate_class_name(got), rate_class_name(t[i].want));
	}
}
END_TEST

START_TEST(class_names)
{
	ck_assert_str_eq(rate_class_name(CHANGE_STATIC), "static");
	ck_assert_str_eq(rate_class_name(CHANGE_QUIET), "quiet");
	ck_assert_str_eq(rate_class_name(CHANGE_APPEND), "append");
	ck_assert_str_eq(rate_class_name(CHANGE_RANDOM), "random");
	ck_assert_str_eq(rate_class_name(CHANGE_UNKNOWN), "unknown");
	ck_assert_str_eq(rate_class_name((enum rate_class)99), "unknown");
}
END_TEST

START_TEST(no_pin_is_ebadf)
{
	struct pin none = PIN_INIT;
	struct rate_sample *s = (struct rate_sample *)&none;

	ck_assert_int_eq(rate_begin(&none, 64, 1, &s), -EBADF);
	ck_assert_ptr_null(s);
	rate_free(NULL);
}
END_TEST

static Suite *rate_suite(void)
{
	Suite *s = suite_create("rate");
	TCase *tc = tcase_create("estimate");

	tcase_add_test(tc, nothing_changed_is_zero);
	tcase_add_test(tc, degenerate_inputs_are_zero);
	tcase_add_test(tc, small_counts_scale_to_the_file);
	tcase_add_test(tc, undoes_repeated_hits);
	tcase_add_test(tc, saturation);
	tcase_add_test(tc, all_blocks_sampled_is_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_test(tc, classify_table);
	tcase_add_test(tc, class_names);
	tcase_add_test(tc, no_pin_is_ebadf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(rate_suite());
}
