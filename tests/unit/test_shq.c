/* Shell quoting of the commands we print for the admin to paste. */
#include "text/shq.h"
#include "testlib.h"

#include <check.h>
#include <string.h>

START_TEST(plain_words_stay_plain)
{
	char b[128] = "";
	size_t used = 0;

	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "rescuetui"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "--recover"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "8:1:1234"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "/backup/vm-1.img"), 0);
	ck_assert_str_eq(b, "rescuetui --recover 8:1:1234 /backup/vm-1.img");
	ck_assert_uint_eq(used, strlen(b));
}
END_TEST

START_TEST(the_rest_is_single_quoted)
{
	char b[128] = "";
	size_t used = 0;

	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "a b"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "it's"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "$(x)\n;"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, ""), 0);
	ck_assert_str_eq(b, "'a b' 'it'\\''s' '$(x)\n;' ''");
}
END_TEST

START_TEST(what_does_not_fit_is_not_cut)
{
	char b[12] = "";
	size_t used = 0;

	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "abc"), 0);
	ck_assert_int_eq(shq_append(b, sizeof(b), &used, "a long word"), -1);
	ck_assert_str_eq(b, "abc");
	ck_assert_uint_eq(used, 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shq");
	TCase *tc = tcase_create("shq");

	tcase_add_test(tc, plain_words_stay_plain);
	tcase_add_test(tc, the_rest_is_single_quoted);
	tcase_add_test(tc, what_does_not_fit_is_not_cut);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
