/* Parsers of /proc and /sys text, on the exact strings the kernel writes. */
#include "find/parse.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIT(s) s, sizeof(s) - 1

START_TEST(suffix)
{
	size_t n = 0;

	ck_assert(parse_deleted_suffix(LIT("/var/log/app.log (deleted)"), &n));
	ck_assert_uint_eq(n, strlen("/var/log/app.log"));
	/* A file really named "x (deleted)" that was deleted shows the suffix twice. */
	ck_assert(parse_deleted_suffix(LIT("/tmp/x (deleted) (deleted)"), &n));
	ck_assert_uint_eq(n, strlen("/tmp/x (deleted)"));
	/* ...and a live one shows it once: the suffix alone proves nothing. */
	ck_assert(parse_deleted_suffix(LIT("/tmp/x (deleted)"), &n));
	ck_assert(!parse_deleted_suffix(LIT("/var/log/app.log"), &n));
	ck_assert(!parse_deleted_suffix(LIT("/tmp/x (deleted)\n"), NULL));
	ck_assert(!parse_deleted_suffix(LIT("/tmp/x(deleted)"), NULL));
	ck_assert(!parse_deleted_suffix(LIT("(deleted)"), NULL));
	ck_assert(parse_deleted_suffix(LIT(" (deleted)"), &n));
	ck_assert_uint_eq(n, 0);
	ck_assert(!parse_deleted_suffix("", 0, NULL));
	ck_assert(!parse_deleted_suffix(LIT("socket:[12345]"), NULL));
}
END_TEST

START_TEST(fdinfo_modes)
{
	struct parse_fdinfo fi;

	ck_assert_int_eq(
	    parse_fdinfo(LIT("pos:\t4096\nflags:\t0100000\nmnt_id:\t27\nino:\t12\n"), &fi), 0);
	ck_assert_uint_eq(fi.pos, 4096);
	ck_assert_int_eq(fi.mnt_id, 27);
	ck_assert_uint_eq(parse_access(fi.flags), PARSE_ACC_R);
	ck_assert(!parse_is_append(fi.flags));

	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t0\nflags:\t0100001\nmnt_id:\t27\n"), &fi), 0);
	ck_assert_uint_eq(parse_access(fi.flags), PARSE_ACC_W);

	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t777\nflags:\t0102001\nmnt_id:\t30\n"), &fi), 0);
	ck_assert_uint_eq(parse_access(fi.flags), PARSE_ACC_W);
	ck_assert(parse_is_append(fi.flags));
	ck_assert_uint_eq(fi.pos, 777);

	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t0\nflags:\t0100002\n"), &fi), 0);
	ck_assert_uint_eq(parse_access(fi.flags), PARSE_ACC_R | PARSE_ACC_W);
	ck_assert_int_eq(fi.mnt_id, -1);
	ck_assert(!parse_is_tmpfile(fi.flags));

	/* What the kernel shows for an O_TMPFILE|O_RDWR file. */
	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t3000\nflags:\t020300002\nmnt_id:\t27\n"), &fi), 0);
	ck_assert(parse_is_tmpfile(fi.flags));
	ck_assert_uint_eq(parse_access(fi.flags), PARSE_ACC_R | PARSE_ACC_W);
}
END_TEST

START_TEST(fdinfo_big_and_odd)
{
	struct parse_fdinfo fi;
	/* A position past 4 GiB, an unknown extra line, and no trailing newline. */
	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t17179869184\nflags:\t02\nmnt_id:\t1\n"
	                                  "lock:\t1: POSIX  ADVISORY  WRITE 1 00:01:2 0 EOF\n"
	                                  "ino:\t5"),
	                              &fi),
	                 0);
	ck_assert_uint_eq(fi.pos, 17179869184ull);
	/* Missing fields or garbage are refused, not guessed. */
	ck_assert_int_eq(parse_fdinfo(LIT("flags:\t02\n"), &fi), -EINVAL);
	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t0\n"), &fi), -EINVAL);
	ck_assert_int_eq(parse_fdinfo(LIT("pos:\tx\nflags:\t02\n"), &fi), -EINVAL);
	ck_assert_int_eq(parse_fdinfo(LIT("pos:\t0\nflags:\t09\n"), &fi), 0); /* 0 then junk */
	ck_assert_int_eq(parse_fdinfo("", 0, &fi), -EINVAL);
}
END_TEST

START_TEST(maps_plain)
{
	struct parse_maps m;
	const char line[] = "7f2c4a1f3000-7f2c4a1f5000 r--s 00001000 fe:00 10953489          "
	                    "/tmp/dir with spaces/data file (deleted)";

	ck_assert_int_eq(parse_maps_line(LIT(line), &m), 0);
	ck_assert_uint_eq(m.start, 0x7f2c4a1f3000ull);
	ck_assert_uint_eq(m.end, 0x7f2c4a1f5000ull);
	ck_assert_uint_eq(m.offset, 0x1000);
	ck_assert_uint_eq(m.dev_major, 0xfe);
	ck_assert_uint_eq(m.dev_minor, 0);
	ck_assert_uint_eq(m.ino, 10953489);
	ck_assert(m.readable && !m.writable && m.shared);
	ck_assert(m.deleted);
	ck_assert_uint_eq(m.path_len, strlen("/tmp/dir with spaces/data file"));
	ck_assert(memcmp(m.path, "/tmp/dir with spaces/data file", m.path_len) == 0);
}
END_TEST

START_TEST(maps_odd)
{
	struct parse_maps m;
	char buf[64];
	size_t n;

	/* Anonymous memory: no path. */
	ck_assert_int_eq(parse_maps_line(LIT("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 "), &m), 0);
	ck_assert_uint_eq(m.path_len, 0);
	ck_assert(!m.deleted);
	ck_assert_int_eq(parse_maps_line(LIT("7ffd1000-7ffd2000 rw-p 00000000 00:00 0"), &m), 0);
	/* A file really named "x (deleted)", deleted: one suffix removed. */
	ck_assert_int_eq(
	    parse_maps_line(LIT("1000-2000 rw-s 00000000 08:01 42    /x (deleted) (deleted)"), &m),
	    0);
	ck_assert(m.deleted && m.writable && m.shared);
	ck_assert_uint_eq(m.path_len, strlen("/x (deleted)"));
	/* The same name alive. */
	ck_assert_int_eq(parse_maps_line(LIT("1000-2000 r--p 00000000 08:01 42 /x (deleted)"), &m),
	                 0);
	ck_assert(m.deleted); /* indistinguishable here: the scan checks st_nlink */
	/* Kernel-made names and a private mapping. */
	ck_assert_int_eq(
	    parse_maps_line(LIT("1000-2000 rw-s 00000000 00:01 1024 /memfd:x (deleted)"), &m), 0);
	ck_assert(m.deleted && m.shared);
	ck_assert_int_eq(parse_maps_line(LIT("1000-2000 rw-p 00000000 00:00 0   [heap]"), &m), 0);
	ck_assert(!m.deleted);
	/* Large device numbers (major 259, minor 0x1234) and inodes past 32 bits. */
	ck_assert_int_eq(parse_maps_line(LIT("1000-2000 r--p 00000000 103:1234 8589934593 /f"), &m),
	                 0);
	ck_assert_uint_eq(m.dev_major, 0x103);
	ck_assert_uint_eq(m.dev_minor, 0x1234);
	ck_assert_uint_eq(m.ino, 8589934593ull);
	/* Malformed lines are refused. */
	ck_assert_int_eq(parse_maps_line(LIT("garbage"), &m), -EINVAL);
	ck_assert_int_eq(parse_maps_line(LIT("1000-2000 r--p"), &m), -EINVAL);
	ck_assert_int_eq(parse_maps_line(LIT("1000-2000 r--p 0 fe 1 /x"), &m), -EINVAL);
	ck_assert_int_eq(parse_maps_line(LIT("1000 2000 r--p 0 fe:00 1 /x"), &m), -EINVAL);
	ck_assert_int_eq(parse_maps_line(LIT("ffffffffffffffffff-1 r--p 0 fe:00 1 /x"), &m),
	                 -EINVAL);
	/* A newline in a name comes as \012. */
	ck_assert_int_eq(parse_maps_line(LIT("1000-2000 r--p 0 fe:00 1 /a\\012b (deleted)"), &m),
	                 0);
	n = parse_maps_unescape(buf, m.path, m.path_len);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(buf, "/a\nb");
}
END_TEST

START_TEST(maps_long_line)
{
	/* A path near PATH_MAX: nothing is cut or overrun. */
	size_t plen = 4090, len;
	char *line = malloc(plen + 100);
	struct parse_maps m;

	len = (size_t)sprintf(line, "1000-2000 r--s 00000000 fe:00 7 /");
	memset(line + len, 'a', plen);
	len += plen;
	memcpy(line + len, " (deleted)", 10);
	len += 10;
	ck_assert_int_eq(parse_maps_line(line, len, &m), 0);
	ck_assert(m.deleted);
	ck_assert_uint_eq(m.path_len, plen + 1);
	free(line);
}
END_TEST

START_TEST(sysfs)
{
	uint64_t v = 1;

	ck_assert_int_eq(parse_sysfs_u64("0\n", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(parse_sysfs_u64("1048576\n", &v), 0);
	ck_assert_uint_eq(v, 1048576);
	ck_assert_int_eq(parse_sysfs_u64(" 18446744073709551615 \n", &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(parse_sysfs_u64("18446744073709551616\n", &v), -ERANGE);
	ck_assert_int_eq(parse_sysfs_u64("", &v), -EINVAL);
	ck_assert_int_eq(parse_sysfs_u64("\n", &v), -EINVAL);
	ck_assert_int_eq(parse_sysfs_u64("-1\n", &v), -EINVAL);
	ck_assert_int_eq(parse_sysfs_u64("12abc\n", &v), -EINVAL);
	ck_assert_int_eq(parse_sysfs_u64("1 2\n", &v), -EINVAL);
}
END_TEST

START_TEST(pids)
{
	ck_assert_int_eq(parse_pid("1"), 1);
	ck_assert_int_eq(parse_pid("4194304"), 4194304);
	ck_assert_int_eq(parse_pid("self"), -1);
	ck_assert_int_eq(parse_pid("0"), -1);
	ck_assert_int_eq(parse_pid(""), -1);
	ck_assert_int_eq(parse_pid("12a"), -1);
	ck_assert_int_eq(parse_pid("99999999999"), -1);
}
END_TEST

START_TEST(stat_comm)
{
	char comm[16], state = 0;
	const char *odd = "42 (a) b) (c) D 1 42 42 0 -1";
	const char *plain = "7 (crowd) S 6 6 1 0 -1 4194560 97 0 0 0";

	ck_assert_int_eq(parse_stat_comm(plain, strlen(plain), comm, sizeof(comm), &state), 0);
	ck_assert_str_eq(comm, "crowd");
	ck_assert_int_eq(state, 'S');
	/* a name may hold ')' and spaces: it ends at the last ')' */
	ck_assert_int_eq(parse_stat_comm(odd, strlen(odd), comm, sizeof(comm), &state), 0);
	ck_assert_str_eq(comm, "a) b) (c");
	ck_assert_int_eq(state, 'D');
	ck_assert_int_eq(parse_stat_comm("1 () R 0", 8, comm, sizeof(comm), &state), 0);
	ck_assert_str_eq(comm, "");
	ck_assert_int_eq(state, 'R');
	/* cut to the room given, still terminated */
	ck_assert_int_eq(parse_stat_comm(plain, strlen(plain), comm, 4, &state), 0);
	ck_assert_str_eq(comm, "cro");
	/* a read cut short is no answer */
	ck_assert_int_eq(parse_stat_comm("7 (crowd", 8, comm, sizeof(comm), &state), -EINVAL);
	ck_assert_int_eq(parse_stat_comm("7 (crowd) S", 11, comm, sizeof(comm), &state), -EINVAL);
	ck_assert_int_eq(parse_stat_comm("7 crowd S 1", 11, comm, sizeof(comm), &state), -EINVAL);
	ck_assert_int_eq(parse_stat_comm("", 0, comm, sizeof(comm), &state), -EINVAL);
}
END_TEST

START_TEST(stat_numbers)
{
	/* field 20, after a name with ')' and spaces in it; negative fields before */
	const char *odd = "42 (a) b) (c) D 1 42 42 0 -1 4194560 97 0 0 0 5 3 0 0 20 -5 7 0 123";
	const char *one = "7 (crowd) S 6 6 1 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0 9\n";
	uint64_t n = 0;

	ck_assert_int_eq(parse_stat_num(odd, strlen(odd), STAT_THREADS, &n), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(parse_stat_num(odd, strlen(odd), 22, &n), 0);
	ck_assert_uint_eq(n, 123);
	ck_assert_int_eq(parse_stat_num(one, strlen(one), STAT_THREADS, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(parse_stat_num(one, strlen(one), 4, &n), 0);
	ck_assert_uint_eq(n, 6);
	/* a negative field is no unsigned number; the state is no number at all */
	ck_assert_int_eq(parse_stat_num(odd, strlen(odd), 19, &n), -EINVAL);
	ck_assert_int_eq(parse_stat_num(one, strlen(one), 3, &n), -EINVAL);
	/* the line as this test's own process has it: where its arguments lie, which
	 * cmdline reads back */
	{
		char buf[1024], cmd[4096];
		uint64_t start = 0, end = 0;
		FILE *f = fopen("/proc/self/stat", "r");
		size_t got, clen;
		ck_assert_ptr_nonnull(f);
		got = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		ck_assert_int_eq(parse_stat_num(buf, got, STAT_THREADS, &n), 0);
		ck_assert_uint_ge(n, 1);
		ck_assert_int_eq(parse_stat_num(buf, got, STAT_ARG_START, &start), 0);
		ck_assert_int_eq(parse_stat_num(buf, got, STAT_ARG_END, &end), 0);
		f = fopen("/proc/self/cmdline", "r");
		ck_assert_ptr_nonnull(f);
		clen = fread(cmd, 1, sizeof(cmd), f);
		fclose(f);
		ck_assert_uint_gt(start, 0);
		ck_assert_uint_eq(end - start, clen);
	}
	/* cut short, past the end, or not a number where the field goes */
	ck_assert_int_eq(parse_stat_num(one, 40, STAT_THREADS, &n), -EINVAL);
	ck_assert_int_eq(parse_stat_num(one, strlen(one), STAT_ARG_START, &n), -EINVAL);
	ck_assert_int_eq(parse_stat_num("7 (crowd) S", 11, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_stat_num("7 crowd S 1", 11, 4, &n), -EINVAL);
	ck_assert_int_eq(parse_stat_num("", 0, 4, &n), -EINVAL);
	const char *bad = "7 (x) S 6 6 1 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 x1 0 9";
	ck_assert_int_eq(parse_stat_num(bad, strlen(bad), STAT_THREADS, &n), -EINVAL);
	const char *bad2 = "7 (x) S 6 6 1 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1x 0 9";
	ck_assert_int_eq(parse_stat_num(bad2, strlen(bad2), STAT_THREADS, &n), -EINVAL);
}
END_TEST

START_TEST(loadavg_tasks)
{
	uint64_t v = 0;

	ck_assert_int_eq(parse_loadavg_tasks("0.59 0.77 0.72 3/2085 27986\n", &v), 0);
	ck_assert_uint_eq(v, 2085);
	ck_assert_int_eq(parse_loadavg_tasks("12.00 8.50 4.25 17/120000 4194303\n", &v), 0);
	ck_assert_uint_eq(v, 120000);
	/* the running count is not the answer, and a cut or odd line is none */
	ck_assert_int_eq(parse_loadavg_tasks("0.59 0.77 0.72 3/\n", &v), -EINVAL);
	ck_assert_int_eq(parse_loadavg_tasks("0.59 0.77 0.72 3/2085", &v), -EINVAL);
	ck_assert_int_eq(parse_loadavg_tasks("0.59 0.77 0.72 2085 27986\n", &v), -EINVAL);
	ck_assert_int_eq(parse_loadavg_tasks("0.59 0.77\n", &v), -EINVAL);
	ck_assert_int_eq(parse_loadavg_tasks("", &v), -EINVAL);
	ck_assert_int_eq(parse_loadavg_tasks("0.59 0.77 0.72 3/99999999999999999999 1\n", &v),
	                 -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, suffix);
	tcase_add_test(tc, fdinfo_modes);
	tcase_add_test(tc, fdinfo_big_and_odd);
	tcase_add_test(tc, maps_plain);
	tcase_add_test(tc, maps_odd);
	tcase_add_test(tc, maps_long_line);
	tcase_add_test(tc, sysfs);
	tcase_add_test(tc, pids);
	tcase_add_test(tc, loadavg_tasks);
	tcase_add_test(tc, stat_comm);
	tcase_add_test(tc, stat_numbers);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
