/* --reclaim: the verdict for every kind of holder, and the log lines it trusts. */
#include "decide/reclaim.h"
#include "find/scan.h"
#include "rescue/log.h"
#include "testlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct holder fd_holder = {.type = HOLDER_FD, .pid = 42, .fd = 3, .comm = (char *)"app"};

static struct entry an_entry(struct holder *h, size_t nh)
{
	return (struct entry){.dev = 1,
	                      .ino = 2,
	                      .kind = KIND_FILE,
	                      .size = 1000,
	                      .allocated = 4096,
	                      .holders = h,
	                      .nholders = nh,
	                      .mtime = {.tv_sec = 1000}};
}

static enum reclaim_verdict judge(struct reclaim_facts *f, char *why)
{
	return reclaim_judge(f, why, 400);
}

START_TEST(rescued_and_unchanged_is_ok)
{
	struct entry e = an_entry(&fd_holder, 1);
	struct reclaim_facts f = {
	    .e = &e, .rescued = true, .rescued_size = 1000, .rescued_when = 1000};
	char why[400];

	ck_assert_int_eq(judge(&f, why), RECLAIM_OK);
	f.rescued_size = 999; /* grew since */
	ck_assert_int_eq(judge(&f, why), RECLAIM_NEEDS_DISCARD);
	ck_assert_ptr_nonnull(strstr(why, "changed since"));
	f.rescued_size = 1000;
	e.mtime.tv_sec = 1001; /* written to since */
	ck_assert_int_eq(judge(&f, why), RECLAIM_NEEDS_DISCARD);
	f.rescued = false;
	e.mtime.tv_sec = 1000;
	ck_assert_int_eq(judge(&f, why), RECLAIM_NEEDS_DISCARD);
	ck_assert_ptr_nonnull(strstr(why, "no verified rescue"));
}
END_TEST

START_TEST(refusals_whatever_is_said)
{
	struct holder map = {.type = HOLDER_MMAP, .pid = 7, .comm = (char *)"db"};
	struct holder loop = {.type = HOLDER_LOOP, .loop_dev = "/dev/loop9"};
	struct holder both[2] = {fd_holder, map};
	struct holder pin = {.type = HOLDER_FD, .pid = 9, .fd = 4, .others_pin = true};
	struct entry e;
	struct reclaim_facts f = {.rescued = true, .rescued_size = 1000, .rescued_when = 2000};
	char why[400];

	e = an_entry(both, 2);
	f.e = &e;
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	ck_assert_ptr_nonnull(strstr(why, "SIGBUS"));
	e = an_entry(&loop, 1);
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	ck_assert_ptr_nonnull(strstr(why, "/dev/loop9"));
	e = an_entry(&fd_holder, 1);
	e.kind = KIND_TMPFILE;
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	ck_assert_ptr_nonnull(strstr(why, "relink"));
	e.kind = KIND_MEMFD;
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	e = an_entry(&pin, 1); /* only another rescuetui's pin */
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	e = an_entry(&fd_holder, 1);
	f.busy = true;
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	ck_assert_ptr_nonnull(strstr(why, "rescue job"));
	f.busy = false;
	f.readonly_fs = true;
	ck_assert_int_eq(judge(&f, why), RECLAIM_REFUSED);
	f.readonly_fs = false;
	ck_assert_int_eq(judge(&f, why), RECLAIM_OK);
}
END_TEST

/* The log line of a rescue is found again; a failed one, another file's, or a name
 * made to look like a verified line is not. */
START_TEST(log_lines_trusted)
{
	char path[] = "/tmp/rt-reclaim-log.XXXXXX";
	unsigned char hash[16] = {0xab, 1, 2, 3};
	struct rlog_rescue out;
	int fd = mkstemp(path);
	static const char fake[] = "x verified=yes size=5 hash=00 result=ok";
	struct rlog_line ok = {.method = "copy",
	                       .id = "8:1:99",
	                       .path = "/var/log/a.log",
	                       .path_len = 14,
	                       .target = "/b/a.log",
	                       .bytes = 1000,
	                       .result = "ok",
	                       .verified = true,
	                       .src_size = 1000,
	                       .src_hash = hash};
	struct rlog_line bad = ok;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(rlog_find_rescue(path, "8:1:99", &out), 0);
	bad.result = "no space left";
	bad.verified = false;
	ck_assert_int_eq(rlog_append(path, &bad), 0);
	ck_assert_int_eq(rlog_find_rescue(path, "8:1:99", &out), 0);
	ck_assert_int_eq(rlog_append(path, &ok), 0);
	ck_assert_int_eq(rlog_find_rescue(path, "8:1:99", &out), 1);
	ck_assert_uint_eq(out.src_size, 1000);
	ck_assert(out.has_hash && out.src_hash[0] == 0xab);
	ck_assert_int_eq(rlog_find_rescue(path, "8:1:98", &out), 0);
	/* a failed rescue of 8:1:7 whose name pretends the line was a success */
	bad.id = "8:1:7";
	bad.path = fake;
	bad.path_len = strlen(fake);
	bad.result = fake;
	ck_assert_int_eq(rlog_append(path, &bad), 0);
	ck_assert_int_eq(rlog_find_rescue(path, "8:1:7", &out), 0);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reclaim");
	TCase *tc = tcase_create("reclaim");

	tcase_add_test(tc, rescued_and_unchanged_is_ok);
	tcase_add_test(tc, refusals_whatever_is_said);
	tcase_add_test(tc, log_lines_trusted);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
