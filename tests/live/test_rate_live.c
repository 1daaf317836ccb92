/* Change sampling against real writers: tests/helpers/holder appends or rewrites a
 * deleted file at a known rate, the library discovers it (scan_run) and samples it
 * (rate_sample_all), and the class and rate must be what a user would expect. Then
 * exact cases on files of our own, where every block is sampled and we make the
 * changes ourselves. (Named test_rate_live: tests/unit/test_rate.c already builds
 * to tests/test_rate.) */
#include "find/pin.h"
#include "find/rate.h"
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUDGET (64ull << 20) /* what the CLI gives */
#define TOL    0.35
#define ROUNDS 5

/* DIR/NAME with N random bytes, or a sparse file of N bytes; its stat in ST. */
static void make_file(char *path, size_t len, const char *name, size_t n, bool sparse,
                      struct stat *st)
{
	int fd;

	snprintf(path, len, "%s/%s", tl_dir, name);
	if (sparse) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, (off_t)n), 0);
		close(fd);
	} else {
		free(tl_random_file(path, n));
	}
	ck_assert_int_eq(stat(path, st), 0);
}

/* Discover every held deleted file, keep the entries for the files in ST[0..N), sample
 * them together for SECONDS (as the CLI does, but without sampling other files on
 * this shared machine), and return their results in OUT (same order as ST). */
static void sample(const struct stat *st, size_t n, double seconds, struct rate_result *out)
{
	struct scan_result r, mine = {0};
	struct entry sub[8];

	ck_assert_uint_le(n, 8);
	tl_scan(&r);
	for (size_t j = 0; j < n; j++) {
		const struct entry *e = tl_find_dev(&r, st[j].st_dev, st[j].st_ino);
		ck_assert_int_ge(e->pin.fd, 0);
		sub[j] = *e; /* shallow: pins and strings stay r's */
	}
	mine.v = sub;
	mine.n = n;
	ck_assert_int_eq(rate_sample_all(&mine, seconds, BUDGET), 0);
	for (size_t j = 0; j < n; j++)
		out[j] = sub[j].change;
	scan_free(&r);
}

static void show(const char *what, const struct rate_result *c)
{
	printf("%s: %s rate %.0f B/s growth %.0f B/s over %.3f s, %u of %u blocks changed, "
	       "%llu bytes read%s\n",
	       what, rate_class_name(c->cls), c->rate_bps, c->growth_bps, c->seconds, c->changed,
	       c->k, (unsigned long long)c->bytes_read, c->truncated ? ", truncated" : "");
}

static void ck_within(double got, double want, double tol, const char *what)
{
	ck_assert_msg(fabs(got - want) <= tol * want, "%s: %.0f, want %.0f ±%.0f%%", what, got,
	              want, tol * 100);
}

/* An appender at 1 MB/s: append, at the rate it writes, and nothing inside. */
START_TEST(appender_is_append)
{
	struct tl_holder h;
	char path[256], spec[300];
	struct stat st;
	struct rate_result c;

	make_file(path, sizeof(path), "log", 100000, false, &st); /* a partial last block */
	snprintf(spec, sizeof(spec), "aw:%s:1000000", path);
	tl_holder_start(&h, spec, NULL);
	sample(&st, 1, 1.0, &c);
	show("appender 1 MB/s", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "append");
	ck_within(c.growth_bps, 1e6, TOL, "growth");
	ck_assert_uint_eq(c.changed, 0);
	ck_assert(c.rate_bps == 0);
	ck_assert(!c.truncated);
	ck_assert_uint_gt(c.k, 0);
	ck_assert(c.seconds >= 1.0 && c.seconds < 1.5);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* 4 KiB blocks rewritten at random places in a 64 MiB file at 2 MB/s: random, and
 * the estimated rate close to the rate the writer really has. Only about 30 of the
 * 1024 sampled blocks change in a second (binomial), so one round is off by 18%
 * (one standard deviation) and beyond 35% in 1 round of 20; the median of 5 rounds
 * is beyond 35% about once in 2700 runs (the median of 3: once in 250). */
START_TEST(random_writer_rate)
{
	struct tl_holder h;
	const double w = 2e6 / RATE_BLOCK, n = (64 << 20) / RATE_BLOCK;
	char path[256], spec[300];
	struct stat st;
	double est[ROUNDS], want[ROUNDS], dist[ROUNDS];

	make_file(path, sizeof(path), "disk.img", 64 << 20, true, &st);
	snprintf(spec, sizeof(spec), "rr:%s:2000000", path);
	tl_holder_start(&h, spec, NULL);
	for (int round = 0; round < ROUNDS; round++) {
		struct rate_result c;
		double d;
		sample(&st, 1, 1.0, &c);
		show("random writer 2 MB/s", &c);
		ck_assert_str_eq(rate_class_name(c.cls), "random");
		ck_assert_uint_eq(c.k, RATE_K_DEFAULT);
		ck_assert(c.growth_bps == 0);
		/* Distinct blocks rewritten in Δ: some writes hit a block twice. The
		 * estimator inverts exactly that, so on average it should give back
		 * -n·ln(1 - d/n) blocks, i.e. the writer's own rate (a hair above). */
		d = n * (1 - pow(1 - 1 / n, w * c.seconds));
		dist[round] = d * RATE_BLOCK / c.seconds;
		want[round] = -n * log1p(-d / n) * RATE_BLOCK / c.seconds;
		est[round] = c.rate_bps;
		printf("  estimate %.0f B/s, expected %.0f B/s (distinct blocks: %.0f B/s), "
		       "error %+.1f%%\n",
		       est[round], want[round], dist[round], (est[round] / want[round] - 1) * 100);
	}
	qsort(est, ROUNDS, sizeof(est[0]), cmp_double);
	qsort(want, ROUNDS, sizeof(want[0]), cmp_double);
	ck_within(est[ROUNDS / 2], want[ROUNDS / 2], TOL, "median estimated rewrite rate");
}
END_TEST

/* Held read-only: nothing can write it, so it is static and nothing is read. */
START_TEST(read_only_is_static)
{
	struct tl_holder h;
	char path[256], spec[300];
	struct stat st;
	struct rate_result c;

	make_file(path, sizeof(path), "ro", 1 << 20, false, &st);
	snprintf(spec, sizeof(spec), "r:%s", path);
	tl_holder_start(&h, spec, NULL);
	sample(&st, 1, 1.0, &c);
	show("read-only", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "static");
	ck_assert_uint_eq(c.bytes_read, 0);
	ck_assert(c.rate_bps == 0 && c.growth_bps == 0);
}
END_TEST

/* Held read-write by a process that does nothing: quiet, after reading the sample
 * twice (the file has fewer blocks than K, so all of them). Without sampling time a
 * writer is unknown, never quiet. */
START_TEST(idle_writer_is_quiet)
{
	struct tl_holder h;
	char path[256], spec[300];
	struct stat st[2];
	struct rate_result c[2];

	make_file(path, sizeof(path), "idle", 1 << 20, false, &st[0]);
	snprintf(spec, sizeof(spec), "rw:%s", path);
	tl_holder_start(&h, spec, NULL);
	sample(st, 1, 1.0, c);
	show("idle writer", &c[0]);
	ck_assert_str_eq(rate_class_name(c[0].cls), "quiet");
	ck_assert_uint_eq(c[0].k, 256);
	ck_assert_uint_eq(c[0].changed, 0);
	ck_assert_uint_eq(c[0].bytes_read, 2u << 20);
	sample(st, 1, 0, c);
	ck_assert_str_eq(rate_class_name(c[0].cls), "unknown");
	ck_assert_uint_eq(c[0].bytes_read, 0);
}
END_TEST

/* Our own file as a pin: the exact cases, without waiting. */
static int own_pin(const char *path, struct pin *p)
{
	int wfd = open(path, O_RDWR);

	ck_assert_int_ge(wfd, 0);
	*p = (struct pin){.fd = open(path, O_RDONLY), .kind = PIN_FD};
	ck_assert_int_ge(p->fd, 0);
	return wfd;
}

/* Invert N bytes at OFF: they surely differ afterwards (random bytes could repeat). */
static void flip(int fd, off_t off, size_t n)
{
	unsigned char b[RATE_BLOCK];

	ck_assert_uint_le(n, sizeof(b));
	ck_assert_int_eq(pread(fd, b, n, off), (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		b[i] ^= 0xff;
	ck_assert_int_eq(pwrite(fd, b, n, off), (ssize_t)n);
}

/* Append N bytes. */
static void grow(int fd, off_t off, size_t n)
{
	unsigned char b[RATE_BLOCK];

	ck_assert_uint_le(n, sizeof(b));
	tl_random_bytes(b, n);
	ck_assert_int_eq(pwrite(fd, b, n, off), (ssize_t)n);
}

/* Every block sampled: the changed count is exact and the rate is that many blocks
 * over the time measured. A rewrite of the partial last block is no interior change;
 * neither is an append. */
START_TEST(exact_when_all_blocks_sampled)
{
	char path[256];
	struct stat st;
	struct rate_sample *s;
	struct rate_result c;
	struct pin p;
	int wfd;

	make_file(path, sizeof(path), "small", 40 * RATE_BLOCK + 100, false, &st);
	wfd = own_pin(path, &p);
	ck_assert_int_eq(rate_begin(&p, RATE_K_DEFAULT, 1, &s), 0);
	flip(wfd, 3 * RATE_BLOCK, RATE_BLOCK);
	flip(wfd, 17 * RATE_BLOCK + 10, 1);
	flip(wfd, 39 * RATE_BLOCK + 4000, 150); /* ends in the partial block */
	flip(wfd, 40 * RATE_BLOCK, 100);        /* the partial block alone */
	usleep(100000);
	ck_assert_int_eq(rate_end(s, true, &c), 0);
	rate_free(s);
	show("3 of 40 blocks", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "random");
	ck_assert_uint_eq(c.k, 40);
	ck_assert_uint_eq(c.changed, 3);
	ck_assert(fabs(c.rate_bps - 3.0 * RATE_BLOCK / c.seconds) < 1e-6);
	ck_assert(c.seconds >= 0.1 && c.seconds < 1);
	ck_assert_uint_eq(c.bytes_read, 2 * (40 * RATE_BLOCK + 100) - 100); /* tail once */

	/* Growth with a rewrite of the old partial tail: append, not random. */
	ck_assert_int_eq(rate_begin(&p, RATE_K_DEFAULT, 1, &s), 0);
	flip(wfd, 40 * RATE_BLOCK, 100);
	grow(wfd, 40 * RATE_BLOCK + 100, RATE_BLOCK);
	ck_assert_int_eq(rate_end(s, true, &c), 0);
	rate_free(s);
	show("append over the partial tail", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "append");
	ck_assert_uint_eq(c.changed, 0);
	ck_assert(c.growth_bps > 0);
	close(wfd);
	pin_release(&p);
}
END_TEST

/* Truncation: random, negative growth, and only what is left is compared. */
START_TEST(truncation)
{
	char path[256];
	struct stat st;
	struct rate_sample *s;
	struct rate_result c;
	struct pin p;
	int wfd;

	make_file(path, sizeof(path), "shrinks", 64 * RATE_BLOCK, false, &st);
	wfd = own_pin(path, &p);
	ck_assert_int_eq(rate_begin(&p, RATE_K_DEFAULT, 1, &s), 0);
	ck_assert_int_eq(ftruncate(wfd, 30 * RATE_BLOCK + 100), 0);
	ck_assert_int_eq(rate_end(s, true, &c), 0);
	rate_free(s);
	show("truncated", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "random");
	ck_assert(c.truncated);
	ck_assert_uint_eq(c.k, 30);
	ck_assert_uint_eq(c.changed, 0);
	ck_assert(c.growth_bps < 0);
	close(wfd);
	pin_release(&p);
}
END_TEST

/* A write that changes no sampled bytes still moves mtime: random, rate 0 ("too slow
 * to measure"), never quiet. No writer: static whatever happened. */
START_TEST(mtime_only_and_no_writer)
{
	char path[256];
	struct stat st;
	struct rate_sample *s;
	struct rate_result c;
	struct pin p;
	unsigned char b[100];
	int wfd;

	make_file(path, sizeof(path), "touched", 8 * RATE_BLOCK, false, &st);
	wfd = own_pin(path, &p);
	ck_assert_int_eq(rate_begin(&p, RATE_K_DEFAULT, 1, &s), 0);
	usleep(50000); /* past the filesystem's timestamp granularity */
	ck_assert_int_eq(pread(wfd, b, sizeof(b), 5000), (ssize_t)sizeof(b));
	ck_assert_int_eq(pwrite(wfd, b, sizeof(b), 5000), (ssize_t)sizeof(b));
	ck_assert_int_eq(rate_end(s, true, &c), 0);
	rate_free(s);
	show("same bytes written back", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "random");
	ck_assert_uint_eq(c.changed, 0);
	ck_assert(c.rate_bps == 0 && c.growth_bps == 0);

	ck_assert_int_eq(rate_begin(&p, RATE_K_DEFAULT, 1, &s), 0);
	flip(wfd, 0, 10);
	ck_assert_int_eq(rate_end(s, false, &c), 0);
	rate_free(s);
	ck_assert_str_eq(rate_class_name(c.cls), "static");
	close(wfd);
	pin_release(&p);
}
END_TEST

/* A deleted image on tmpfs behind a loop device with a mounted filesystem: only the
 * device can be pinned, and the filesystem's writes bypass the device's page cache.
 * Rewriting a file inside must still show as interior change. */
START_TEST(loopdev_pin_sees_mounted_writes)
{
	struct scan_result r;
	const struct entry *e;
	struct rate_sample *s;
	struct rate_result c;
	struct stat st;
	char tmp[200], fs[200], img[256], data[256];
	int fd;
	unsigned char *b;

	tl_need_root(); /* map_files, handles, loop devices and mounts */
	snprintf(tmp, sizeof(tmp), "%s/tmp", tl_dir);
	snprintf(fs, sizeof(fs), "%s/fs", tl_dir);
	snprintf(img, sizeof(img), "%s/disk.img", tmp);
	tl_make_fs("tmpfs", "40m", NULL, tmp);
	tl_make_fs("ext4", "32M", img, fs);
	ck_assert_int_eq(stat(img, &st), 0);
	tl_sh("rm %s", img);
	snprintf(data, sizeof(data), "%s/data", fs);
	b = malloc(4 << 20);
	ck_assert_ptr_nonnull(b);
	tl_random_bytes(b, 4 << 20);
	fd = open(data, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, 4 << 20), 4 << 20);
	ck_assert_int_eq(fsync(fd), 0);

	tl_scan(&r);
	e = tl_find_dev(&r, st.st_dev, st.st_ino);
	ck_assert_int_eq(e->pin.kind, PIN_LOOPDEV);
	ck_assert(scan_entry_writable(e));
	/* 8192 blocks of 4 KiB, 1024 sampled; rewriting 4 MiB of data is a 1/8th of
	 * them, so about 128 sampled blocks change. */
	ck_assert_int_eq(rate_begin(&e->pin, RATE_K_DEFAULT, 7, &s), 0);
	tl_random_bytes(b, 4 << 20);
	ck_assert_int_eq(pwrite(fd, b, 4 << 20, 0), 4 << 20);
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(rate_end(s, true, &c), 0);
	rate_free(s);
	show("loop device, mounted filesystem rewritten", &c);
	ck_assert_str_eq(rate_class_name(c.cls), "random");
	ck_assert_uint_eq(c.k, RATE_K_DEFAULT);
	ck_assert_uint_gt(c.changed, 64);
	ck_assert_uint_lt(c.changed, 200);
	close(fd);
	free(b);
	scan_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rate");
	TCase *tc = tcase_create("live");

	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, appender_is_append);
	tcase_add_test(tc, random_writer_rate);
	tcase_add_test(tc, read_only_is_static);
	tcase_add_test(tc, idle_writer_is_quiet);
	tcase_add_test(tc, exact_when_all_blocks_sampled);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, mtime_only_and_no_writer);
	tcase_add_test(tc, loopdev_pin_sees_mounted_writes);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
