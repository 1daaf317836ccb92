/* --to: directory or new name, unique names, never overwriting, resuming. */
#include "decide/dest.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/rt-dest.XXXXXX";

static void touch(const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/rt-dest.XXXXXX");
}

#define ORIG(s) s, sizeof(s) - 1

START_TEST(directory_keeps_base_name)
{
	char out[512], want[512];
	bool resume = true;

	ck_assert_int_eq(dest_resolve(dir, ORIG("/var/lib/vm.img"), 42, out, sizeof(out), &resume),
	                 0);
	snprintf(want, sizeof(want), "%s/vm.img", dir);
	ck_assert_str_eq(out, want);
	ck_assert(!resume);
	/* Taken: .1, then .2; a stray .partial without journal also takes a name. */
	touch("vm.img");
	touch("vm.img.1.partial");
	ck_assert_int_eq(dest_resolve(dir, ORIG("/var/lib/vm.img"), 42, out, sizeof(out), &resume),
	                 0);
	snprintf(want, sizeof(want), "%s/vm.img.2", dir);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(resume_when_journal_is_there)
{
	char out[512], want[512];
	bool resume = false;

	touch("app.log.partial");
	touch("app.log.partial.journal");
	ck_assert_int_eq(dest_resolve(dir, ORIG("/var/log/app.log"), 7, out, sizeof(out), &resume),
	                 0);
	snprintf(want, sizeof(want), "%s/app.log", dir);
	ck_assert_str_eq(out, want);
	ck_assert(resume);
	/* Named directly too. */
	ck_assert_int_eq(dest_resolve(want, ORIG("/x"), 7, out, sizeof(out), &resume), 0);
	ck_assert(resume);
}
END_TEST

START_TEST(new_name_and_refusals)
{
	char out[512], to[512];
	bool resume;

	snprintf(to, sizeof(to), "%s/rescued.img", dir);
	ck_assert_int_eq(dest_resolve(to, ORIG("/var/lib/vm.img"), 1, out, sizeof(out), &resume),
	                 0);
	ck_assert_str_eq(out, to);
	touch("rescued.img");
	ck_assert_int_eq(dest_resolve(to, ORIG("/a"), 1, out, sizeof(out), &resume), -EEXIST);
	/* A .partial without its journal is someone else's: not touched. */
	snprintf(to, sizeof(to), "%s/other", dir);
	touch("other.partial");
	ck_assert_int_eq(dest_resolve(to, ORIG("/a"), 1, out, sizeof(out), &resume), -EEXIST);
	snprintf(to, sizeof(to), "%s/no/such/dir/file", dir);
	ck_assert_int_eq(dest_resolve(to, ORIG("/a"), 1, out, sizeof(out), &resume), -ENOENT);
	snprintf(to, sizeof(to), "%s/rescued.img/x", dir);
	ck_assert_int_eq(dest_resolve(to, ORIG("/a"), 1, out, sizeof(out), &resume), -ENOTDIR);
	ck_assert_int_eq(dest_resolve("", ORIG("/a"), 1, out, sizeof(out), &resume), -EINVAL);
}
END_TEST

START_TEST(odd_names)
{
	char out[512], want[512];
	bool resume;

	/* O_TMPFILE files are "#INO" to the kernel: give them a real name. */
	ck_assert_int_eq(dest_resolve(dir, ORIG("/tmp/#1234"), 1234, out, sizeof(out), &resume), 0);
	snprintf(want, sizeof(want), "%s/rescued-1234", dir);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(dest_resolve(dir, NULL, 0, 5, out, sizeof(out), &resume), 0);
	snprintf(want, sizeof(want), "%s/rescued-5", dir);
	ck_assert_str_eq(out, want);
	/* A newline and escape codes stay bytes of the name. */
	ck_assert_int_eq(dest_resolve(dir, ORIG("/v/a\nb\033[1m"), 9, out, sizeof(out), &resume),
	                 0);
	snprintf(want, sizeof(want), "%s/a\nb\033[1m", dir);
	ck_assert_str_eq(out, want);
	ck_assert_int_eq(dest_resolve(dir, ORIG("/v/x"), 9, out, 8, &resume), -ENAMETOOLONG);
}
END_TEST

/* A base name of 236 to 255 bytes: the result, its .partial and its journal can all
 * be created (each within NAME_MAX), and the extension is kept. */
START_TEST(long_names_leave_room_for_the_suffixes)
{
	char out[4200], orig[300], suffixed[4300];
	bool resume;

	for (size_t bl = 230; bl <= 255; bl++) {
		memset(orig, 'a', bl - 6);
		memcpy(orig + bl - 6, ".qcow2", 7);
		ck_assert_int_eq(dest_resolve(dir, orig, bl, 9, out, sizeof(out), &resume), 0);
		const char *base = strrchr(out, '/') + 1;
		ck_assert_uint_le(strlen(base) + strlen(DEST_JOURNAL), NAME_MAX);
		ck_assert_msg(strcmp(base + strlen(base) - 6, ".qcow2") == 0, "lost extension: %s", base);
		snprintf(suffixed, sizeof(suffixed), "%s%s", out, DEST_JOURNAL);
		int fd = open(suffixed, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_msg(fd >= 0, "cannot create the journal of a %zu-byte name", bl);
		close(fd);
		unlink(suffixed);
	}
	/* A name given in full that leaves no room is refused, not cut. */
	snprintf(suffixed, sizeof(suffixed), "%s/%.*s", dir, 250, orig);
	ck_assert_int_eq(dest_resolve(suffixed, "x", 1, 9, out, sizeof(out), &resume),
	                 -ENAMETOOLONG);
	/* A multibyte character is never cut in half. */
	char utf[300] = "";
	for (int i = 0; i < 120; i++)
		strcat(utf, "\xc3\xa9");
	strcat(utf, ".img");
	ck_assert_int_eq(dest_resolve(dir, utf, strlen(utf), 9, out, sizeof(out), &resume), 0);
	const char *base = strrchr(out, '/') + 1;
	size_t stem = strlen(base) - 4;
	ck_assert_msg(stem % 2 == 0, "a character was cut: %s", base);
}
END_TEST

START_TEST(trailing_slash_makes_no_double_slash)
{
	char out[4200], to[600];
	bool resume;

	snprintf(to, sizeof(to), "%s//", dir);
	ck_assert_int_eq(dest_resolve(to, "/x/name", 7, 9, out, sizeof(out), &resume), 0);
	ck_assert_ptr_null(strstr(out, "//"));
	ck_assert_int_eq(dest_resolve("/", "/x/name", 7, 9, out, sizeof(out), &resume), 0);
	ck_assert_str_eq(out, "/name");
}
END_TEST

/* readerr: OURS says whether DEST's map names this file: here, when CTX is true. */
static bool map_is_ours(const char *dest, void *ctx)
{
	(void)dest;
	return *(bool *)ctx;
}

START_TEST(incomplete_result_continues_in_place)
{
	char out[512], want[512];
	bool resume = false, ours = true;

	touch("db.img");
	touch("db.img.unread");
	/* ours: the result itself, to be continued in place */
	ck_assert_int_eq(dest_resolve_ours(dir, ORIG("/var/db.img"), 3, map_is_ours, &ours, out,
	                                   sizeof(out), &resume),
	                 0);
	snprintf(want, sizeof(want), "%s/db.img", dir);
	ck_assert_str_eq(out, want);
	ck_assert(resume);
	ck_assert_int_eq(
	    dest_resolve_ours(want, ORIG("/x"), 3, map_is_ours, &ours, out, sizeof(out), &resume),
	    0);
	ck_assert(resume);
	/* another file's: never touched; a directory gives the next name */
	ours = false;
	ck_assert_int_eq(dest_resolve_ours(dir, ORIG("/var/db.img"), 3, map_is_ours, &ours, out,
	                                   sizeof(out), &resume),
	                 0);
	snprintf(want, sizeof(want), "%s/db.img.1", dir);
	ck_assert_str_eq(out, want);
	ck_assert(!resume);
	snprintf(want, sizeof(want), "%s/db.img", dir);
	ck_assert_int_eq(
	    dest_resolve_ours(want, ORIG("/x"), 3, map_is_ours, &ours, out, sizeof(out), &resume),
	    -EEXIST);
	/* without OURS an existing name is always taken */
	ck_assert_int_eq(dest_resolve(want, ORIG("/x"), 3, out, sizeof(out), &resume), -EEXIST);
	/* a map whose result is gone still takes its name */
	touch("log.unread");
	ck_assert_int_eq(dest_resolve(dir, ORIG("/var/log"), 4, out, sizeof(out), &resume), 0);
	snprintf(want, sizeof(want), "%s/log.1", dir);
	ck_assert_str_eq(out, want);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dest");
	TCase *tc = tcase_create("dest");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, directory_keeps_base_name);
	tcase_add_test(tc, resume_when_journal_is_there);
	tcase_add_test(tc, new_name_and_refusals);
	tcase_add_test(tc, odd_names);
	tcase_add_test(tc, long_names_leave_room_for_the_suffixes);
	tcase_add_test(tc, trailing_slash_makes_no_double_slash);
	tcase_add_test(tc, incomplete_result_continues_in_place);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
