/* The map of unread ranges: merging, splitting when part of a range heals, totals,
 * and its file: a round trip, and refusing what we did not write. */
#include "rescue/badmap.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void expect(const struct badmap *m, size_t n, const uint64_t (*want)[3])
{
	ck_assert_uint_eq(m->n, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(m->v[i].start, want[i][0]);
		ck_assert_uint_eq(m->v[i].len, want[i][1]);
		ck_assert_int_eq(m->v[i].err, (int)want[i][2]);
	}
}

START_TEST(adds_merge_when_they_touch)
{
	struct badmap m;
	static const uint64_t one[][3] = {{4096, 12288, EIO}};
	static const uint64_t two[][3] = {{4096, 12288, EIO}, {16384, 4096, ENODATA}};

	badmap_init(&m);
	ck_assert_int_eq(badmap_add(&m, 12288, 4096, EIO), 0);
	ck_assert_int_eq(badmap_add(&m, 4096, 4096, EIO), 0);
	ck_assert_int_eq(badmap_add(&m, 8192, 4096, EIO), 0); /* fills the gap */
	expect(&m, 1, one);
	ck_assert_int_eq(badmap_add(&m, 8192, 4096, EIO), 0); /* again: no change */
	expect(&m, 1, one);
	/* another error next to it stays a range of its own */
	ck_assert_int_eq(badmap_add(&m, 16384, 4096, ENODATA), 0);
	expect(&m, 2, two);
	ck_assert_uint_eq(badmap_total(&m), 16384);
	ck_assert_int_eq(badmap_add(&m, 0, 0, EIO), 0);
	ck_assert_uint_eq(m.n, 2);
	badmap_free(&m);
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

START_TEST(overlap_takes_the_new_error)
{
	struct badmap m;
	static const uint64_t want[][3] = {
	    {0, 4096, EIO}, {4096, 4096, EBADMSG}, {8192, 4096, EIO}};

	badmap_init(&m);
	ck_assert_int_eq(badmap_add(&m, 0, 12288, EIO), 0);
	ck_assert_int_eq(badmap_add(&m, 4096, 4096, EBADMSG), 0);
	expect(&m, 3, want);
	ck_assert_uint_eq(badmap_total(&m), 12288);
	badmap_free(&m);
}
END_TEST

START_TEST(partial_heal_splits)
{
	struct badmap m;
	static const uint64_t split[][3] = {{0, 4096, EIO}, {8192, 8192, EIO}};
	static const uint64_t cut[][3] = {{12288, 4096, EIO}};

	badmap_init(&m);
	ck_assert_int_eq(badmap_add(&m, 0, 16384, EIO), 0);
	ck_assert_int_eq(badmap_remove(&m, 4096, 4096), 0);
	expect(&m, 2, split);
	ck_assert_uint_eq(badmap_total(&m), 12288);
	/* a read across the ends of two ranges takes a head and a tail */
	ck_assert_int_eq(badmap_remove(&m, 0, 12288), 0);
	expect(&m, 1, cut);
	ck_assert(badmap_overlaps(&m, 12000, 300));
	ck_assert(!badmap_overlaps(&m, 0, 12288));
	ck_assert(!badmap_overlaps(&m, 16384, 100));
	ck_assert_uint_eq(badmap_find(&m, 0), 0);
	ck_assert_uint_eq(badmap_find(&m, 16384), 1);
	ck_assert_int_eq(badmap_remove(&m, 0, 1 << 20), 0);
	ck_assert_uint_eq(m.n, 0);
	ck_assert_uint_eq(badmap_total(&m), 0);
	badmap_free(&m);
}
END_TEST

START_TEST(file_round_trip)
{
	struct badmap m, back;
	struct badmap_id id = {.dev = 2049, .ino = 77, .size = 1 << 20}, got;
	char dir[] = "/tmp/rt-badmap.XXXXXX";
	int dfd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	badmap_init(&m);
	badmap_init(&back);
	ck_assert_int_eq(badmap_add(&m, 4096, 4096, EIO), 0);
	ck_assert_int_eq(badmap_add(&m, 65536, 8192, EREMOTEIO), 0);
	ck_assert_int_eq(badmap_save_at(dfd, "f.unread", &m, &id), 0);
	ck_assert_int_eq(faccessat(dfd, "f.unread.tmp", F_OK, 0), -1); /* renamed */
	ck_assert_int_eq(badmap_load_at(dfd, "f.unread", &got, &back), 0);
	ck_assert_uint_eq(got.dev, 2049);
	ck_assert_uint_eq(got.ino, 77);
	ck_assert_uint_eq(got.size, 1 << 20);
	ck_assert_uint_eq(back.n, 2);
	ck_assert_int_eq(memcmp(back.v, m.v, 2 * sizeof(*m.v)), 0);
	badmap_free(&back);
	ck_assert_int_eq(badmap_drop_at(dfd, "f.unread"), 0);
	ck_assert_int_eq(badmap_load_at(dfd, "f.unread", &got, &back), -ENOENT);
	ck_assert_int_eq(badmap_drop_at(dfd, "f.unread"), 0);
	badmap_free(&m);
	close(dfd);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static int parse(const char *text)
{
	struct badmap m;
	struct badmap_id id;
	int r;

	badmap_init(&m);
	r = badmap_parse(text, strlen(text), &id, &m);
	ck_assert(r == 0 || m.n == 0); /* nothing half-read is kept */
	badmap_free(&m);
	return r;
}

START_TEST(refuses_what_is_not_ours)
{
	const char *head = "rescuetui-unread 1\ndev 1\nino 2\nsize 100000\n";
	char buf[512];
	static const char *const bad[] = {
	    "range 0 4096 5\n",                    /* no end line: cut short */
	    "range 8192 4096 5\nrange 0 4096 5\n", /* out of order */
	    "range 0 8192 5\nrange 4096 4096 5\n", /* overlapping */
	    "range 0 0 5\n",                       /* empty */
	    "range 98304 4096 5\n",                /* past the size */
	    "range 0 4096 0\n",                    /* no error */
	    "range -1 4096 5\n",                   /* negative */
	    "range 0 4096 5 x\n",                  /* trailing junk */
	    "ranges 0 4096 5\n",                   /* unknown line */
	    "end-of-map\nrange 0 4096 5\n",        /* after the end */
	};

	snprintf(buf, sizeof(buf), "%srange 0 4096 5\nend-of-map\n", head);
	ck_assert_int_eq(parse(buf), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s%s", head, bad[i],
		         i == 0 || strstr(bad[i], "end-of-map") ? "" : "end-of-map\n");
		ck_assert_msg(parse(buf) == -EINVAL, "accepted: %s", bad[i]);
	}
	ck_assert_int_eq(parse("rescuetui-journal 1\nend-of-map\n"), -EINVAL);
	ck_assert_int_eq(parse("rescuetui-unread 1\nino 2\ndev 1\nsize 9\nend-of-map\n"), -EINVAL);
	ck_assert_int_eq(parse("rescuetui-unread 1\ndev 1\nino 2\nsize 9x\nend-of-map\n"), -EINVAL);
	ck_assert_int_eq(parse(""), -EINVAL);
}
END_TEST

START_TEST(refuses_a_symlink_and_a_directory)
{
	struct badmap m;
	struct badmap_id id = {0};
	char dir[] = "/tmp/rt-badmap.XXXXXX";
	int dfd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dfd, 0);
	badmap_init(&m);
	ck_assert_int_eq(symlinkat("/etc/passwd", dfd, "l.unread"), 0);
	ck_assert_int_eq(badmap_load_at(dfd, "l.unread", &id, &m), -EINVAL);
	ck_assert_int_eq(mkdirat(dfd, "d.unread", 0700), 0);
	ck_assert_int_eq(badmap_load_at(dfd, "d.unread", &id, &m), -EINVAL);
	/* saving never writes through a symlink left under the temporary name */
	ck_assert_int_eq(symlinkat("/nonexistent-rt", dfd, "s.unread.tmp"), 0);
	ck_assert_int_eq(badmap_save_at(dfd, "s.unread", &m, &id), 0);
	ck_assert_int_eq(unlinkat(dfd, "l.unread", 0), 0);
	ck_assert_int_eq(unlinkat(dfd, "s.unread", 0), 0);
	ck_assert_int_eq(unlinkat(dfd, "d.unread", AT_REMOVEDIR), 0);
	close(dfd);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("badmap");
	TCase *t = tcase_create("badmap");

	tcase_add_test(t, adds_merge_when_they_touch);
	tcase_add_test(t, overlap_takes_the_new_error);
	tcase_add_test(t, partial_heal_splits);
	tcase_add_test(t, file_round_trip);
	tcase_add_test(t, refuses_what_is_not_ours);
	tcase_add_test(t, refuses_a_symlink_and_a_directory);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
