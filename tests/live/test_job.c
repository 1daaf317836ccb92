/* The recovery engines against real held deleted files: tests/helpers/holder makes
 * them, scan_run() finds and pins them, a job rescues them, and every test compares
 * the result with what was written (bytes or content hashes, see rescue/chash.h), on /tmp (ext4
 * here) and on btrfs, xfs, ext4 and tmpfs filesystems of our own.
 *
 * copy: 64 MiB static, 4 GiB sparse (reads and allocates only the data), a stream,
 * a mapping-only file, sizes 0/1/4097 with every copying method. follow: an appender
 * to its end, copytruncate rotations (seen at once, and only after the new content
 * outgrew the old), stop by request, resume after SIGKILL. sync: convergence under
 * random writes, --freeze (the result is the source as frozen, the writer runs
 * again), a growing file, cancel and SIGKILL with resume. reflink on btrfs and xfs
 * (instant, no space, -EXDEV elsewhere, -EOPNOTSUPP on ext4), with sync passes and a
 * frozen pass. relink of an O_TMPFILE (live through the new name), refused
 * otherwise. loop: ext4 (whole file) and xfs (device only, with and without an
 * offset, the rest reported exactly), FREEZE_FS (e2fsck clean, thawed, also by the
 * guardian after SIGKILL). faults: ENOSPC, EIO under the source and under the
 * target (ext4 shutdown), holders killed, target directory removed, --freeze jobs
 * killed by SIGKILL and SIGTERM (the writer runs again), refusals (pid 1, our
 * ancestors, a foreign .partial). */
#include "rescue/job.h"
#include "base/util.h"
#include "find/parse.h"
#include "find/pin.h"
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define MiB (1ull << 20)

static double g_t0;
/* Where make_fs() mounted last: loop_xfs goes on on the same filesystem. */
static char g_mnt_last[200];

static double now_s(void);

static void setup(void)
{
	g_t0 = now_s();
	tl_setup();
}

static void teardown(void)
{
	tl_teardown();
	fprintf(stderr, "test took %.1f s\n", now_s() - g_t0);
}

/* Mount a fresh FSTYPE filesystem of SIZE from an image in the test's directory at
 * DIR/NAME. */
static void make_fs(const char *fstype, const char *size, const char *name, char *mnt, size_t len)
{
	char img[256];

	snprintf(mnt, len, "%s/%s", tl_dir, name);
	snprintf(img, sizeof(img), "%s/%s.img", tl_dir, name);
	snprintf(g_mnt_last, sizeof(g_mnt_last), "%s", mnt);
	tl_make_fs(fstype, size, img, mnt);
}

/* ---- content ---- */

struct h128 {
	unsigned char b[16];
};

/* The job's content hash (rescue/chash.h), computed here the plain way from every
 * byte read: 64 KiB blocks counted from the start, each one that is not all zeros
 * hashed (XXH3-128) behind its index (8 bytes, little-endian), then the length. */
struct ref_hash {
	XXH3_state_t *s;
	unsigned char *blk;
	size_t fill;
	uint64_t len;
};

static void ref_block(struct ref_hash *r)
{
	unsigned char le[8];
	uint64_t idx = (r->len - r->fill) / 65536;
	bool zero = true;

	for (size_t i = 0; i < r->fill && zero; i++)
		zero = r->blk[i] == 0;
	if (!zero) {
		for (int i = 0; i < 8; i++)
			le[i] = (unsigned char)(idx >> (8 * i));
		XXH3_128bits_update(r->s, le, 8);
		XXH3_128bits_update(r->s, r->blk, r->fill);
	}
	r->fill = 0;
}

static void ref_begin(struct ref_hash *r)
{
	r->s = XXH3_createState();
	r->blk = malloc(65536);
	ck_assert(r->s && r->blk);
	XXH3_128bits_reset(r->s);
	r->fill = 0;
	r->len = 0;
}

static void ref_feed(struct ref_hash *r, const unsigned char *p, size_t n)
{
	while (n) {
		size_t k = 65536 - r->fill < n ? 65536 - r->fill : n;
		memcpy(r->blk + r->fill, p, k);
		r->fill += k;
		r->len += k;
		p += k;
		n -= k;
		if (r->fill == 65536)
			ref_block(r);
	}
}

static struct h128 ref_end(struct ref_hash *r)
{
	XXH128_canonical_t c;
	unsigned char le[8];
	struct h128 out;

	if (r->fill)
		ref_block(r);
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(r->len >> (8 * i));
	XXH3_128bits_update(r->s, le, 8);
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(r->s));
	memcpy(out.b, c.digest, 16);
	XXH3_freeState(r->s);
	free(r->blk);
	return out;
}

/* The content hash of FD's first N bytes (reading stops early at its end). */
static struct h128 hash_fd(int fd, uint64_t n)
{
	unsigned char *b = malloc(MiB);
	struct ref_hash rh;
	uint64_t off = 0;

	ck_assert(b);
	ref_begin(&rh);
	while (off < n) {
		ssize_t r = pread(fd, b, n - off < MiB ? (size_t)(n - off) : MiB, (off_t)off);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		ref_feed(&rh, b, (size_t)r);
		off += (uint64_t)r;
	}
	free(b);
	return ref_end(&rh);
}

/* The same through O_DIRECT: holes come back as zeros without the kernel zeroing
 * page cache for each (seconds per GiB here). */
static struct h128 hash_path_direct(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECT);
	struct ref_hash rh;
	uint64_t off = 0;
	void *b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(posix_memalign(&b, 4096, MiB), 0);
	ref_begin(&rh);
	for (;;) {
		ssize_t r = pread(fd, b, MiB, (off_t)off);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		ref_feed(&rh, b, (size_t)r);
		off += (uint64_t)r;
	}
	free(b);
	close(fd);
	return ref_end(&rh);
}

static struct h128 hash_path(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	struct h128 h;

	ck_assert_msg(fd >= 0, "cannot open %s", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	h = hash_fd(fd, (uint64_t)st.st_size);
	close(fd);
	return h;
}

/* The pinned source as it is now, in full. */
static struct h128 hash_pin(const struct pin *p, uint64_t *size)
{
	struct stat st;

	ck_assert_int_eq(fstat(p->fd, &st), 0);
	if (size)
		*size = (uint64_t)st.st_size;
	return hash_fd(p->fd, (uint64_t)st.st_size);
}

static bool heq(struct h128 a, const unsigned char *b)
{
	return memcmp(a.b, b, 16) == 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- holders ---- */

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p, st = '?';
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %c", &st);
	fclose(f);
	return st;
}

/* Wait up to MS milliseconds for PID to leave (or reach, WANT_T) the stopped state. */
static bool wait_state(pid_t pid, bool want_t, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		char s = proc_state(pid);
		if ((s == 'T') == want_t)
			return true;
		usleep(10000);
	}
	return false;
}

/* tl_wait_for(): has the file behind FD been written since WAS? */
struct mtime_watch {
	int fd;
	struct timespec was;
};

static bool mtime_moved(void *arg)
{
	const struct mtime_watch *w = arg;
	struct stat st;

	return fstat(w->fd, &st) == 0 &&
	       (st.st_mtim.tv_sec != w->was.tv_sec || st.st_mtim.tv_nsec != w->was.tv_nsec);
}

/* The one entry of inode INO, pinned. */
/* Make PATH with SIZE bytes of the stream of SEED (its hash in *WANT unless NULL),
 * start a holder with the spec TYPE + PATH + REST (as "rr:" PATH ":2000000"), which
 * deletes it; returns the file's inode. */
static ino_t hold_seeded(struct tl_holder *h, const char *path, uint64_t size, uint64_t seed,
                         const char *type, const char *rest, struct h128 *want)
{
	char spec[4200];
	ino_t ino;

	tl_seeded_file(path, size, seed);
	if (want)
		*want = hash_path(path);
	ino = tl_ino(path);
	snprintf(spec, sizeof(spec), "%s%s%s", type, path, rest);
	tl_holder_start(h, spec, NULL);
	return ino;
}

static const struct entry *find(const struct scan_result *r, ino_t ino)
{
	const struct entry *hit = tl_find(r, ino);

	ck_assert_int_ge(hit->pin.fd, 0);
	return hit;
}

static struct job_spec spec_for(const struct entry *e, enum rec_method m, const char *dest)
{
	return (struct job_spec){.method = m,
	                         .src = &e->pin,
	                         .dev = e->dev,
	                         .ino = e->ino,
	                         .src_name = e->path,
	                         .dest = dest,
	                         .stream_fd = -1,
	                         .src_static = !scan_entry_writable(e)};
}

struct outcome {
	int rc;
	struct job_result res; /* res.frozen is the job's: read FROZEN0 instead */
	struct job_progress prog;
	double seconds;
	pid_t frozen0; /* the first writer resumed, 0 for none */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Run a started job to its end. */
static struct outcome finish(struct job *j, double t0)
{
	struct outcome o;

	do
		o.rc = job_step(j, 200);
	while (o.rc > 0);
	o.res = *job_result(j);
	o.frozen0 = o.res.nfrozen ? o.res.frozen[0] : 0;
	o.res.frozen = NULL;
	job_progress(j, &o.prog);
	o.seconds = now_s() - t0;
	job_free(j);
	fprintf(stderr, "job: rc %d in %.2f s, read %llu, wrote %llu, passes %u (last %llu), %s\n",
	        o.rc, o.seconds, (unsigned long long)o.res.bytes_read,
	        (unsigned long long)o.res.bytes_written, o.res.passes,
	        (unsigned long long)o.res.last_pass_changed, o.prog.message);
	return o;
}

static struct outcome run(const struct job_spec *s)
{
	double t0 = now_s();
	struct job *j;
	int r = job_start(s, &j);

	ck_assert_msg(r == 0, "job_start: %s", strerror(-r));
	return finish(j, t0);
}

/* ---- copy ---- */

START_TEST(copy_static)
{
	char path[160], dest[160], p2[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	struct stat st;
	struct job *j;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/static.bin", tl_dir);
	snprintf(dest, sizeof(dest), "%s/out.bin", tl_dir);
	ino = hold_seeded(&h, path, 64 * MiB, 1, "r:", "", &want);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert(!o.res.source_changed);
	ck_assert_uint_eq(o.res.size, 64 * MiB);
	ck_assert_uint_eq(o.res.bytes_read, 64 * MiB);
	ck_assert_int_eq(o.prog.state, JOB_DONE);
	ck_assert_str_eq(o.res.final_path, dest);
	/* our own hash of what was written, the job's of source and result */
	ck_assert(heq(want, o.res.src_hash) && heq(want, o.res.dst_hash));
	ck_assert(heq(want, hash_path(dest).b));
	ck_assert_int_eq(stat(dest, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(p2, sizeof(p2), "%s.partial", dest);
	ck_assert(!exists(p2));
	snprintf(p2, sizeof(p2), "%s.partial.journal", dest);
	ck_assert(!exists(p2));
	/* never overwrite */
	ck_assert_int_eq(job_start(&s, &j), -EEXIST);
	scan_free(&r);
}
END_TEST

/* A source nobody could write has its hash taken while copying, not read twice; a
 * writer that appears anyway (here: the file reopened for writing through /proc) is
 * caught by the mtime, and then the source is read again and the change reported. */
START_TEST(copy_static_changed)
{
	char path[160], dest[160], p2[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct job *j;
	unsigned char block[4096];
	double t0 = now_s();
	int fd;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/static.bin", tl_dir);
	snprintf(dest, sizeof(dest), "%s/out.bin", tl_dir);
	ino = hold_seeded(&h, path, 16 * MiB, 3, "r:", "", NULL);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	ck_assert(s.src_static);
	s.max_rate = 8 * MiB; /* two seconds: time to write behind the copy */
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert_int_eq(job_step(j, 300), 1);
	ck_assert_uint_gt(job_result(j)->bytes_read, 4096);
	snprintf(p2, sizeof(p2), "/proc/%d/fd/%d", (int)h.pids[0], h.fds[0]);
	fd = open(p2, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	memset(block, 0xee, sizeof(block));
	ck_assert_int_eq(pwrite(fd, block, sizeof(block), 0), (ssize_t)sizeof(block));
	close(fd);
	o = finish(j, t0);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.source_changed);
	ck_assert(!o.res.verified);
	scan_free(&r);
}
END_TEST

START_TEST(copy_sparse)
{
	const uint64_t size = 4096 * MiB;
	const uint64_t at[3] = {0, 2048 * MiB, size - MiB};
	char path[160], dest[160], p2[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	struct stat ss, ds;
	ino_t ino;
	int fd;

	snprintf(path, sizeof(path), "%s/sparse.img", tl_dir);
	snprintf(dest, sizeof(dest), "%s/sparse.out", tl_dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	for (int i = 0; i < 3; i++)
		tl_seeded_write(fd, at[i], MiB, 10 + (uint64_t)i);
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(fstat(fd, &ss), 0);
	close(fd);
	want = hash_path_direct(path);
	ino = tl_ino(path);
	snprintf(p2, sizeof(p2), "r:%s", path);
	tl_holder_start(&h, p2, NULL);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert(heq(want, o.res.dst_hash));
	ck_assert(heq(want, hash_path_direct(dest).b));
	/* only the data was read and written, and the result is as sparse */
	ck_assert_uint_eq(o.res.bytes_read, 3 * MiB);
	ck_assert_uint_eq(o.res.bytes_written, 3 * MiB);
	ck_assert_int_eq(stat(dest, &ds), 0);
	ck_assert_uint_eq((uint64_t)ds.st_size, size);
	ck_assert_msg((uint64_t)ds.st_blocks * 512 <= (uint64_t)ss.st_blocks * 512 + MiB,
	              "result allocates %llu bytes, source %llu",
	              (unsigned long long)ds.st_blocks * 512,
	              (unsigned long long)ss.st_blocks * 512);
	ck_assert_uint_ge((uint64_t)ds.st_blocks * 512, 3 * MiB);
	scan_free(&r);
}
END_TEST

/* Where SEEK_DATA from OFF lands in PATH (the size when only a hole follows). */
static uint64_t data_from(const char *path, uint64_t off)
{
	int fd = open(path, O_RDONLY);
	off_t d;
	struct stat st;

	ck_assert_int_ge(fd, 0);
	d = lseek(fd, (off_t)off, SEEK_DATA);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	return d < 0 ? (uint64_t)st.st_size : (uint64_t)d;
}

/* A hole on one side is zeros written on the other, both ways, and the result is
 * still verified: between sync's pass 1 and pass 2 the source's hole at [1, 6) MiB
 * gets zeros written (the result keeps its hole) and its written zeros at [6, 9) MiB
 * are punched out (the result keeps them as data). Nothing changed in content, so
 * pass 2 rewrites nothing and the check must find both files equal. */
START_TEST(sync_holes_both_ways)
{
	const uint64_t size = 16 * MiB;
	char path[160], dest[160], p2[200];
	struct tl_holder h;
	struct scan_result r;
	struct job_progress p;
	struct outcome o;
	struct h128 want;
	unsigned char *zeros = calloc(1, 5 * MiB);
	struct job *j;
	double t0 = now_s();
	ino_t ino;
	int fd;

	ck_assert(zeros);
	snprintf(path, sizeof(path), "%s/holes.img", tl_dir);
	snprintf(dest, sizeof(dest), "%s/holes.out", tl_dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	tl_seeded_write(fd, 0, MiB, 31);
	ck_assert_int_eq(pwrite(fd, zeros, 3 * MiB, 6 * MiB), (ssize_t)(3 * MiB));
	tl_seeded_write(fd, 9 * MiB, MiB, 32);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	want = hash_path_direct(path);
	ck_assert_uint_eq(data_from(path, MiB), 6 * MiB); /* [1, 6) MiB: a hole */
	ino = tl_ino(path);
	snprintf(p2, sizeof(p2), "r:%s", path);
	tl_holder_start(&h, p2, NULL);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_SYNC, dest);
	s.max_rate = 4 * MiB; /* pass 2 must not be over before the source is changed */
	ck_assert_int_eq(job_start(&s, &j), 0);
	do {
		ck_assert_int_eq(job_step(j, 20), 1);
		job_progress(j, &p);
	} while (p.pass < 2);
	snprintf(p2, sizeof(p2), "/proc/%d/fd/%d", (int)h.pids[0], h.fds[0]);
	fd = open(p2, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, zeros, 5 * MiB, MiB), (ssize_t)(5 * MiB));
	ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(6 * MiB),
	                           (off_t)(3 * MiB)),
	                 0);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
	o = finish(j, t0);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert(heq(want, o.res.src_hash) && heq(want, o.res.dst_hash));
	ck_assert(heq(want, hash_path_direct(dest).b));
	ck_assert(heq(want, hash_path_direct(p2).b)); /* the source, after the change */
	/* the layouts really differ: data against a hole on both sides */
	ck_assert_uint_eq(data_from(p2, MiB), MiB);
	ck_assert_uint_eq(data_from(dest, MiB), 6 * MiB);
	ck_assert_uint_eq(data_from(p2, 6 * MiB), 9 * MiB);
	ck_assert_uint_eq(data_from(dest, 6 * MiB), 6 * MiB);
	free(zeros);
	scan_free(&r);
}
END_TEST

/* stream_fd: everything in order, holes as zeros, hashed on the way */
START_TEST(copy_stream)
{
	char path[160], dest[160], p2[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	ino_t ino;
	int fd, out;

	snprintf(path, sizeof(path), "%s/holey", tl_dir);
	snprintf(dest, sizeof(dest), "%s/streamed", tl_dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(16 * MiB + 5)), 0);
	tl_seeded_write(fd, 3 * MiB, MiB + 100, 7);
	tl_seeded_write(fd, 16 * MiB, 5, 8);
	want = hash_fd(fd, 16 * MiB + 5);
	close(fd);
	ino = tl_ino(path);
	snprintf(p2, sizeof(p2), "r:%s", path);
	tl_holder_start(&h, p2, NULL);
	tl_scan(&r);
	out = open(dest, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(out, 0);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, NULL);
	s.stream_fd = out;
	o = run(&s);
	close(out);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert(heq(want, o.res.src_hash) && heq(want, o.res.dst_hash));
	ck_assert(heq(want, hash_path(dest).b));
	ck_assert_uint_eq(o.res.bytes_written, 16 * MiB + 5);
	/* a reader that goes away: an error, not the death of the program */
	{
		int pp[2];
		ck_assert_int_eq(pipe(pp), 0);
		close(pp[0]);
		s.stream_fd = pp[1];
		o = run(&s);
		close(pp[1]);
		ck_assert_int_eq(o.rc, -EPIPE);
		ck_assert_msg(strstr(o.prog.message, "went away"), "message: %s", o.prog.message);
	}
	/* a stream is for copy only */
	s.method = REC_SYNC;
	struct job *j;
	ck_assert_int_eq(job_start(&s, &j), -EINVAL);
	scan_free(&r);
}
END_TEST

/* ---- follow ---- */

START_TEST(follow_append)
{
	char path[160], dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct outcome o;
	struct h128 want;
	uint64_t size;
	struct job *j;
	double t0;
	ino_t ino;
	int rc;

	snprintf(path, sizeof(path), "%s/app.log", tl_dir);
	snprintf(dest, sizeof(dest), "%s/app.copy", tl_dir);
	ino = hold_seeded(&h, path, 256 * 1024, 3, "aw:", ":1000000", NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_FOLLOW, dest);
	s.writers = w;
	s.nwriters = job_writers_of(e, w, 4);
	ck_assert_uint_eq(s.nwriters, 1);
	t0 = now_s();
	ck_assert_int_eq(job_start(&s, &j), 0);
	while ((rc = job_step(j, 100)) > 0 && now_s() - t0 < 3)
		;
	ck_assert_int_eq(rc, 1); /* still following while the writer writes */
	tl_holder_stop(&h, SIGTERM);
	o = finish(j, now_s());
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	/* Ends by itself: a hang, not a speed (a loaded machine may take a while). */
	ck_assert_msg(o.seconds < 30, "took %.1f s to notice the writer is gone", o.seconds);
	want = hash_pin(&e->pin, &size);
	ck_assert_uint_gt(size, 256 * 1024 + 2 * 1000000);
	ck_assert(o.res.verified);
	ck_assert_uint_eq(o.res.truncations, 0);
	ck_assert_uint_eq(o.res.size, size);
	ck_assert(heq(want, hash_path(dest).b));
	ck_assert_ptr_nonnull(strstr(o.prog.message, "verified"));
	scan_free(&r);
}
END_TEST

/* Step J until its result holds N bytes (follow's progress counts them). */
static void follow_to(struct job *j, uint64_t n)
{
	struct job_progress p;
	double t0 = now_s();

	do {
		ck_assert_int_eq(job_step(j, 50), 1);
		job_progress(j, &p);
	} while (p.done < n && now_s() - t0 < 10);
	ck_assert_uint_eq(p.done, n);
}

/* copytruncate-style rotation: truncated to 0 and written again, once seen at once,
 * once only after the new content outgrew what was copied. */
START_TEST(follow_truncate)
{
	char path[160], dest[160], spec[200], fdp[64];
	unsigned char *a = malloc(MiB), *b = malloc(MiB / 2), *c = malloc(2 * MiB), *got;
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct outcome o;
	uint64_t seed = 42;
	struct job *j;
	ino_t ino;
	int fd, wfd;

	ck_assert(a && b && c);
	tl_seeded_bytes(a, MiB, &seed);
	tl_seeded_bytes(b, MiB / 2, &seed);
	tl_seeded_bytes(c, 2 * MiB, &seed);
	snprintf(path, sizeof(path), "%s/rot.log", tl_dir);
	snprintf(dest, sizeof(dest), "%s/rot.copy", tl_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, a, MiB), (ssize_t)MiB);
	close(fd);
	ino = tl_ino(path);
	snprintf(spec, sizeof(spec), "w:%s", path);
	tl_holder_start(&h, spec, NULL);
	/* we write through our own open of the holder's file */
	snprintf(fdp, sizeof(fdp), "/proc/%d/fd/%d", h.pids[0], h.fds[0]);
	wfd = open(fdp, O_WRONLY);
	ck_assert_int_ge(wfd, 0);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_FOLLOW, dest);
	s.writers = w;
	s.nwriters = job_writers_of(e, w, 4);
	ck_assert_int_eq(job_start(&s, &j), 0);
	follow_to(j, MiB);
	ck_assert_int_eq(ftruncate(wfd, 0), 0);
	ck_assert_int_eq(pwrite(wfd, b, MiB / 2, 0), (ssize_t)(MiB / 2));
	follow_to(j, MiB + MiB / 2);
	ck_assert_int_eq(ftruncate(wfd, 0), 0);
	ck_assert_int_eq(pwrite(wfd, c, 2 * MiB, 0), (ssize_t)(2 * MiB));
	follow_to(j, MiB + MiB / 2 + 2 * MiB);
	close(wfd);
	tl_holder_stop(&h, SIGKILL);
	o = finish(j, now_s());
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert_uint_eq(o.res.truncations, 2);
	ck_assert_uint_eq(o.res.tail_start, MiB + MiB / 2);
	ck_assert_msg(strstr(o.prog.message, "truncated") != NULL, "message: %s", o.prog.message);
	ck_assert_uint_eq(o.res.size, 3 * MiB + MiB / 2);
	got = malloc(o.res.size);
	fd = open(dest, O_RDONLY);
	ck_assert_int_eq(read(fd, got, o.res.size), (ssize_t)o.res.size);
	close(fd);
	ck_assert(memcmp(got, a, MiB) == 0);
	ck_assert(memcmp(got + MiB, b, MiB / 2) == 0);
	ck_assert(memcmp(got + MiB + MiB / 2, c, 2 * MiB) == 0);
	free(got);
	free(a);
	free(b);
	free(c);
	scan_free(&r);
}
END_TEST

/* ---- sync ---- */

/* The set-up of the sync tests: a file of SIZE bytes (SEED) at tl_dir/NAME.img, held
 * by a writer of random blocks at RATE ("rr:", ":BYTES_PER_S"), scanned into R; its
 * entry into *OUT, and the spec of a sync of it to DEST (tl_dir/NAME.copy, room
 * for 160) with its writers in W (room for 4). */
static struct job_spec writer_sync(struct tl_holder *h, struct scan_result *r,
                                   struct job_writer *w, const char *name, uint64_t size,
                                   uint64_t seed, const char *rate, char *dest,
                                   const struct entry **out)
{
	char path[160];
	ino_t ino;
	struct job_spec s;

	snprintf(path, sizeof(path), "%s/%s.img", tl_dir, name);
	snprintf(dest, 160, "%s/%s.copy", tl_dir, name);
	ino = hold_seeded(h, path, size, seed, "rr:", rate, NULL);
	tl_scan(r);
	*out = find(r, ino);
	s = spec_for(*out, REC_SYNC, dest);
	s.writers = w;
	s.nwriters = job_writers_of(*out, w, 4);
	return s;
}

START_TEST(sync_converges)
{
	char dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct outcome o;
	struct stat st;

	const struct entry *e;
	struct job_spec s = writer_sync(&h, &r, w, "db", 128 * MiB, 5, ":2000000", dest, &e);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert_uint_ge(o.res.passes, 2);
	ck_assert_msg(o.res.last_pass_changed < MiB, "last pass rewrote %llu bytes after %u passes",
	              (unsigned long long)o.res.last_pass_changed, o.res.passes);
	ck_assert_msg(strstr(o.prog.message, "live") || o.res.verified, "message: %s",
	              o.prog.message);
	ck_assert_int_eq(stat(dest, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, 128 * MiB);
	/* nearly current: few 4 KiB blocks differ from the source now */
	{
		int a = open(dest, O_RDONLY);
		unsigned char *x = malloc(MiB), *y = malloc(MiB);
		uint64_t diff = 0;
		for (uint64_t off = 0; off < 128 * MiB; off += MiB) {
			ck_assert_int_eq(pread(a, x, MiB, (off_t)off), (ssize_t)MiB);
			ck_assert_int_eq(pin_pread(&e->pin, y, MiB, off), (ssize_t)MiB);
			for (size_t k = 0; k < MiB; k += 4096)
				diff += memcmp(x + k, y + k, 4096) != 0;
		}
		close(a);
		free(x);
		free(y);
		ck_assert_msg(diff * 4096 < 8 * MiB, "%llu blocks differ",
		              (unsigned long long)diff);
	}
	scan_free(&r);
}
END_TEST

START_TEST(sync_freeze)
{
	char dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct job_progress p;
	struct outcome o;
	struct h128 frozen;
	bool saw = false;
	struct stat st1;
	struct job *j;
	int rc;

	const struct entry *e;
	struct job_spec s = writer_sync(&h, &r, w, "vm", 128 * MiB, 6, ":2000000", dest, &e);
	s.freeze = true;
	ck_assert_int_eq(job_start(&s, &j), 0);
	while ((rc = job_step(j, 100)) > 0) {
		job_progress(j, &p);
		if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
			/* the writer is stopped: the source cannot move while we hash it */
			ck_assert_int_eq(proc_state(h.pids[0]), 'T');
			frozen = hash_pin(&e->pin, NULL);
			ck_assert_int_eq(proc_state(h.pids[0]), 'T');
			saw = true;
		}
	}
	o = finish(j, now_s());
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(saw);
	ck_assert(o.res.verified);
	ck_assert(heq(frozen, o.res.src_hash));
	ck_assert(heq(frozen, hash_path(dest).b));
	ck_assert_uint_eq(o.res.nfrozen, 1);
	ck_assert_int_eq(o.frozen0, h.pids[0]);
	/* running and writing again */
	ck_assert(wait_state(h.pids[0], false, 10000));
	ck_assert_int_eq(fstat(e->pin.fd, &st1), 0);
	struct mtime_watch mw = {.fd = e->pin.fd, .was = st1.st_mtim};
	tl_wait_for(mtime_moved, &mw, 10000, "the writer to write again after the freeze");
	scan_free(&r);
}
END_TEST

/* Another thread asks for the freeze (the console's main thread does). */
struct asker {
	struct job *j;
	int rc;
};

/* In a step loop of a freeze asked while the job ran: at "frozen pass done" the
 * request was taken and the writer is stopped; the source's hash then goes to
 * *FROZEN. Returns whether it is that moment. */
static bool at_frozen_end(const struct job_progress *p, const struct tl_holder *h,
                          const struct entry *e, struct h128 *frozen)
{
	if (!p->frozen || strcmp(p->phase, "frozen pass done") != 0)
		return false;
	ck_assert_int_eq(p->freeze_req, JOB_FREEZE_TAKEN);
	ck_assert_int_eq(proc_state(h->pids[0]), 'T');
	*frozen = hash_pin(&e->pin, NULL);
	return true;
}

static void *ask_freeze(void *arg)
{
	struct asker *a = arg;
	struct job_progress p;

	/* well inside pass 1, so that the freeze is taken at its end */
	do {
		usleep(10000);
		job_progress(a->j, &p);
	} while (!(strcmp(p.phase, "pass 1") == 0 && p.done > 0) && p.state == JOB_RUNNING);
	a->rc = job_request_freeze(a->j);
	return NULL;
}

/* A sync started without freeze, frozen on request from another thread during pass
 * 1: the request waits for the end of that pass, then the frozen pass runs exactly
 * as with --freeze (writer stopped, the result the source as frozen), and the
 * writer runs again. A second request, one after the end, and methods without a
 * short final pass are refused. */
START_TEST(sync_freeze_asked)
{
	char dest[160], d2[180];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct job_progress p;
	struct asker a = {0};
	struct h128 frozen;
	bool saw = false, asked_seen = false;
	pthread_t th;
	struct job *j;
	int rc;

	const struct entry *e;
	struct job_spec s = writer_sync(&h, &r, w, "asked", 32 * MiB, 7, ":2000000", dest, &e);
	s.max_rate = 16 * MiB; /* pass 1 takes 2 s: time to ask */
	ck_assert_int_eq(job_start(&s, &j), 0);
	a.j = j;
	ck_assert_int_eq(pthread_create(&th, NULL, ask_freeze, &a), 0);
	while ((rc = job_step(j, 100)) > 0) {
		job_progress(j, &p);
		if (p.freeze_req == JOB_FREEZE_ASKED) {
			asked_seen = true;
			ck_assert_str_eq(p.phase, "pass 1"); /* not before the end of the pass */
			ck_assert_int_ne(proc_state(h.pids[0]), 'T');
		}
		saw |= at_frozen_end(&p, &h, e, &frozen);
	}
	pthread_join(th, NULL);
	ck_assert_int_eq(a.rc, 0);
	ck_assert(asked_seen);
	ck_assert(saw);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(job_request_freeze(j), -EALREADY); /* asked before */
	{
		const struct job_result *res = job_result(j);
		ck_assert(res->verified);
		ck_assert(res->frozen_pass);
		ck_assert_uint_eq(res->passes, 2); /* the frozen pass right after pass 1 */
		ck_assert_uint_eq(res->nfrozen, 1);
		ck_assert(heq(frozen, res->src_hash));
	}
	ck_assert(heq(frozen, hash_path(dest).b));
	job_free(j);
	ck_assert(wait_state(h.pids[0], false, 10000));

	/* refusals: no short final pass, asked at the start already, too late (each to
	 * a name of its own: a stopped job leaves its .partial for a resume) */
	s.max_rate = 0;
	s.dest = d2;
	snprintf(d2, sizeof(d2), "%s.copy", dest);
	s.method = REC_COPY;
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert_int_eq(job_request_freeze(j), -EOPNOTSUPP);
	job_free(j);
	snprintf(d2, sizeof(d2), "%s.follow", dest);
	s.method = REC_FOLLOW;
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert_int_eq(job_request_freeze(j), -EOPNOTSUPP);
	job_free(j);
	snprintf(d2, sizeof(d2), "%s.frozen", dest);
	s.method = REC_SYNC;
	s.freeze = true;
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert_int_eq(job_request_freeze(j), -EALREADY);
	job_free(j);
	snprintf(d2, sizeof(d2), "%s.late", dest);
	s.freeze = false;
	s.max_passes = 2;
	ck_assert_int_eq(job_start(&s, &j), 0);
	while (job_step(j, 100) > 0)
		;
	ck_assert_int_eq(job_request_freeze(j), -EBUSY);
	ck_assert(!job_result(j)->frozen_pass);
	job_free(j);
	scan_free(&r);
}
END_TEST

/* A freeze asked during what was to be the last pass (max_passes 2) is not lost:
 * that pass's end is a boundary too, so a frozen pass follows it, past the limit:
 * the writer stopped for it only, resumed after, the result the frozen source. */
START_TEST(sync_freeze_asked_last_pass)
{
	char dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct job_progress p;
	struct h128 frozen;
	bool asked = false, saw = false;
	struct job *j;
	int rc;

	const struct entry *e;
	struct job_spec s = writer_sync(&h, &r, w, "last", 16 * MiB, 9, ":100000", dest, &e);
	s.max_passes = 2;
	s.max_rate = 16 * MiB; /* a pass takes a second: steps inside pass 2 */
	ck_assert_int_eq(job_start(&s, &j), 0);
	while ((rc = job_step(j, 100)) > 0) {
		job_progress(j, &p);
		if (!asked && !strcmp(p.phase, "pass 2") && p.done > 0) {
			ck_assert_int_eq(job_request_freeze(j), 0);
			asked = true;
		}
		if (!strcmp(p.phase, "pass 2"))
			ck_assert_int_ne(proc_state(h.pids[0]), 'T');
		saw |= at_frozen_end(&p, &h, e, &frozen);
	}
	ck_assert(asked);
	ck_assert(saw);
	ck_assert_int_eq(rc, 0);
	{
		const struct job_result *res = job_result(j);
		ck_assert(res->verified);
		ck_assert(res->frozen_pass);
		ck_assert_uint_eq(res->passes, 3); /* pass 2, then the frozen one */
		ck_assert(heq(frozen, res->src_hash));
	}
	ck_assert(heq(frozen, hash_path(dest).b));
	job_free(j);
	ck_assert(wait_state(h.pids[0], false, 10000));
	scan_free(&r);
}
END_TEST

/* --freeze refuses pid 1 and our own ancestors; nothing is created. */
START_TEST(refusals)
{
	char path[160], dest[160], p2[200];
	struct tl_holder h;
	struct scan_result r;
	struct job *j;
	ino_t ino;
	int fd;

	snprintf(path, sizeof(path), "%s/f", tl_dir);
	snprintf(dest, sizeof(dest), "%s/f.out", tl_dir);
	ino = hold_seeded(&h, path, MiB, 9, "rw:", "", NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_writer w = {.pid = 1, .fd = 3};
	struct job_spec s = spec_for(e, REC_SYNC, dest);
	s.writers = &w;
	s.nwriters = 1;
	s.freeze = true;
	ck_assert_int_eq(job_start(&s, &j), -EPERM);
	w.pid = getppid();
	ck_assert_int_eq(job_start(&s, &j), -EPERM);
	w.pid = getpid();
	ck_assert_int_eq(job_start(&s, &j), -EPERM);
	snprintf(p2, sizeof(p2), "%s.partial", dest);
	ck_assert(!exists(p2));
	/* freeze is for sync, reflink and copy to a file */
	s.method = REC_FOLLOW;
	w.pid = h.pids[0];
	ck_assert_int_eq(job_start(&s, &j), -EINVAL);
	s.method = REC_COPY;
	s.stream_fd = 1;
	ck_assert_int_eq(job_start(&s, &j), -EINVAL);
	/* a stream_fd left 0 next to a DEST */
	s.freeze = false;
	s.stream_fd = 0;
	ck_assert_int_eq(job_start(&s, &j), -EINVAL);
	s.stream_fd = -1;
	/* a .partial that is not ours (no journal) is never touched */
	fd = open(p2, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	s.freeze = false;
	ck_assert_int_eq(job_start(&s, &j), -EEXIST);
	scan_free(&r);
}
END_TEST

/* ---- reflink ---- */

static uint64_t fs_free(const char *mnt)
{
	struct statvfs v;

	sync();
	ck_assert_int_eq(statvfs(mnt, &v), 0);
	return (uint64_t)v.f_bfree * v.f_frsize;
}

static void reflink_case(const char *fstype)
{
	char mnt[200], path[240], dest[240], other[240], spec[260];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	uint64_t free0, free1;
	struct job *j;
	double t0;
	ino_t ino;

	make_fs(fstype, "600M", fstype, mnt, sizeof(mnt));
	snprintf(path, sizeof(path), "%s/disk.img", mnt);
	snprintf(dest, sizeof(dest), "%s/disk.clone", mnt);
	snprintf(other, sizeof(other), "%s/disk.elsewhere", tl_dir);
	ino = hold_seeded(&h, path, 128 * MiB, 11, "r:", "", &want);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_REFLINK, dest);
	free0 = fs_free(mnt);
	t0 = now_s();
	/* A clone, not a copy: told by the space it uses below, not by its speed (a
	 * timing goal belongs in bench/). */
	ck_assert_int_eq(job_start(&s, &j), 0);
	o = finish(j, t0);
	free1 = fs_free(mnt);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert_uint_eq(o.res.bytes_written, 0);
	ck_assert(heq(want, hash_path(dest).b));
	ck_assert_msg(free0 - free1 < 4 * MiB || free1 >= free0, "%s: the clone used %lld bytes",
	              fstype, (long long)(free0 - free1));
	/* to another filesystem: refused, nothing left behind */
	s.dest = other;
	ck_assert_int_eq(job_start(&s, &j), -EXDEV);
	snprintf(spec, sizeof(spec), "%s.partial", other);
	ck_assert(!exists(spec));
	snprintf(spec, sizeof(spec), "%s.partial.journal", other);
	ck_assert(!exists(spec));
	tl_holder_stop(&h, SIGKILL);
	scan_free(&r);
}

START_TEST(reflink_btrfs)
{
	reflink_case("btrfs");
}
END_TEST

START_TEST(reflink_xfs)
{
	reflink_case("xfs");
}
END_TEST

/* ---- relink ---- */

START_TEST(relink_tmpfile)
{
	char src[160], dest[160], spec[240], fdp[64], buf[6] = "";
	char other[260], plain[160];
	struct tl_holder h, h2;
	struct scan_result r;
	struct outcome o;
	struct stat st;
	struct job *j;
	int fd;

	snprintf(src, sizeof(src), "%s/seed", tl_dir);
	snprintf(dest, sizeof(dest), "%s/relinked", tl_dir);
	tl_seeded_file(src, MiB, 12);
	snprintf(spec, sizeof(spec), "t:%s:%s", tl_dir, src);
	tl_holder_start(&h, spec, NULL);
	snprintf(fdp, sizeof(fdp), "/proc/%d/fd/%d", h.pids[0], h.fds[0]);
	ck_assert_int_eq(stat(fdp, &st), 0);
	/* and a deleted file that was not an O_TMPFILE */
	snprintf(plain, sizeof(plain), "%s/plain", tl_dir);
	tl_seeded_file(plain, 4096, 13);
	ino_t plain_ino = tl_ino(plain);
	snprintf(spec, sizeof(spec), "r:%s", plain);
	tl_holder_start(&h2, spec, NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, st.st_ino);
	ck_assert_int_eq(e->kind, KIND_TMPFILE);
	struct job_spec s = spec_for(e, REC_RELINK, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	struct stat ds;
	ck_assert_int_eq(stat(dest, &ds), 0);
	ck_assert_uint_eq(ds.st_ino, st.st_ino);
	ck_assert(heq(hash_path(src), hash_path(dest).b));
	/* live: a write by the holder's file shows through the new name */
	fd = open(fdp, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "hello", 5, 0), 5);
	close(fd);
	fd = open(dest, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, 5), 5);
	close(fd);
	ck_assert_str_eq(buf, "hello");
	/* not linkable: a clear message */
	snprintf(other, sizeof(other), "%s/plain.relinked", tl_dir);
	s = spec_for(find(&r, plain_ino), REC_RELINK, other);
	o = run(&s);
	ck_assert_int_eq(o.rc, -ENOENT);
	ck_assert_msg(strstr(o.prog.message, "O_TMPFILE") != NULL, "message: %s", o.prog.message);
	ck_assert(!exists(other));
	/* another filesystem */
	char t[200];
	make_fs("tmpfs", "8m", "t", t, sizeof(t));
	snprintf(other, sizeof(other), "%s/x", t);
	s = spec_for(e, REC_RELINK, other);
	ck_assert_int_eq(job_start(&s, &j), -EXDEV);
	scan_free(&r);
}
END_TEST

/* ---- loop devices ---- */

static void loop_case(const char *fstype)
{
	char mnt[200], file[240], dest[240], inner[64];
	const uint64_t n = 1000 * 1000 + 123;
	struct scan_result r;
	struct outcome o;
	struct h128 whole, head;
	ino_t ino;
	int fd;

	make_fs(fstype, "300M", fstype, mnt, sizeof(mnt));
	snprintf(file, sizeof(file), "%s/disk.raw", mnt);
	snprintf(dest, sizeof(dest), "%s/disk.rescued", tl_dir);
	tl_seeded_file(file, n, 14);
	ino = tl_ino(file);
	fd = open(file, O_RDONLY);
	whole = hash_fd(fd, n);
	head = hash_fd(fd, n / 512 * 512);
	close(fd);
	/* its detach is undone before the outer unmount */
	tl_loop_attach(inner, sizeof(inner), "", file);
	tl_sh("rm %s", file);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_COPY, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	if (!strcmp(fstype, "ext4")) {
		ck_assert_int_eq(e->pin.kind, PIN_HANDLE);
		ck_assert_uint_eq(o.res.size, n);
		ck_assert_int_eq(o.res.unreadable, 0);
		ck_assert(heq(whole, hash_path(dest).b));
	} else {
		/* only the device: up to the last whole sector, the rest reported exactly */
		ck_assert_int_eq(e->pin.kind, PIN_LOOPDEV);
		ck_assert_uint_eq(o.res.size, n / 512 * 512);
		ck_assert_int_eq(o.res.unreadable, (int64_t)(n % 512));
		ck_assert(heq(head, hash_path(dest).b));
		ck_assert_msg(strstr(o.prog.message, "187 bytes") != NULL, "message: %s",
		              o.prog.message);
	}
	scan_free(&r);
}

START_TEST(loop_ext4)
{
	loop_case("ext4");
}
END_TEST

/* With a loop offset the result keeps the file's offsets: a hole where the device
 * does not reach, then what it shows. */
static void loop_offset_case(const char *mnt)
{
	char file[240], dest[240], opts[64], inner[64];
	const uint64_t n = 3 * MiB + 1000, off = 8192;
	unsigned char *want = malloc(n), *got = malloc(n);
	uint64_t seed = 25, shown = (n - off) / 512 * 512;
	struct scan_result r;
	struct outcome o;
	ino_t ino;
	int fd;

	ck_assert(want && got);
	snprintf(file, sizeof(file), "%s/part.raw", mnt);
	snprintf(dest, sizeof(dest), "%s/part.rescued", tl_dir);
	tl_seeded_bytes(want, n, &seed);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, want, n), (ssize_t)n);
	close(fd);
	ino = tl_ino(file);
	snprintf(opts, sizeof(opts), "-o %llu", (unsigned long long)off);
	tl_loop_attach(inner, sizeof(inner), opts, file);
	tl_sh("rm %s", file);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	ck_assert_int_eq(e->pin.kind, PIN_LOOPDEV);
	struct job_spec s = spec_for(e, REC_COPY, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert_uint_eq(o.res.size, off + shown);
	ck_assert_int_eq(o.res.unreadable, (int64_t)(n - shown));
	fd = open(dest, O_RDONLY);
	ck_assert_int_eq(read(fd, got, n), (ssize_t)(off + shown));
	close(fd);
	for (uint64_t i = 0; i < off; i++)
		ck_assert_int_eq(got[i], 0);
	ck_assert(memcmp(got + off, want + off, shown) == 0);
	free(want);
	free(got);
	scan_free(&r);
}

START_TEST(loop_xfs)
{
	loop_case("xfs");
	loop_offset_case(g_mnt_last);
}
END_TEST

/* ---- faults ---- */

START_TEST(fault_enospc)
{
	char path[160], small[200], dest[240], p2[260];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/big", tl_dir);
	ino = hold_seeded(&h, path, 64 * MiB, 15, "r:", "", NULL);
	make_fs("tmpfs", "16m", "small", small, sizeof(small));
	snprintf(dest, sizeof(dest), "%s/big", small);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	o = run(&s);
	ck_assert_int_eq(o.rc, -ENOSPC);
	ck_assert_int_eq(o.prog.state, JOB_FAILED);
	ck_assert_int_eq(o.prog.error, -ENOSPC);
	ck_assert_msg(strstr(o.prog.message, "no space") && strstr(o.prog.message, small),
	              "message: %s", o.prog.message);
	snprintf(p2, sizeof(p2), "%s.partial", dest);
	ck_assert(exists(p2));
	ck_assert_str_eq(o.res.final_path, p2);
	snprintf(p2, sizeof(p2), "%s.partial.journal", dest);
	ck_assert(exists(p2));
	ck_assert(!exists(dest));
	scan_free(&r);
}
END_TEST

START_TEST(fault_holders_killed)
{
	char path[160], dest[160], spec[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	struct job *j;
	double t0;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/held", tl_dir);
	snprintf(dest, sizeof(dest), "%s/held.out", tl_dir);
	tl_seeded_file(path, 64 * MiB, 16);
	want = hash_path(path);
	ino = tl_ino(path);
	snprintf(spec, sizeof(spec), "w:%s", path);
	tl_holder_start(&h, "-c", "3", spec, NULL);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	s.max_rate = 32 * MiB;
	t0 = now_s();
	ck_assert_int_eq(job_start(&s, &j), 0);
	while (now_s() - t0 < 0.6)
		ck_assert_int_eq(job_step(j, 100), 1);
	tl_holder_stop(&h, SIGKILL);
	for (int i = 0; i < h.n; i++)
		ck_assert_int_eq(proc_state(h.pids[i]), 0);
	o = finish(j, t0);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert(heq(want, hash_path(dest).b));
	/* the rate was kept: 64 MiB at 32 MiB/s */
	ck_assert_msg(o.seconds > 1.6, "done in %.2f s", o.seconds);
	scan_free(&r);
}
END_TEST

/* Copy position recorded in DEST's journal, 0 when there is none yet. */
static uint64_t journal_pos(const char *dest)
{
	char p[260], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(p, sizeof(p), "%s.partial.journal", dest);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pos %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Run a job in a child until it is killed. Only _exit from there. */
static pid_t job_in_child(ino_t ino, enum rec_method m, const char *dest, uint64_t rate)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct scan_opts so = tl_scan_opts();
		struct scan_result r;
		struct job *j;
		if (scan_run(&so, &r) < 0)
			_exit(3);
		for (size_t i = 0; i < r.n; i++) {
			if (r.v[i].ino != ino)
				continue;
			struct job_spec s = spec_for(&r.v[i], m, dest);
			s.max_rate = rate;
			if (job_start(&s, &j) < 0)
				_exit(4);
			while (job_step(j, 100) > 0)
				;
			_exit(5);
		}
		_exit(6);
	}
	return pid;
}

START_TEST(fault_sigkill_resume)
{
	char path[160], dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	double t0;
	pid_t kid;
	ino_t ino;
	int status;

	snprintf(path, sizeof(path), "%s/resume", tl_dir);
	snprintf(dest, sizeof(dest), "%s/resume.out", tl_dir);
	ino = hold_seeded(&h, path, 64 * MiB, 17, "r:", "", &want);
	kid = job_in_child(ino, REC_COPY, dest, 8 * MiB);
	t0 = now_s();
	while (journal_pos(dest) == 0 && now_s() - t0 < 8)
		usleep(50000);
	ck_assert_uint_gt(journal_pos(dest), 0);
	kill(kid, SIGKILL);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	ck_assert(WIFSIGNALED(status));
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.resumed);
	ck_assert_uint_gt(o.res.resumed_at, 0);
	ck_assert_uint_lt(o.res.resumed_at, 64 * MiB);
	ck_assert_uint_le(o.res.bytes_read, 64 * MiB - o.res.resumed_at);
	ck_assert(o.res.verified);
	ck_assert(heq(want, hash_path(dest).b));
	scan_free(&r);
}
END_TEST

static struct job *g_job;
static volatile sig_atomic_t g_term;

static void on_term(int sig)
{
	(void)sig;
	g_term = 1;
	job_cancel(g_job);
}

/* A --freeze job in a child that reports 'F' on FD once the writers are stopped and
 * then waits; with CANCEL_ON_TERM it cancels on SIGTERM and exits 0 on -ECANCELED. */
static pid_t freeze_in_child(ino_t ino, const char *dest, int fd, bool cancel_on_term)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct scan_opts so = tl_scan_opts();
		struct job_writer w[4];
		struct job_progress p;
		struct scan_result r;
		if (cancel_on_term) {
			struct sigaction sa = {.sa_handler = on_term};
			sigaction(SIGTERM, &sa, NULL);
		}
		if (scan_run(&so, &r) < 0)
			_exit(3);
		for (size_t i = 0; i < r.n; i++) {
			if (r.v[i].ino != ino)
				continue;
			struct job_spec s = spec_for(&r.v[i], REC_SYNC, dest);
			s.writers = w;
			s.nwriters = job_writers_of(&r.v[i], w, 4);
			s.freeze = true;
			if (job_start(&s, &g_job) < 0)
				_exit(4);
			for (;;) {
				int rc = job_step(g_job, 50);
				if (rc <= 0)
					_exit(rc == -ECANCELED ? 0 : 5);
				job_progress(g_job, &p);
				if (p.frozen) {
					(void)!write(fd, "F", 1);
					while (!g_term)
						pause();
				}
			}
		}
		_exit(6);
	}
	return pid;
}

static void freeze_killed(int sig)
{
	char path[160], dest[160], spec[200], c;
	struct tl_holder h;
	int p[2], status;
	pid_t kid;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/frz", tl_dir);
	snprintf(dest, sizeof(dest), "%s/frz.out", tl_dir);
	ino = hold_seeded(&h, path, 32 * MiB, 18, "rr:", ":2000000", NULL);
	ck_assert_int_eq(pipe(p), 0);
	kid = freeze_in_child(ino, dest, p[1], sig == SIGTERM);
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(proc_state(h.pids[0]), 'T');
	kill(kid, sig);
	ck_assert_int_eq(waitpid(kid, &status, 0), kid);
	if (sig == SIGTERM)
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	else
		ck_assert(WIFSIGNALED(status));
	/* the guardian (SIGKILL) or the job itself (SIGTERM) let it go */
	ck_assert_msg(wait_state(h.pids[0], false, 10000), "the writer is still stopped");
	snprintf(spec, sizeof(spec), "%s.partial", dest);
	ck_assert(exists(spec));
	close(p[0]);
}

START_TEST(fault_freeze_sigkill)
{
	freeze_killed(SIGKILL);
}
END_TEST

START_TEST(fault_freeze_sigterm)
{
	freeze_killed(SIGTERM);
}
END_TEST

/* ---- cancel, resume, stop ---- */

START_TEST(copy_cancel_resume)
{
	char path[160], dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_progress p;
	struct outcome o;
	struct h128 want;
	uint64_t at;
	struct job *j;
	double t0;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/c.bin", tl_dir);
	snprintf(dest, sizeof(dest), "%s/c.out", tl_dir);
	ino = hold_seeded(&h, path, 64 * MiB, 19, "r:", "", &want);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	s.max_rate = 32 * MiB;
	ck_assert_int_eq(job_start(&s, &j), 0);
	t0 = now_s();
	while (now_s() - t0 < 0.5)
		ck_assert_int_eq(job_step(j, 100), 1);
	job_cancel(j);
	ck_assert_int_eq(job_step(j, 100), -ECANCELED);
	ck_assert_int_eq(job_step(j, 100), -ECANCELED);
	job_progress(j, &p);
	ck_assert_int_eq(p.state, JOB_CANCELLED);
	job_free(j);
	at = journal_pos(dest);
	ck_assert_uint_gt(at, 0);
	ck_assert_uint_lt(at, 64 * MiB);
	s.max_rate = 0;
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.resumed);
	ck_assert_uint_eq(o.res.resumed_at, at);
	ck_assert_uint_eq(o.res.bytes_read, 64 * MiB - at);
	ck_assert(o.res.verified);
	ck_assert(heq(want, hash_path(dest).b));
	scan_free(&r);
}
END_TEST

/* sync killed in pass 1 resumes from its journal; cancelled in pass 2 it rebuilds
 * the block hashes from the result and goes on with the next pass */
START_TEST(sync_resume)
{
	char path[160], dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_progress p;
	struct outcome o;
	struct h128 want;
	struct job *j;
	double t0;
	pid_t kid;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/s.img", tl_dir);
	snprintf(dest, sizeof(dest), "%s/s.out", tl_dir);
	ino = hold_seeded(&h, path, 64 * MiB, 20, "r:", "", &want);
	kid = job_in_child(ino, REC_SYNC, dest, 16 * MiB);
	t0 = now_s();
	while (journal_pos(dest) == 0 && now_s() - t0 < 8)
		usleep(50000);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	ck_assert_uint_gt(journal_pos(dest), 0);
	ck_assert_uint_lt(journal_pos(dest), 64 * MiB);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_SYNC, dest);
	s.max_rate = 128 * MiB;
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert(job_result(j)->resumed);
	ck_assert_uint_eq(job_result(j)->resumed_at, journal_pos(dest));
	do {
		ck_assert_int_eq(job_step(j, 50), 1);
		job_progress(j, &p);
	} while (!(p.pass == 2 && p.done > 0));
	job_cancel(j);
	ck_assert_int_eq(job_step(j, 50), -ECANCELED);
	job_free(j);
	s.max_rate = 0;
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.resumed);
	ck_assert_uint_eq(o.res.resumed_at, 64 * MiB);
	ck_assert_uint_ge(o.res.passes, 3);
	ck_assert_uint_eq(o.res.last_pass_changed, 0);
	ck_assert(o.res.verified);
	ck_assert(heq(want, hash_path(dest).b));
	scan_free(&r);
}
END_TEST

/* The first job_cancel of a follow ends it normally; a second one cancels. */
START_TEST(follow_stop)
{
	char path[160], dest[160], dest2[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct outcome o;
	struct job *j;
	double t0;
	ino_t ino;
	int fd;

	snprintf(path, sizeof(path), "%s/live.log", tl_dir);
	snprintf(dest, sizeof(dest), "%s/live.copy", tl_dir);
	snprintf(dest2, sizeof(dest2), "%s/live.copy2", tl_dir);
	ino = hold_seeded(&h, path, 64 * 1024, 21, "aw:", ":1000000", NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_FOLLOW, dest);
	s.writers = w;
	s.nwriters = job_writers_of(e, w, 4);
	ck_assert_int_eq(job_start(&s, &j), 0);
	t0 = now_s();
	while (now_s() - t0 < 1)
		ck_assert_int_eq(job_step(j, 100), 1);
	job_cancel(j);
	o = finish(j, t0);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert_uint_gt(o.res.size, 64 * 1024 + 500000);
	ck_assert_msg(strstr(o.prog.message, "verified"), "message: %s", o.prog.message);
	/* the writer goes on; what we have is its beginning */
	fd = open(dest, O_RDONLY);
	ck_assert(heq(hash_fd(e->pin.fd, o.res.size), hash_fd(fd, o.res.size).b));
	close(fd);
	s.dest = dest2;
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert_int_eq(job_step(j, 200), 1);
	job_cancel(j);
	job_cancel(j);
	o = finish(j, now_s());
	ck_assert_int_eq(o.rc, -ECANCELED);
	ck_assert(!exists(dest2));
	scan_free(&r);
}
END_TEST

START_TEST(fault_dir_gone)
{
	char path[160], sub[200], dest[240], spec[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct job *j;
	double t0;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/d.bin", tl_dir);
	snprintf(sub, sizeof(sub), "%s/sub", tl_dir);
	snprintf(dest, sizeof(dest), "%s/out", sub);
	tl_seeded_file(path, 64 * MiB, 22);
	ino = tl_ino(path);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(spec, sizeof(spec), "r:%s", path);
	tl_holder_start(&h, spec, NULL);
	tl_scan(&r);
	struct job_spec s = spec_for(find(&r, ino), REC_COPY, dest);
	s.max_rate = 16 * MiB;
	ck_assert_int_eq(job_start(&s, &j), 0);
	t0 = now_s();
	while (now_s() - t0 < 0.5)
		ck_assert_int_eq(job_step(j, 100), 1);
	tl_sh("rm -rf %s", sub);
	o = finish(j, t0);
	ck_assert_int_eq(o.rc, -ENOENT);
	ck_assert_msg(strstr(o.prog.message, sub) && strstr(o.prog.message, "gone"), "message: %s",
	              o.prog.message);
	scan_free(&r);
}
END_TEST

/* Held only by a mapping: the map_files pin is the whole file. */
START_TEST(copy_map_pin)
{
	char path[160], dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct h128 want;
	ino_t ino;

	snprintf(path, sizeof(path), "%s/mapped", tl_dir);
	snprintf(dest, sizeof(dest), "%s/mapped.out", tl_dir);
	ino = hold_seeded(&h, path, 8 * MiB + 3, 23, "m:", "", &want);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	ck_assert_int_eq(e->pin.kind, PIN_MAP);
	struct job_spec s = spec_for(e, REC_COPY, dest);
	o = run(&s);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert(heq(want, hash_path(dest).b));
	scan_free(&r);
}
END_TEST

/* A clone followed by sync passes and a frozen pass, with a writer going on. */
START_TEST(reflink_sync_freeze)
{
	char mnt[200], path[240], dest[240];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct job_progress p;
	struct outcome o;
	struct h128 frozen;
	bool saw = false;
	struct job *j;
	ino_t ino;
	int rc;

	make_fs("btrfs", "600M", "bt", mnt, sizeof(mnt));
	snprintf(path, sizeof(path), "%s/vm.img", mnt);
	snprintf(dest, sizeof(dest), "%s/vm.clone", mnt);
	ino = hold_seeded(&h, path, 64 * MiB, 24, "rr:", ":2000000", NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_REFLINK, dest);
	s.writers = w;
	s.nwriters = job_writers_of(e, w, 4);
	s.sync_after_reflink = true;
	s.freeze = true;
	ck_assert_int_eq(job_start(&s, &j), 0);
	while ((rc = job_step(j, 100)) > 0) {
		job_progress(j, &p);
		if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
			ck_assert_int_eq(proc_state(h.pids[0]), 'T');
			frozen = hash_pin(&e->pin, NULL);
			saw = true;
		}
	}
	o = finish(j, now_s());
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(saw);
	ck_assert(o.res.verified);
	ck_assert_uint_ge(o.res.passes, 2);
	ck_assert(heq(frozen, hash_path(dest).b));
	ck_assert(wait_state(h.pids[0], false, 10000));
	tl_holder_stop(&h, SIGKILL);
	scan_free(&r);
}
END_TEST

/* A follow killed with SIGKILL goes on from its journal. */
START_TEST(follow_resume)
{
	char path[160], dest[160], jp[200], line[128];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct outcome o;
	unsigned long long tgt = 0;
	struct job *j;
	double t0;
	pid_t kid;
	ino_t ino;
	FILE *f;

	snprintf(path, sizeof(path), "%s/r.log", tl_dir);
	snprintf(dest, sizeof(dest), "%s/r.copy", tl_dir);
	snprintf(jp, sizeof(jp), "%s.partial.journal", dest);
	ino = hold_seeded(&h, path, 128 * 1024, 26, "aw:", ":500000", NULL);
	kid = fork();
	ck_assert_int_ge(kid, 0);
	if (kid == 0) {
		struct scan_opts so = tl_scan_opts();
		if (scan_run(&so, &r) < 0)
			_exit(3);
		for (size_t i = 0; i < r.n; i++) {
			if (r.v[i].ino != ino)
				continue;
			struct job_spec s = spec_for(&r.v[i], REC_FOLLOW, dest);
			s.writers = w;
			s.nwriters = job_writers_of(&r.v[i], w, 4);
			if (job_start(&s, &j) < 0)
				_exit(4);
			while (job_step(j, 100) > 0)
				;
			_exit(5);
		}
		_exit(6);
	}
	t0 = now_s();
	while (tgt == 0 && now_s() - t0 < 8) {
		usleep(100000);
		if ((f = fopen(jp, "r"))) {
			while (fgets(line, sizeof(line), f))
				sscanf(line, "tgt_pos %llu", &tgt);
			fclose(f);
		}
	}
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	ck_assert_uint_gt(tgt, 128 * 1024);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_FOLLOW, dest);
	s.writers = w;
	s.nwriters = job_writers_of(e, w, 4);
	ck_assert_int_eq(job_start(&s, &j), 0);
	ck_assert(job_result(j)->resumed);
	ck_assert_uint_eq(job_result(j)->resumed_at, tgt);
	t0 = now_s();
	while (now_s() - t0 < 1)
		ck_assert_int_eq(job_step(j, 100), 1);
	tl_holder_stop(&h, SIGTERM);
	o = finish(j, t0);
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(o.res.verified);
	ck_assert_uint_eq(o.res.truncations, 0);
	ck_assert(heq(hash_pin(&e->pin, NULL), hash_path(dest).b));
	scan_free(&r);
}
END_TEST

/* A growing file under sync with --freeze: passes follow the size. */
START_TEST(sync_freeze_growing)
{
	char path[160], dest[160];
	struct tl_holder h;
	struct scan_result r;
	struct job_writer w[4];
	struct job_progress p;
	struct outcome o;
	struct h128 frozen;
	uint64_t fsize = 0;
	bool saw = false;
	struct job *j;
	ino_t ino;
	int rc;

	snprintf(path, sizeof(path), "%s/grow.bin", tl_dir);
	snprintf(dest, sizeof(dest), "%s/grow.copy", tl_dir);
	ino = hold_seeded(&h, path, 4 * MiB + 100, 27, "aw:", ":2000000", NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	struct job_spec s = spec_for(e, REC_SYNC, dest);
	s.writers = w;
	s.nwriters = job_writers_of(e, w, 4);
	s.freeze = true;
	s.max_rate = 8 * MiB; /* slow enough that the file grows between passes */
	ck_assert_int_eq(job_start(&s, &j), 0);
	while ((rc = job_step(j, 100)) > 0) {
		job_progress(j, &p);
		if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
			ck_assert_int_eq(proc_state(h.pids[0]), 'T');
			frozen = hash_pin(&e->pin, &fsize);
			saw = true;
		}
	}
	o = finish(j, now_s());
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(saw);
	ck_assert(o.res.verified);
	ck_assert_uint_gt(fsize, 4 * MiB + 100);
	ck_assert_uint_eq(o.res.size, fsize);
	ck_assert(heq(frozen, hash_path(dest).b));
	ck_assert(wait_state(h.pids[0], false, 10000));
	scan_free(&r);
}
END_TEST

/* Is the filesystem at MNT frozen? (FIFREEZE says EBUSY then.) */
static bool fs_frozen(const char *mnt)
{
	int fd = open(mnt, O_RDONLY | O_DIRECTORY);
	bool frozen;

	ck_assert_int_ge(fd, 0);
	frozen = ioctl(fd, FIFREEZE, 0) < 0 && errno == EBUSY;
	if (!frozen)
		ck_assert_int_eq(ioctl(fd, FITHAW, 0), 0);
	close(fd);
	return frozen;
}

/* A deleted ext4 image, loop-mounted and written to: sync with FREEZE_FS gives an
 * image that e2fsck finds clean, and the filesystem is thawed afterwards, also when
 * the job is killed in the middle of the frozen pass (the guardian thaws it). */
START_TEST(freeze_fs_loop)
{
	char img[160], inner[200], dest[160], dest2[160], spec[400], c;
	struct scan_result r;
	struct job_progress p;
	struct outcome o;
	struct h128 frozen;
	bool saw = false;
	struct job *j;
	int rc, pp[2];
	pid_t kid, writer;
	ino_t ino;
	int stop_writer;

	snprintf(img, sizeof(img), "%s/fs.img", tl_dir);
	snprintf(inner, sizeof(inner), "%s/inner", tl_dir);
	snprintf(dest, sizeof(dest), "%s/fs.copy", tl_dir);
	snprintf(dest2, sizeof(dest2), "%s/fs.copy2", tl_dir);
	tl_make_fs("ext4", "64M", img, inner);
	ino = tl_ino(img);
	tl_sh("rm %s", img);
	/* something writing inside the mounted image all along (not the holder: its
	 * files have no name, which e2fsck -n would rightly call an error) */
	snprintf(spec, sizeof(spec),
	         "while :; do head -c 65536 /dev/urandom >> %s/log; sleep 0.02; done", inner);
	writer = fork();
	ck_assert_int_ge(writer, 0);
	if (writer == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", spec, (char *)NULL);
		_exit(127);
	}
	/* A group of its own, which check does not kill when an assertion fails; played
	 * back before the unmount. */
	stop_writer = tl_undo_push("kill -9 -%d 2>/dev/null", (int)writer);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	ck_assert_int_eq(e->holders[0].type, HOLDER_LOOP);
	struct job_spec s = spec_for(e, REC_SYNC, dest);
	s.freeze_fs = inner;
	ck_assert_int_eq(job_start(&s, &j), 0);
	while ((rc = job_step(j, 100)) > 0) {
		job_progress(j, &p);
		if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
			ck_assert(fs_frozen(inner));
			frozen = hash_pin(&e->pin, NULL);
			saw = true;
		}
	}
	o = finish(j, now_s());
	ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
	ck_assert(saw);
	ck_assert(o.res.verified);
	ck_assert(heq(frozen, hash_path(dest).b));
	ck_assert(!fs_frozen(inner));
	tl_sh("e2fsck -fn %s >/dev/null 2>&1", dest);

	/* a copy made entirely while frozen is as good */
	{
		char dest3[200];
		snprintf(dest3, sizeof(dest3), "%s/fs.copy3", tl_dir);
		struct job_spec s3 = spec_for(e, REC_COPY, dest3);
		s3.freeze_fs = inner;
		saw = false;
		ck_assert_int_eq(job_start(&s3, &j), 0);
		while ((rc = job_step(j, 100)) > 0) {
			job_progress(j, &p);
			if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
				ck_assert(fs_frozen(inner));
				frozen = hash_pin(&e->pin, NULL);
				saw = true;
			}
		}
		o = finish(j, now_s());
		ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
		ck_assert(saw && o.res.verified);
		ck_assert(heq(frozen, hash_path(dest3).b));
		ck_assert(!fs_frozen(inner));
		tl_sh("e2fsck -fn %s >/dev/null 2>&1", dest3);
	}

	/* a sync started without freeze and frozen on request freezes the filesystem
	 * too, exactly as with FREEZE_FS: the one FREEZE_FS_ON_REQUEST names */
	{
		char dest4[200];
		snprintf(dest4, sizeof(dest4), "%s/fs.copy4", tl_dir);
		struct job_spec s4 = spec_for(e, REC_SYNC, dest4);
		s4.freeze_fs_on_request = inner;
		saw = false;
		ck_assert_int_eq(job_start(&s4, &j), 0);
		ck_assert_int_eq(job_request_freeze(j), 0); /* taken at the end of pass 1 */
		while ((rc = job_step(j, 100)) > 0) {
			job_progress(j, &p);
			if (!strcmp(p.phase, "pass 1"))
				ck_assert(!fs_frozen(inner));
			if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
				ck_assert(fs_frozen(inner));
				frozen = hash_pin(&e->pin, NULL);
				saw = true;
			}
		}
		o = finish(j, now_s());
		ck_assert_msg(o.rc == 0, "rc %d: %s", o.rc, o.prog.message);
		ck_assert(saw && o.res.verified && o.res.frozen_pass);
		ck_assert_uint_eq(o.res.passes, 2);
		ck_assert(heq(frozen, hash_path(dest4).b));
		ck_assert(!fs_frozen(inner));
		tl_sh("e2fsck -fn %s >/dev/null 2>&1", dest4);
	}

	/* killed while frozen: the guardian thaws */
	ck_assert_int_eq(pipe(pp), 0);
	kid = fork();
	ck_assert_int_ge(kid, 0);
	if (kid == 0) {
		struct job_spec s2 = spec_for(e, REC_SYNC, dest2);
		s2.freeze_fs = inner;
		if (job_start(&s2, &j) < 0)
			_exit(4);
		while (job_step(j, 50) > 0) {
			job_progress(j, &p);
			if (p.frozen && !strcmp(p.phase, "frozen pass done")) {
				(void)!write(pp[1], "F", 1);
				for (;;)
					pause();
			}
		}
		_exit(5);
	}
	close(pp[1]);
	ck_assert_int_eq(read(pp[0], &c, 1), 1);
	close(pp[0]);
	ck_assert(fs_frozen(inner));
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	for (int i = 0; i < 1000 && fs_frozen(inner); i++)
		usleep(10000);
	ck_assert(!fs_frozen(inner));
	kill(-writer, SIGKILL);
	waitpid(writer, NULL, 0);
	tl_undo_drop(stop_writer);
	scan_free(&r);
}
END_TEST

/* Sizes at the edges: empty, one byte, one block and a byte, with every method
 * that copies; and a clone where the filesystem cannot. */
START_TEST(small_cases)
{
	static const uint64_t sizes[] = {0, 1, 4097};
	static const enum rec_method ms[] = {REC_COPY, REC_SYNC, REC_FOLLOW};
	char path[160], dest[200], spec[200];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct job *j;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		ino_t ino;
		struct h128 want;
		snprintf(path, sizeof(path), "%s/small%zu", tl_dir, i);
		tl_seeded_file(path, sizes[i], 30 + i);
		want = hash_path(path);
		ino = tl_ino(path);
		snprintf(spec, sizeof(spec), "r:%s", path);
		tl_holder_start(&h, spec, NULL);
		tl_scan(&r);
		const struct entry *e = find(&r, ino);
		for (size_t k = 0; k < ARRAY_SIZE(ms); k++) {
			snprintf(dest, sizeof(dest), "%s/small%zu.%s", tl_dir, i,
			         rec_method_name(ms[k]));
			struct job_spec s = spec_for(e, ms[k], dest);
			o = run(&s);
			ck_assert_msg(o.rc == 0, "%s of %llu bytes: rc %d: %s",
			              rec_method_name(ms[k]), (unsigned long long)sizes[i], o.rc,
			              o.prog.message);
			ck_assert(o.res.verified);
			ck_assert_uint_eq(o.res.size, sizes[i]);
			ck_assert(heq(want, hash_path(dest).b));
		}
		/* ext4 has no reflink: a clear error and nothing left behind */
		snprintf(dest, sizeof(dest), "%s/small%zu.clone", tl_dir, i);
		struct job_spec s = spec_for(e, REC_REFLINK, dest);
		ck_assert_int_eq(job_start(&s, &j), -EOPNOTSUPP);
		snprintf(dest, sizeof(dest), "%s/small%zu.clone.partial", tl_dir, i);
		ck_assert(!exists(dest));
		snprintf(dest, sizeof(dest), "%s/small%zu.clone.partial.journal", tl_dir, i);
		ck_assert(!exists(dest));
		scan_free(&r);
		tl_holder_stop(&h, SIGKILL);
	}
}
END_TEST

/* ext4's shutdown ioctl (the same number as XFS_IOC_GOINGDOWN): every later I/O on
 * that filesystem fails with EIO, as on a disk that died. */
#define RT_EXT4_IOC_SHUTDOWN _IOR('X', 125, uint32_t)

static void shut_down(const char *mnt)
{
	uint32_t how = 2; /* EXT4_GOING_FLAGS_NOLOGFLUSH */
	int fd = open(mnt, O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ioctl(fd, RT_EXT4_IOC_SHUTDOWN, &how), 0);
	close(fd);
}

/* The disk under the source dies mid-copy: the copy goes on around what cannot be
 * read (issue #15): the result is renamed, not verified, with the unread bytes
 * mapped beside it. Then the disk under the target dies: -EIO, a message that says
 * which and where, and the partial result kept. */
START_TEST(fault_eio)
{
	char src_mnt[200], dst_mnt[200], file[240], dest[240], spec[260];
	struct tl_holder h;
	struct scan_result r;
	struct outcome o;
	struct job *j;
	double t0;
	ino_t ino;
	int fd;

	make_fs("ext4", "64M", "srcfs", src_mnt, sizeof(src_mnt));
	snprintf(file, sizeof(file), "%s/data", src_mnt);
	tl_seeded_file(file, 32 * MiB, 29);
	/* out of the page cache, so that reads go to the (soon dead) disk */
	fd = open(file, O_RDONLY);
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
	ino = tl_ino(file);
	snprintf(spec, sizeof(spec), "r:%s", file);
	tl_holder_start(&h, spec, NULL);
	tl_scan(&r);
	const struct entry *e = find(&r, ino);
	snprintf(dest, sizeof(dest), "%s/from-dead", tl_dir);
	struct job_spec s = spec_for(e, REC_COPY, dest);
	s.max_rate = 16 * MiB;
	ck_assert_int_eq(job_start(&s, &j), 0);
	t0 = now_s();
	while (now_s() - t0 < 0.4)
		ck_assert_int_eq(job_step(j, 100), 1);
	shut_down(src_mnt);
	o = finish(j, t0);
	ck_assert_int_eq(o.rc, 0);
	ck_assert(!o.res.verified);
	ck_assert_uint_gt(o.res.unread_bytes, 0);
	ck_assert_uint_le(o.res.unread_bytes, 32 * MiB);
	ck_assert_msg(strstr(o.prog.message, "could not be read"), "message: %s", o.prog.message);
	ck_assert(exists(dest));
	snprintf(spec, sizeof(spec), "%s.unread", dest);
	ck_assert(exists(spec));
	scan_free(&r);
	tl_holder_stop(&h, SIGKILL);

	/* now the target's disk */
	snprintf(file, sizeof(file), "%s/src2", tl_dir);
	tl_seeded_file(file, 32 * MiB, 30);
	ino = tl_ino(file);
	snprintf(spec, sizeof(spec), "r:%s", file);
	tl_holder_start(&h, spec, NULL);
	make_fs("ext4", "128M", "dstfs", dst_mnt, sizeof(dst_mnt));
	snprintf(dest, sizeof(dest), "%s/to-dead", dst_mnt);
	tl_scan(&r);
	s = spec_for(find(&r, ino), REC_COPY, dest);
	s.max_rate = 16 * MiB;
	ck_assert_int_eq(job_start(&s, &j), 0);
	t0 = now_s();
	while (now_s() - t0 < 0.4)
		ck_assert_int_eq(job_step(j, 100), 1);
	shut_down(dst_mnt);
	o = finish(j, t0);
	ck_assert_int_eq(o.rc, -EIO);
	ck_assert_msg(strstr(o.prog.message, "I/O error writing") &&
	                  strstr(o.prog.message, "to-dead.partial"),
	              "message: %s", o.prog.message);
	scan_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("job");
	TCase *tc = tcase_create("live");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, copy_static);
	tcase_add_test(tc, copy_static_changed);
	tcase_add_test(tc, copy_sparse);
	tcase_add_test(tc, sync_holes_both_ways);
	tcase_add_test(tc, copy_stream);
	tcase_add_test(tc, follow_append);
	tcase_add_test(tc, follow_truncate);
	tcase_add_test(tc, sync_converges);
	tcase_add_test(tc, sync_freeze);
	tcase_add_test(tc, sync_freeze_asked);
	tcase_add_test(tc, sync_freeze_asked_last_pass);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, reflink_btrfs);
	tcase_add_test(tc, reflink_xfs);
	tcase_add_test(tc, relink_tmpfile);
	tcase_add_test(tc, loop_ext4);
	tcase_add_test(tc, loop_xfs);
	tcase_add_test(tc, fault_enospc);
	tcase_add_test(tc, fault_holders_killed);
	tcase_add_test(tc, fault_sigkill_resume);
	tcase_add_test(tc, fault_freeze_sigkill);
	tcase_add_test(tc, fault_freeze_sigterm);
	tcase_add_test(tc, copy_cancel_resume);
	tcase_add_test(tc, sync_resume);
	tcase_add_test(tc, follow_stop);
	tcase_add_test(tc, fault_dir_gone);
	tcase_add_test(tc, copy_map_pin);
	tcase_add_test(tc, reflink_sync_freeze);
	tcase_add_test(tc, follow_resume);
	tcase_add_test(tc, sync_freeze_growing);
	tcase_add_test(tc, freeze_fs_loop);
	tcase_add_test(tc, small_cases);
	tcase_add_test(tc, fault_eio);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
