/* The pin keeps a deleted file's data after every holder is gone: discover with the
 * library, kill the holders, read through the pin, compare with what was written. */
#include "find/pin.h"
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read everything through the pin and compare with WANT. */
static void check_bytes(const struct pin *p, const unsigned char *want, size_t n)
{
	unsigned char *got = malloc(n + 1);
	size_t off = 0;

	ck_assert_ptr_nonnull(got);
	while (off < n + 1) {
		ssize_t r = pin_pread(p, got + off, n + 1 - off, off);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		off += (size_t)r;
	}
	ck_assert_uint_eq(off, n);
	ck_assert_msg(memcmp(got, want, n) == 0, "bytes through the pin differ");
	free(got);
}

/* Held write-only by three processes: the pin is a read-only reopen and outlives them. */
START_TEST(fd_pin_outlives_holders)
{
	char path[128], spec[160];
	struct scan_result r;
	struct tl_holder h;
	size_t n = (1 << 20) + 17;
	unsigned char *want;
	ino_t ino;
	const struct entry *e;

	snprintf(path, sizeof(path), "%s/data", tl_dir);
	want = tl_random_file(path, n);
	ino = tl_ino(path);
	snprintf(spec, sizeof(spec), "w:%s", path);
	tl_holder_start(&h, "-c", "3", spec, NULL);
	ck_assert_int_eq(access(path, F_OK), -1);
	tl_scan(&r);
	e = tl_find(&r, ino);
	ck_assert_int_eq(e->pin.kind, PIN_FD);
	ck_assert_uint_eq(e->size, n);
	tl_holder_stop(&h, SIGKILL);
	check_bytes(&e->pin, want, n);
	scan_free(&r);
	free(want);
}
END_TEST

/* Held only by a mapping: map_files gives the whole file, not just the window. */
START_TEST(map_pin_outlives_holder)
{
	char path[128], spec[160];
	struct scan_result r;
	struct tl_holder h;
	size_t n = 3 * 4096 + 5;
	unsigned char *want;
	ino_t ino;
	const struct entry *e;

	tl_need_root(); /* map_files, handles, loop devices and mounts */
	snprintf(path, sizeof(path), "%s/mapped", tl_dir);
	want = tl_random_file(path, n);
	ino = tl_ino(path);
	snprintf(spec, sizeof(spec), "m:%s", path);
	tl_holder_start(&h, spec, NULL);
	tl_scan(&r);
	e = tl_find(&r, ino);
	ck_assert_int_eq(e->pin.kind, PIN_MAP);
	tl_holder_stop(&h, SIGKILL);
	check_bytes(&e->pin, want, n);
	scan_free(&r);
	free(want);
}
END_TEST

/* A loop device over a deleted file whose size is not a multiple of 512, on a FSTYPE
 * filesystem of our own. After the loop device is detached only the pin holds the
 * file; on ext4 the handle pin gives every byte, tail included; on tmpfs only the
 * device view was pinnable, so the bytes up to the last whole sector come back. */
static void loop_case(const char *fstype)
{
	char img[200], mnt[200], file[240], inner[64];
	struct scan_result r;
	size_t n = 1000 * 1000 + 123;
	unsigned char *want;
	ino_t ino;
	const struct entry *e;
	int detach;

	snprintf(img, sizeof(img), "%s/fs.img", tl_dir);
	snprintf(mnt, sizeof(mnt), "%s/mnt", tl_dir);
	tl_make_fs(fstype, strcmp(fstype, "tmpfs") == 0 ? "8m" : "64M", img, mnt);
	snprintf(file, sizeof(file), "%s/disk.raw", mnt);
	want = tl_random_file(file, n);
	ino = tl_ino(file);
	detach = tl_loop_attach(inner, sizeof(inner), "", file);
	tl_sh("rm %s", file);
	tl_scan(&r);
	e = tl_find(&r, ino);
	ck_assert_int_eq(e->nholders, 1);
	ck_assert_str_eq(e->holders[0].loop_dev, inner);
	tl_sh("losetup -d %s", inner);
	tl_undo_drop(detach); /* the number is free for anyone now */
	if (strcmp(fstype, "tmpfs") == 0) {
		ck_assert_int_eq(e->pin.kind, PIN_LOOPDEV);
		ck_assert(!e->size_known);
		ck_assert_uint_eq(e->size, n / 512 * 512);
		check_bytes(&e->pin, want, n / 512 * 512);
	} else {
		ck_assert_int_eq(e->pin.kind, PIN_HANDLE);
		ck_assert(e->size_known);
		ck_assert_uint_eq(e->size, n);
		check_bytes(&e->pin, want, n);
	}
	scan_free(&r);
	free(want);
}

START_TEST(loop_pin_ext4)
{
	tl_need_root(); /* loop devices and mounts */
	loop_case("ext4");
}
END_TEST

START_TEST(loop_pin_tmpfs)
{
	tl_need_root(); /* loop devices and mounts */
	loop_case("tmpfs");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pin");
	TCase *tc = tcase_create("live");

	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fd_pin_outlives_holders);
	tcase_add_test(tc, map_pin_outlives_holder);
	tcase_add_test(tc, loop_pin_ext4);
	tcase_add_test(tc, loop_pin_tmpfs);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
