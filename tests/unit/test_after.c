/* What the summary tells the admin to check next, with the exact commands. */
#include "decide/after.h"
#include "testlib.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has(char lines[][AFTER_LEN], size_t n, const char *needle)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(lines[i], needle))
			return true;
	return false;
}

START_TEST(live_image_copy_is_checked)
{
	char l[AFTER_MAX][AFTER_LEN];
	struct after_facts f = {.method = REC_SYNC,
	                        .result = "/backup/vm.img",
	                        .ok = true,
	                        .verified = true,
	                        .live = true,
	                        .content = CONTENT_EXT};
	size_t n = after_checks(&f, l);

	ck_assert(has(l, n, "crash-consistent"));
	ck_assert(has(l, n, "e2fsck -fn /backup/vm.img"));
	f.content = CONTENT_QCOW2;
	n = after_checks(&f, l);
	ck_assert(has(l, n, "qemu-img check /backup/vm.img"));
	f.content = CONTENT_XFS;
	n = after_checks(&f, l);
	ck_assert(has(l, n, "xfs_repair -n -f /backup/vm.img"));
	f.content = CONTENT_UNKNOWN;
	n = after_checks(&f, l);
	ck_assert(has(l, n, "application's own tools"));
}
END_TEST

START_TEST(loop_freeze_and_failures)
{
	char l[AFTER_MAX][AFTER_LEN];
	pid_t pids[] = {123, 456};
	struct after_facts f = {.method = REC_SYNC,
	                        .result = "/b/disk.img",
	                        .ok = true,
	                        .verified = true,
	                        .live = true,
	                        .frozen = true,
	                        .resumed = pids,
	                        .nresumed = 2,
	                        .loop_dev = "/dev/loop3",
	                        .loop_mountpoint = "/mnt/d",
	                        .loop_autoclear = true,
	                        .content = CONTENT_EXT};
	size_t n = after_checks(&f, l);

	ck_assert(has(l, n, "pid 123, 456"));
	ck_assert(has(l, n, "/mnt/d is still mounted from the deleted image on /dev/loop3"));
	ck_assert(has(l, n, "e2fsck -fn /b/disk.img"));
	ck_assert(!has(l, n, "crash-consistent")); /* frozen: consistent */
	/* Only the filesystem frozen (no writer process to stop, as for a loop-mounted
	 * image): consistent too, and said so. */
	f.frozen = false;
	f.nresumed = 0;
	f.fs_frozen = true;
	n = after_checks(&f, l);
	ck_assert(!has(l, n, "crash-consistent"));
	ck_assert(has(l, n, "/mnt/d was frozen (fsfreeze) for the last pass and thawed"));
	ck_assert(!has(l, n, "writers were stopped"));
	/* Failure: keep it mounted, keep the partial, run again. */
	f.ok = false;
	n = after_checks(&f, l);
	ck_assert(has(l, n, "Do not unmount /mnt/d"));
	ck_assert(has(l, n, "run the same command again"));
	/* Unreadable tail through the loop device. */
	f = (struct after_facts){.method = REC_COPY,
	                         .result = "/b/x",
	                         .ok = true,
	                         .verified = true,
	                         .loop_dev = "/dev/loop4",
	                         .unreadable = 300};
	n = after_checks(&f, l);
	ck_assert(has(l, n, "300 bytes at the end could not be read"));
	ck_assert(has(l, n, "losetup -d /dev/loop4"));
}
END_TEST

START_TEST(relink_and_changed_source)
{
	char l[AFTER_MAX][AFTER_LEN];
	struct after_facts f = {.method = REC_RELINK, .result = "/data/t", .ok = true};
	size_t n = after_checks(&f, l);

	ck_assert_uint_eq(n, 1);
	ck_assert(has(l, n, "same inode"));
	f = (struct after_facts){
	    .method = REC_COPY, .result = "/b/y", .ok = true, .source_changed = true, .live = true};
	n = after_checks(&f, l);
	ck_assert(has(l, n, "--method sync"));
	f = (struct after_facts){
	    .method = REC_COPY, .result = "/b/z", .ok = true, .verified = true};
	n = after_checks(&f, l);
	ck_assert(has(l, n, "/b/z is complete and verified"));
}
END_TEST

START_TEST(detects_ext4)
{
	char dir[] = "/tmp/rt-after.XXXXXX", path[128];

	tl_need_cmd("mkfs.ext4");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fs.img", dir);
	ck_assert_int_eq(tl_system("truncate -s 8M %s && mkfs.ext4 -q %s", path, path), 0);
	ck_assert_int_eq(after_detect(path), CONTENT_EXT);
	ck_assert_int_eq(tl_system("rm -rf %s", dir), 0);
}
END_TEST

START_TEST(detects_content)
{
	char dir[] = "/tmp/rt-after.XXXXXX", path[128], cmd[512];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vm.qcow2", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, "QFI\xfb\0\0\0\3", 8), 8);
	close(fd);
	ck_assert_int_eq(after_detect(path), CONTENT_QCOW2);
	snprintf(path, sizeof(path), "%s/none", dir);
	ck_assert_int_eq(after_detect(path), CONTENT_UNKNOWN);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("after");
	TCase *tc = tcase_create("after");

	tcase_add_test(tc, live_image_copy_is_checked);
	tcase_add_test(tc, loop_freeze_and_failures);
	tcase_add_test(tc, relink_and_changed_source);
	tcase_add_test(tc, detects_ext4);
	tcase_add_test(tc, detects_content);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
