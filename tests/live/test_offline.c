/* The offline engine's guards against writing where it must not, on real images,
 * loop devices and mounts: a filesystem mounted after it was opened (the race the
 * CLI's mount check cannot close) still makes the copy refuse a target on it, and a
 * read-only handle never relinks. */
#include "offline/extract.h"
#include "offline/orphan.h"
#include "offline/relink.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FIRST_FILE_INO 12 /* the first inode mkfs leaves free (after lost+found) */

static char img[128], mnt[128];

/* A small ext4 image with one regular file in it (inode 12). */
static void make_image(void)
{
	snprintf(img, sizeof(img), "%s/fs.img", tl_dir);
	snprintf(mnt, sizeof(mnt), "%s/mnt", tl_dir);
	tl_sh("truncate -s 16M '%s' && mkfs.ext4 -q -F '%s'", img, img);
	tl_sh("debugfs -w -R 'write /etc/hostname f' '%s' >/dev/null 2>&1", img);
	tl_sh("mkdir -p '%s'", mnt);
}

START_TEST(target_in_the_image_refused)
{
	char why[OFF_WHY_LEN], dev[64], dest[256];
	struct off_copy_result res;
	struct off_fs *fs;

	make_image();
	ck_assert_int_eq(off_open(img, false, &fs, why), 0);
	ck_assert_int_eq(off_target_on_fs(fs, tl_dir), 0);
	/* Mounted after the open: what a copy would write lands in the image. */
	tl_loop_attach(dev, sizeof(dev), "-r", img);
	tl_undo_umount(mnt);
	tl_sh("mount -o ro,noload %s '%s'", dev, mnt);
	ck_assert_int_eq(off_target_on_fs(fs, mnt), 1);
	snprintf(dest, sizeof(dest), "%s/out", mnt);
	ck_assert_int_eq(off_recover(fs, FIRST_FILE_INO, dest, NULL, NULL, &res), -EXDEV);
	ck_assert_msg(strstr(res.message, "filesystem being rescued"), "%s", res.message);
	off_close(fs, NULL);
	tl_umount(mnt);
}
END_TEST

/* The console's cancel key: a progress callback that asks to stop ends the copy
 * with -ECANCELED and leaves nothing behind, neither the result nor its .partial. */
static int stop_now(void *ctx, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	++*(int *)ctx;
	return 1;
}

START_TEST(cancelled_copy_leaves_nothing)
{
	char why[OFF_WHY_LEN], dest[256], partial[300];
	struct off_copy_result res;
	struct off_fs *fs;
	int calls = 0;

	make_image();
	tl_sh("head -c 300000 /dev/urandom >'%s/big' && debugfs -w -R 'write %s/big big' '%s' "
	      ">/dev/null 2>&1",
	      tl_dir, tl_dir, img);
	ck_assert_int_eq(off_open(img, false, &fs, why), 0);
	snprintf(dest, sizeof(dest), "%s/out", tl_dir);
	ck_assert_int_eq(off_recover(fs, FIRST_FILE_INO + 1, dest, stop_now, &calls, &res),
	                 -ECANCELED);
	off_close(fs, NULL);
	ck_assert_int_eq(calls, 1);
	snprintf(partial, sizeof(partial), "%s.partial", dest);
	ck_assert_int_ne(access(dest, F_OK), 0);
	ck_assert_int_ne(access(partial, F_OK), 0);
	ck_assert_str_eq(res.final_path, "");
}
END_TEST

START_TEST(target_on_the_device_refused)
{
	char why[OFF_WHY_LEN], dev[64], where[512];
	struct off_fs *fs;

	make_image();
	tl_loop_attach(dev, sizeof(dev), "-r", img);
	ck_assert_int_eq(off_mounted(dev, where, sizeof(where)), 0);
	ck_assert_int_eq(off_open(dev, false, &fs, why), 0);
	tl_undo_umount(mnt);
	tl_sh("mount -o ro,noload %s '%s'", dev, mnt);
	ck_assert_int_eq(off_mounted(dev, where, sizeof(where)), 1);
	ck_assert_msg(strstr(where, mnt), "%s", where);
	ck_assert_int_eq(off_mounted(img, where, sizeof(where)), 1);
	ck_assert_int_eq(off_target_on_fs(fs, mnt), 1);
	ck_assert_int_eq(off_target_on_fs(fs, tl_dir), 0);
	off_close(fs, NULL);
	tl_umount(mnt);
}
END_TEST

START_TEST(read_only_handle_never_relinks)
{
	char why[OFF_WHY_LEN], sum0[64], sum1[64];
	struct off_relink_result res;
	struct off_fs *fs;

	make_image();
	tl_sh_out(sum0, sizeof(sum0), "md5sum < '%s'", img);
	ck_assert_int_eq(off_open(img, false, &fs, why), 0);
	ck_assert_int_eq(off_relink(fs, FIRST_FILE_INO, NULL, &res), -EROFS);
	ck_assert_int_eq(off_close(fs, why), 0);
	tl_sh_out(sum1, sizeof(sum1), "md5sum < '%s'", img);
	ck_assert_str_eq(sum0, sum1);
}
END_TEST

START_TEST(named_file_is_no_orphan)
{
	char why[OFF_WHY_LEN];
	struct off_relink_result res;
	struct off_scan s;
	struct off_fs *fs;

	make_image();
	ck_assert_int_eq(off_open(img, true, &fs, why), 0);
	/* Inode 12 has a name: not an orphan, not listed even by the deep walk. */
	ck_assert_int_eq(off_relink(fs, FIRST_FILE_INO, NULL, &res), -EINVAL);
	ck_assert_int_eq(off_scan(fs, true, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_uint_eq(s.nprob, 0);
	off_scan_free(&s);
	ck_assert_int_eq(off_close(fs, why), 0);
}
END_TEST

/* The console's name field and the CLI's --name are refused by one check, before
 * anything is written; a read-only handle is enough for it. */
START_TEST(relink_names_checked_without_writing)
{
	static const struct {
		const char *name;
		int err;
	} cases[] = {
	    {NULL, 0},
	    {"lost+found/new", 0},
	    {"/new", 0},
	    {"", -EINVAL},
	    {"/", -EINVAL},
	    {"lost+found/", -EINVAL},
	    {"..", -EINVAL},
	    {"lost+found/../x", -EINVAL},
	    {"./x", -EINVAL},
	    {"nodir/x", -ENOENT},
	    {"f/x", -ENOTDIR},
	    {"f", -EEXIST},
	    {"/lost+found", -EEXIST},
	};
	char why[OFF_WHY_LEN], sum0[64], sum1[64], name[400], def[64];
	struct off_fs *fs;

	make_image();
	tl_sh_out(sum0, sizeof(sum0), "md5sum < '%s'", img);
	ck_assert_int_eq(off_open(img, false, &fs, why), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = off_relink_check(fs, FIRST_FILE_INO, cases[i].name, why);
		ck_assert_msg(err == cases[i].err, "%s: %d (%s), want %d",
		              cases[i].name ? cases[i].name : "(default)", err, why, cases[i].err);
		ck_assert_msg(err == 0 ? why[0] == 0 : why[0] != 0, "%s: message '%s'",
		              cases[i].name ? cases[i].name : "(default)", why);
	}
	ck_assert_int_eq(off_relink_check(fs, FIRST_FILE_INO, "f", why), -EEXIST);
	ck_assert_str_eq(why, "/f exists already: a relink never replaces a name");
	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	ck_assert_int_eq(off_relink_check(fs, FIRST_FILE_INO, name, why), -ENAMETOOLONG);
	off_relink_default_name(FIRST_FILE_INO, def, sizeof(def));
	ck_assert_str_eq(def, "lost+found/rescued-12");
	ck_assert_int_eq(off_close(fs, why), 0);
	/* Without lost+found the default is still fine: the relink makes it. */
	tl_sh("debugfs -w -R 'rmdir lost+found' '%s' >/dev/null 2>&1", img);
	tl_sh_out(sum0, sizeof(sum0), "md5sum < '%s'", img);
	ck_assert_int_eq(off_open(img, false, &fs, why), 0);
	ck_assert_int_eq(off_relink_check(fs, FIRST_FILE_INO, NULL, why), 0);
	ck_assert_int_eq(off_relink_check(fs, FIRST_FILE_INO, def, why), -ENOENT);
	ck_assert_int_eq(off_close(fs, why), 0);
	tl_sh_out(sum1, sizeof(sum1), "md5sum < '%s'", img);
	ck_assert_str_eq(sum0, sum1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("offline");
	TCase *tc = tcase_create("live");

	/* Every test then says why it could not run (tl_setup skips it). */
	if (geteuid() != 0)
		tl_skip_all("needs root (loop devices and mounts)");
	else if (!tl_have_cmd("debugfs") || !tl_have_cmd("mkfs.ext4"))
		tl_skip_all("needs debugfs and mkfs.ext4");
	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, target_in_the_image_refused);
	tcase_add_test(tc, target_on_the_device_refused);
	tcase_add_test(tc, cancelled_copy_leaves_nothing);
	tcase_add_test(tc, read_only_handle_never_relinks);
	tcase_add_test(tc, named_file_is_no_orphan);
	tcase_add_test(tc, relink_names_checked_without_writing);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
