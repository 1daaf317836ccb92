/* SEL as the user types it: id, PID:FD, loopN, /dev/loopN, or the original path. */
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

static struct holder h_a[] = {{.type = HOLDER_FD, .pid = 1234, .fd = 5}};
static struct holder h_b[] = {{.type = HOLDER_FD, .pid = 1234, .fd = 7},
                              {.type = HOLDER_MMAP, .pid = 99, .fd = -1}};
static struct holder h_c[] = {{.type = HOLDER_LOOP, .fd = -1, .loop_dev = "/dev/loop3"}};
static struct holder h_d[] = {{.type = HOLDER_FD, .pid = 77, .fd = 3}};
static char p_a[] = "/var/lib/vm.img", p_b[] = "/var/log/app.log", p_c[] = "/srv/disk.raw",
            p_d[] = "/var/log/app.log";

static struct entry ents[] = {
    {.dev = 0, .ino = 11, .path = p_a, .path_len = sizeof(p_a) - 1, .holders = h_a, .nholders = 1},
    {.dev = 0, .ino = 12, .path = p_b, .path_len = sizeof(p_b) - 1, .holders = h_b, .nholders = 2},
    {.dev = 0, .ino = 13, .path = p_c, .path_len = sizeof(p_c) - 1, .holders = h_c, .nholders = 1},
    {.dev = 0, .ino = 14, .path = p_d, .path_len = sizeof(p_d) - 1, .holders = h_d, .nholders = 1},
};

static struct scan_result res = {.v = ents, .n = 4};

static void setup(void)
{
	for (size_t i = 0; i < 4; i++)
		ents[i].dev = makedev(254, i < 2 ? 1 : 2);
}

START_TEST(by_id)
{
	ck_assert_int_eq(scan_select(&res, "254:1:11"), 0);
	ck_assert_int_eq(scan_select(&res, "254:1:12"), 1);
	ck_assert_int_eq(scan_select(&res, "254:2:13"), 2);
	ck_assert_int_eq(scan_select(&res, "254:2:11"), -ENOENT); /* right inode, other dev */
	ck_assert_int_eq(scan_select(&res, "254:1:"), -ENOENT);
	ck_assert_int_eq(scan_select(&res, "254:1:11:9"), -ENOENT);
}
END_TEST

START_TEST(by_pid_fd)
{
	ck_assert_int_eq(scan_select(&res, "1234:5"), 0);
	ck_assert_int_eq(scan_select(&res, "1234:7"), 1);
	ck_assert_int_eq(scan_select(&res, "77:3"), 3);
	ck_assert_int_eq(scan_select(&res, "1234:6"), -ENOENT);
	ck_assert_int_eq(scan_select(&res, "99:-1"), -ENOENT); /* mmap holders have no fd */
}
END_TEST

START_TEST(by_loop)
{
	ck_assert_int_eq(scan_select(&res, "loop3"), 2);
	ck_assert_int_eq(scan_select(&res, "/dev/loop3"), 2);
	ck_assert_int_eq(scan_select(&res, "loop30"), -ENOENT);
	ck_assert_int_eq(scan_select(&res, "/dev/loop"), -ENOENT);
}
END_TEST

START_TEST(by_path)
{
	ck_assert_int_eq(scan_select(&res, "/var/lib/vm.img"), 0);
	ck_assert_int_eq(scan_select(&res, "/srv/disk.raw"), 2);
	/* Two held files had that name: the id must decide. */
	ck_assert_int_eq(scan_select(&res, "/var/log/app.log"), -ENOTUNIQ);
	ck_assert_int_eq(scan_select(&res, "/var/lib/vm.im"), -ENOENT);
	ck_assert_int_eq(scan_select(&res, ""), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("select");
	TCase *tc = tcase_create("select");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, by_id);
	tcase_add_test(tc, by_pid_fd);
	tcase_add_test(tc, by_loop);
	tcase_add_test(tc, by_path);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
