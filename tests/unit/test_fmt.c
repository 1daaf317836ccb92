/* Unit tests for fmt: sizes as the console and the CLI show and read them. */
#include "text/fmt.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)
#define PiB (UINT64_C(1) << 50)
#define EiB (UINT64_C(1) << 60)

static void check_size(uint64_t bytes, const char *want)
{
	char buf[32];
	memset(buf, 'X', sizeof(buf));
	ck_assert_ptr_eq(fmt_size(buf, sizeof(buf), bytes), buf);
	ck_assert_msg(strcmp(buf, want) == 0, "fmt_size(%llu) = \"%s\", want \"%s\"",
	              (unsigned long long)bytes, buf, want);
}

static void check_parse(const char *s, uint64_t want)
{
	uint64_t v = 0xdeadbeef;
	int r = fmt_parse_size(s, &v);
	ck_assert_msg(r == 0, "fmt_parse_size(\"%s\") = %d, want 0", s, r);
	ck_assert_msg(v == want, "fmt_parse_size(\"%s\") gave %llu, want %llu", s,
	              (unsigned long long)v, (unsigned long long)want);
}

static void check_parse_fails(const char *s, int want_err)
{
	uint64_t v = 0xdeadbeef;
	int r = fmt_parse_size(s, &v);
	ck_assert_msg(r == want_err, "fmt_parse_size(\"%s\") = %d, want %d", s, r, want_err);
	ck_assert_msg(v == 0xdeadbeef, "fmt_parse_size(\"%s\") changed *out on error", s);
}

START_TEST(size_header_examples)
{
	check_size(0, "0 B");
	check_size(512, "512 B");
	check_size(1536, "1.5K");
	check_size(12 * MiB, "12M");
	check_size(3435973837u, "3.2G"); /* 3.2 GiB */
	check_size(TiB, "1.0T");
}
END_TEST

START_TEST(size_unit_boundaries)
{
	check_size(1, "1 B");
	check_size(1023, "1023 B");
	check_size(KiB, "1.0K");
	check_size(10 * KiB, "10K");
	check_size(MiB, "1.0M");
	check_size(GiB, "1.0G");
	check_size(PiB, "1.0P");
	check_size(EiB, "1.0E");
	check_size(15 * EiB, "15E");
	check_size(UINT64_MAX, "15E");
}
END_TEST

START_TEST(size_rounding)
{
	/* One decimal, rounded to nearest: 1.0498K and 1.0508K. */
	check_size(1075, "1.0K");
	check_size(1076, "1.1K");
	/* 9.949K stays below 10; 9.950K is "10K", never "10.0K". */
	check_size(10188, "9.9K");
	check_size(10189, "10K");
	check_size(10 * KiB - 1, "10K");
	check_size(1023 * KiB, "1023K");
	check_size(1023 * KiB + 511, "1023K");
	/* Rounding up to 1024 of a unit is the next unit. */
	check_size(1023 * KiB + 512, "1.0M");
	check_size(MiB - 1, "1.0M");
	check_size(GiB - 1, "1.0G");
	check_size(EiB - 1, "1.0E");
	check_size(1023 * PiB + PiB / 2, "1.0E");
}
END_TEST

START_TEST(size_never_too_wide)
{
	/* Every size fits the 6-column field the console gives it, and no unit is
	 * ever shown as 1024 of itself. */
	char buf[32];
	uint64_t v = 1;
	for (int i = 0; i < 20000; i++) {
		v = v * 6364136223846793005u + 1442695040888963407u;
		uint64_t bytes = v >> (v % 64);
		fmt_size(buf, sizeof(buf), bytes);
		ck_assert_msg(strlen(buf) <= 6, "fmt_size(%llu) = \"%s\"",
		              (unsigned long long)bytes, buf);
		ck_assert_msg(strncmp(buf, "1024", 4) != 0, "fmt_size(%llu) = \"%s\"",
		              (unsigned long long)bytes, buf);
	}
}
END_TEST

START_TEST(size_small_buffer)
{
	char buf[4];
	ck_assert_str_eq(fmt_size(buf, sizeof(buf), 1536), "1.5");
	ck_assert_str_eq(fmt_size(buf, 2, 512), "5");
	buf[0] = 'Z';
	fmt_size(buf, 0, 512);
	ck_assert_int_eq(buf[0], 'Z');
}
END_TEST

START_TEST(parse_header_examples)
{
	check_parse("4096", 4096);
	check_parse("64K", 64 * KiB);
	check_parse("1.5G", 3 * GiB / 2);
	check_parse("10MiB", 10 * MiB);
	check_parse("2M", 2 * MiB);
}
END_TEST

START_TEST(parse_spellings)
{
	check_parse("0", 0);
	check_parse("007", 7);
	check_parse("4096B", 4096);
	check_parse("64k", 64 * KiB);
	check_parse("1KB", KiB);
	check_parse("1KiB", KiB);
	check_parse("3T", 3 * TiB);
	check_parse("2P", 2 * PiB);
	check_parse("1E", EiB);
	check_parse("0.5K", 512);
	check_parse("0.1K", 102); /* 102.4 */
	check_parse("0.0009765625K", 1);
	check_parse("1.25M", 5 * MiB / 4);
	/* What fmt_size prints reads back. */
	check_parse("512 B", 512);
	check_parse("1.5 G", 3 * GiB / 2);
}
END_TEST

START_TEST(parse_limits)
{
	check_parse("18446744073709551615", UINT64_MAX);
	check_parse("15E", 15 * EiB);
	check_parse("16383P", 16383 * PiB);
	/* Digits past the 18th after the point are ignored. */
	check_parse("15.9999999999999999999E", UINT64_MAX);
	check_parse_fails("18446744073709551616", -ERANGE);
	check_parse_fails("99999999999999999999K", -ERANGE);
	check_parse_fails("16E", -ERANGE);
	check_parse_fails("20E", -ERANGE);
	check_parse_fails("16384P", -ERANGE);
	check_parse_fails("17179869184T", -ERANGE);
}
END_TEST

START_TEST(parse_rejects)
{
	check_parse_fails("", -EINVAL);
	check_parse_fails(NULL, -EINVAL);
	check_parse_fails("-1", -EINVAL);
	check_parse_fails("+1", -EINVAL);
	check_parse_fails(" 1", -EINVAL);
	check_parse_fails("1 ", -EINVAL);
	check_parse_fails("12X", -EINVAL);
	check_parse_fails("1.5.2", -EINVAL);
	check_parse_fails("1.", -EINVAL);
	check_parse_fails(".5K", -EINVAL);
	check_parse_fails("K", -EINVAL);
	check_parse_fails("1KiBB", -EINVAL);
	check_parse_fails("1iB", -EINVAL);
	check_parse_fails("1b", -EINVAL);
	check_parse_fails("1kb", -EINVAL);
	check_parse_fails("1 2", -EINVAL);
	check_parse_fails("0x10", -EINVAL);
	check_parse_fails("1e3", -EINVAL);
	check_parse_fails("inf", -EINVAL);
	check_parse_fails("nan", -EINVAL);
	/* A fraction of a byte is a typo, not a size. */
	check_parse_fails("1.5", -EINVAL);
	check_parse_fails("1.5B", -EINVAL);
}
END_TEST

START_TEST(round_trip)
{
	/* A size shown and typed back in is within rounding of the original. */
	char buf[32];
	uint64_t v = 7;
	for (int i = 0; i < 20000; i++) {
		v = v * 6364136223846793005u + 1442695040888963407u;
		uint64_t bytes = v >> (v % 64);
		uint64_t back;
		fmt_size(buf, sizeof(buf), bytes);
		ck_assert_int_eq(fmt_parse_size(buf, &back), 0);
		if (bytes >= 15 * EiB + EiB / 2)
			continue; /* shown as "15E": below the value by up to 6% */
		long double err = ((long double)back - (long double)bytes) / (long double)bytes;
		ck_assert_msg(bytes == 0 ? back == 0 : err < 0.05 && err > -0.05,
		              "%llu -> \"%s\" -> %llu", (unsigned long long)bytes, buf,
		              (unsigned long long)back);
	}
}
END_TEST

/* Every string fmt_size prints reads back, up to the very top of the range. */
START_TEST(round_trip_at_the_top)
{
	static const uint64_t top[] = {
	    15 * EiB, 15 * EiB + EiB / 2 - 1, 15 * EiB + EiB / 2, UINT64_MAX - EiB / 4,
	    UINT64_MAX - 1, UINT64_MAX,
	};
	char buf[16];
	uint64_t back;

	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
		fmt_size(buf, sizeof(buf), top[i]);
		ck_assert_msg(fmt_parse_size(buf, &back) == 0, "fmt_size(%llu) = \"%s\" does not parse",
		              (unsigned long long)top[i], buf);
	}
	for (uint64_t v = UINT64_MAX; v > EiB; v -= v / 997 + 1) {
		fmt_size(buf, sizeof(buf), v);
		ck_assert_msg(fmt_parse_size(buf, &back) == 0, "\"%s\" does not parse", buf);
	}
}
END_TEST

START_TEST(conversions_of_doubles_are_clamped)
{
	char buf[16];

	ck_assert_uint_eq(fmt_u64_of(-1), 0);
	ck_assert_uint_eq(fmt_u64_of(0.0 / 0.0), 0);
	ck_assert_uint_eq(fmt_u64_of(1e300), UINT64_MAX);
	ck_assert_uint_eq(fmt_u64_of(18446744073709551616.0), UINT64_MAX);
	ck_assert_uint_eq(fmt_u64_of(1234.9), 1234);
	ck_assert_str_eq(fmt_eta(buf, sizeof(buf), 1e30), ">99h");
	ck_assert_str_eq(fmt_eta(buf, sizeof(buf), 3e9), ">99h");
	ck_assert_str_eq(fmt_eta(buf, sizeof(buf), 1.0 / 0.0), ">99h");
	ck_assert_str_eq(fmt_eta(buf, sizeof(buf), 75), "1:15");
	ck_assert_str_eq(fmt_eta(buf, sizeof(buf), 3723), "1:02:03");
	ck_assert_str_eq(fmt_eta(buf, sizeof(buf), -1), "");
}
END_TEST

static Suite *fmt_suite(void)
{
	Suite *s = suite_create("fmt");

	TCase *tc = tcase_create("size");
	tcase_add_test(tc, size_header_examples);
	tcase_add_test(tc, size_unit_boundaries);
	tcase_add_test(tc, size_rounding);
	tcase_add_test(tc, size_never_too_wide);
	tcase_add_test(tc, size_small_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, parse_header_examples);
	tcase_add_test(tc, parse_spellings);
	tcase_add_test(tc, parse_limits);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, round_trip_at_the_top);
	tcase_add_test(tc, conversions_of_doubles_are_clamped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(fmt_suite());
}
