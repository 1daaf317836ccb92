/* Unit tests for the JSON writer: exact output of the documents --json makes. */
#include "text/json.h"
#include "testlib.h"

#include <check.h>
#include <locale.h>
#include <stdbool.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each test writes into a memory stream and compares the whole document. */
static char *buf;
static size_t buf_len;
static FILE *out;
static struct json j;

static void setup(void)
{
	buf = NULL;
	buf_len = 0;
	out = open_memstream(&buf, &buf_len);
	ck_assert_ptr_nonnull(out);
	json_init(&j, out);
}

static void teardown(void)
{
	if (out)
		fclose(out);
	free(buf);
}

/* The document written so far. */
static const char *doc(void)
{
	fflush(out);
	return buf;
}

START_TEST(empty_containers)
{
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	ck_assert_str_eq(doc(), "{}\n[]\n");
}
END_TEST

START_TEST(object_members)
{
	json_obj_begin(&j);
	json_key(&j, "id");
	json_uint(&j, 3);
	json_key(&j, "path");
	json_str(&j, "/var/log/app.log");
	json_key(&j, "dev");
	json_str(&j, "8:1");
	json_key(&j, "autoclear");
	json_bool(&j, true);
	json_key(&j, "append");
	json_bool(&j, false);
	json_key(&j, "target");
	json_null(&j);
	json_obj_end(&j);
	ck_assert_str_eq(doc(), "{\"id\":3,\"path\":\"/var/log/app.log\",\"dev\":\"8:1\","
	                        "\"autoclear\":true,\"append\":false,\"target\":null}\n");
}
END_TEST

START_TEST(array_elements)
{
	json_arr_begin(&j);
	json_int(&j, 1);
	json_int(&j, -2);
	json_str(&j, "three");
	json_null(&j);
	json_arr_end(&j);
	ck_assert_str_eq(doc(), "[1,-2,\"three\",null]\n");
}
END_TEST

START_TEST(nested_document)
{
	/* The shape of `rescuetui --list --json`. */
	json_obj_begin(&j);
	json_key(&j, "files");
	json_arr_begin(&j);
	for (int i = 1; i <= 2; i++) {
		json_obj_begin(&j);
		json_key(&j, "id");
		json_int(&j, i);
		json_key(&j, "holders");
		json_arr_begin(&j);
		json_obj_begin(&j);
		json_key(&j, "type");
		json_str(&j, "fd");
		json_key(&j, "pid");
		json_int(&j, 100 * i);
		json_obj_end(&j);
		if (i == 2) {
			json_obj_begin(&j);
			json_key(&j, "type");
			json_str(&j, "mmap");
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_key(&j, "change");
		json_obj_begin(&j);
		json_key(&j, "class");
		json_str(&j, "append");
		json_key(&j, "rate_bps");
		json_double(&j, 1.5);
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "targets");
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	ck_assert_str_eq(
	    doc(), "{\"files\":["
	           "{\"id\":1,\"holders\":[{\"type\":\"fd\",\"pid\":100}],"
	           "\"change\":{\"class\":\"append\",\"rate_bps\":1.5}},"
	           "{\"id\":2,\"holders\":[{\"type\":\"fd\",\"pid\":200},{\"type\":\"mmap\"}],"
	           "\"change\":{\"class\":\"append\",\"rate_bps\":1.5}}"
	           "],\"targets\":[]}\n");
}
END_TEST

START_TEST(nested_arrays)
{
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_begin(&j);
	json_int(&j, 1);
	json_arr_end(&j);
	json_arr_begin(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	ck_assert_str_eq(doc(), "[[],[1],[[],{}]]\n");
}
END_TEST

START_TEST(max_depth)
{
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_begin(&j);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr_end(&j);
	char want[2 * JSON_MAX_DEPTH + 2];
	memset(want, '[', JSON_MAX_DEPTH);
	memset(want + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	strcpy(want + 2 * JSON_MAX_DEPTH, "\n");
	ck_assert_str_eq(doc(), want);
}
END_TEST

#ifndef NDEBUG
START_TEST(too_deep_asserts)
{
	/* The child's abort is the expected outcome; keep its message off the log. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		ck_abort_msg("cannot reopen stderr");
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_begin(&j);
}
END_TEST
#endif

START_TEST(top_level_scalars)
{
	/* Each top-level value is a document of its own, one a line. */
	json_int(&j, 5);
	json_str(&j, "x");
	json_null(&j);
	ck_assert_str_eq(doc(), "5\n\"x\"\nnull\n");
}
END_TEST

START_TEST(strings_escaped)
{
	json_obj_begin(&j);
	json_key(&j, "we\"ird");
	json_str(&j, "a\\b\n");
	json_key(&j, "none");
	json_str(&j, NULL);
	json_key(&j, "bytes");
	json_bytes(&j, "nul\0\xff\x1b", 6);
	json_key(&j, "utf8");
	json_str(&j, "caf\xc3\xa9");
	json_obj_end(&j);
	ck_assert_str_eq(doc(),
	                 "{\"we\\\"ird\":\"a\\\\b\\n\",\"none\":null,"
	                 "\"bytes\":\"nul\\u0000\\udcff\\u001b\",\"utf8\":\"caf\xc3\xa9\"}\n");
}
END_TEST

START_TEST(integers)
{
	json_arr_begin(&j);
	json_int(&j, 0);
	json_int(&j, INT64_MIN);
	json_int(&j, INT64_MAX);
	json_uint(&j, UINT64_MAX);
	json_arr_end(&j);
	ck_assert_str_eq(doc(), "[0,-9223372036854775808,9223372036854775807,"
	                        "18446744073709551615]\n");
}
END_TEST

START_TEST(doubles)
{
	json_arr_begin(&j);
	json_double(&j, 0.1);
	json_double(&j, 1.5);
	json_double(&j, 1.0 / 3);
	json_double(&j, 0.1 + 0.2);
	json_double(&j, -273.15);
	json_double(&j, 100);
	json_double(&j, 9007199254740992.0);
	json_double(&j, 123456789012345678.0);
	json_double(&j, 1e300);
	json_double(&j, 2.5e-8);
	json_double(&j, 1.7976931348623157e308);
	json_arr_end(&j);
	ck_assert_str_eq(doc(), "[0.1,1.5,0.3333333333333333,0.30000000000000004,-273.15,100,"
	                        "9007199254740992,1.2345678901234568e+17,1e+300,2.5e-08,"
	                        "1.7976931348623157e+308]\n");
}
END_TEST

START_TEST(doubles_not_finite)
{
	json_obj_begin(&j);
	json_key(&j, "nan");
	json_double(&j, NAN);
	json_key(&j, "inf");
	json_double(&j, INFINITY);
	json_key(&j, "-inf");
	json_double(&j, -INFINITY);
	json_key(&j, "after");
	json_double(&j, 2);
	json_obj_end(&j);
	ck_assert_str_eq(doc(), "{\"nan\":null,\"inf\":null,\"-inf\":null,\"after\":2}\n");
}
END_TEST

START_TEST(doubles_comma_locale)
{
	/* A program that takes LC_NUMERIC from the environment must still write "1.5":
	 * "1,5" in an array would be two numbers. de_DE is built privately, since
	 * test machines rarely have it. */
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096], cmd[8192];
	snprintf(dir, sizeof(dir), "%s/rt-test-locale.XXXXXX", tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 '%s/de_DE.UTF-8' >/dev/null 2>&1",
	         dir);
	/* localedef exits 1 on mere warnings, so judge by whether the locale loads. */
	bool have = system(cmd) != -1 && setenv("LOCPATH", dir, 1) == 0 &&
	            setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	if (!have)
		tl_skip("cannot build locale de_DE.UTF-8 (needs localedef and glibc's locale "
		        "sources)");
	char probe[16];
	snprintf(probe, sizeof(probe), "%.1f", 1.5);
	ck_assert_str_eq(probe, "1,5"); /* the locale is really in effect */

	json_arr_begin(&j);
	json_double(&j, 1.5);
	json_double(&j, -0.25);
	json_double(&j, 1.0 / 3);
	json_double(&j, 2.5e-8);
	json_arr_end(&j);
	ck_assert_str_eq(doc(), "[1.5,-0.25,0.3333333333333333,2.5e-08]\n");
}
END_TEST

/* Python's json module reads DOC into d and runs SCRIPT (no single quotes) on it:
 * the exit status of python3. */
static int python_reads(const char *doc_text, const char *script)
{
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096], cmd[8192];
	int fd, status;

	snprintf(path, sizeof(path), "%s/rt-test-json.XXXXXX", tmpdir);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, doc_text, strlen(doc_text)), (ssize_t)strlen(doc_text));
	close(fd);
	snprintf(cmd, sizeof(cmd),
	         "python3 -c 'import json,sys; d=json.load(sys.stdin); %s' < '%s'", script, path);
	status = system(cmd);
	unlink(path);
	return status;
}

START_TEST(python_parses)
{
	/* A document with every kind of value must parse with a real JSON parser, and
	 * read back to the same values. */
	tl_need_cmd("python3");
	json_obj_begin(&j);
	json_key(&j, "s");
	json_bytes(&j, "a\"\\\n\x01\x7f\xff\xc3\xa9", 9);
	json_key(&j, "n");
	json_arr_begin(&j);
	json_int(&j, INT64_MIN);
	json_uint(&j, UINT64_MAX);
	json_double(&j, 0.1);
	json_double(&j, NAN);
	json_double(&j, -0.0);
	json_arr_end(&j);
	json_key(&j, "b");
	json_arr_begin(&j);
	json_bool(&j, true);
	json_bool(&j, false);
	json_null(&j);
	json_arr_end(&j);
	json_obj_end(&j);

	const char *d = doc();
	int status = python_reads(d, "assert d == {\"s\": \"a\\\"\\\\\\n\\x01\\x7f\\udcff\\xe9\", "
	                             "\"n\": [-2**63, 2**64-1, 0.1, None, 0], "
	                             "\"b\": [True, False, None]}, d");
	ck_assert_msg(status == 0, "python3 rejected: %s", d);
}
END_TEST

/* A document many times the writer's buffer, with a string longer than the buffer
 * whose multibyte characters and escapes fall across its edges, comes out whole:
 * Python reads every value back. */
START_TEST(larger_than_buffer)
{
	const char unit[] = "\xc3\xa9\n\xff\"ab";
	size_t n = 3 * JSON_BUF + 7, ulen = sizeof(unit) - 1;
	char *big = malloc(n);

	tl_need_cmd("python3");
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < n; i++)
		big[i] = unit[i % ulen];
	json_obj_begin(&j);
	json_key(&j, "big");
	json_bytes(&j, big, n);
	json_key(&j, "many");
	json_arr_begin(&j);
	for (int i = 0; i < 5000; i++)
		json_uint(&j, (uint64_t)i * 1000003u);
	json_arr_end(&j);
	json_obj_end(&j);
	free(big);

	char script[512];
	snprintf(script, sizeof(script),
	         "n=%zu; b=d[\"big\"].encode(\"utf-8\", \"surrogateescape\"); "
	         "want=(b\"\\xc3\\xa9\\n\\xff\\\"ab\" * n)[:n]; "
	         "assert b == want, (len(b), len(want)); "
	         "assert d[\"many\"] == [i * 1000003 for i in range(5000)]",
	         n);
	int status = python_reads(doc(), script);
	ck_assert_msg(status == 0, "python3 rejected or read back other values");
}
END_TEST

/* What is buffered reaches the FILE at json_flush, in the middle of a document,
 * and at the end of the outermost value without one. */
START_TEST(flush_mid_document)
{
	json_obj_begin(&j);
	json_key(&j, "a");
	json_uint(&j, 1);
	json_flush(&j);
	ck_assert_str_eq(doc(), "{\"a\":1");
	json_key(&j, "b");
	json_bool(&j, true);
	json_obj_end(&j);
	ck_assert_str_eq(doc(), "{\"a\":1,\"b\":true}\n");
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");

	TCase *tc = tcase_create("structure");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_containers);
	tcase_add_test(tc, object_members);
	tcase_add_test(tc, array_elements);
	tcase_add_test(tc, nested_document);
	tcase_add_test(tc, nested_arrays);
	tcase_add_test(tc, max_depth);
#ifndef NDEBUG
	tcase_add_test_raise_signal(tc, too_deep_asserts, SIGABRT);
#endif
	tcase_add_test(tc, top_level_scalars);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, strings_escaped);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, doubles);
	tcase_add_test(tc, doubles_not_finite);
	tcase_add_test(tc, doubles_comma_locale);
	tcase_add_test(tc, python_parses);
	tcase_add_test(tc, larger_than_buffer);
	tcase_add_test(tc, flush_mid_document);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(json_suite());
}
