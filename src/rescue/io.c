/* job I/O: reading the source, writing the result with write-behind, throttling,
 * hashing and the final verification. See job_impl.h. */
#include "rescue/io.h"
#include "base/util.h"

#include "find/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading ---- */

/* Plain pread of N bytes (fewer only at the end). */
static ssize_t pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Read N bytes at file offset OFF (fewer only at the end). A loop device reopened
 * with O_DIRECT wants aligned lengths: the grid keeps offsets aligned and the buffer
 * has room for the rounding. */
ssize_t job_src_read(struct job *j, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	if (!j->src_direct) {
		while (got < n) {
			ssize_t r = pin_pread(j->spec.src, (char *)buf + got, n - got, off + got);
			if (r < 0)
				return r;
			if (r == 0)
				break;
			got += (size_t)r;
		}
		return (ssize_t)got;
	}
	if (off < j->lo)
		return -ENXIO;
	{
		uint64_t d = off - j->lo, size = j->spec.src->dev_size;
		if (d >= size)
			return 0;
		if (n > size - d)
			n = (size_t)(size - d);
		/* O_DIRECT: whole 4 KiB units; the buffer has room for the rounding */
		ssize_t r = pread_all(j->src_fd, buf, (n + 4095) / 4096 * 4096, d);
		if (r < 0)
			return r;
		got = (size_t)r;
	}
	return (ssize_t)(got > n ? n : got);
}

static int side_fd(const struct job *j, int side)
{
	return side == 0 ? j->spec.src->fd : j->dst_fd;
}

/* Our own O_DIRECT open of SIDE (0 source, 1 result), made on first use. */
static int dio_fd(struct job *j, int side)
{
	char p[64];

	if (j->dio[side] == -2) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", side_fd(j, side));
		j->dio[side] = open(p, PIN_OPEN_FLAGS | O_DIRECT); /* other scans see a pin */
		if (j->dio[side] < 0 && errno == EPERM)
			j->dio[side] = open(p, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY);
		if (j->dio[side] < 0)
			j->dio[side] = -1;
	}
	return j->dio[side];
}

void job_full_reset(struct job *j)
{
	for (int i = 0; i < 2; i++) {
		struct stat st;
		j->fext[i].fd = side_fd(j, i);
		/* a getfd pin shares the holder's offset: SEEK_DATA would move it */
		j->fext[i].ok = !(i == 0 && (j->loopdev || j->spec.src->kind == PIN_GETFD));
		/* SEEK_DATA calls everything past the end a hole: the size tells */
		j->fext[i].size = j->fext[i].fd >= 0 && fstat(j->fext[i].fd, &st) == 0
		                      ? (uint64_t)st.st_size
		                      : UINT64_MAX;
		job_ext_reset(&j->fext[i]);
	}
}

/* Read the data region [O, O+LEN) of SIDE into P. The result is read back with
 * O_DIRECT, which reads what the storage holds, not the page cache, and twice as
 * fast as buffered reads of pages just dropped; the source stays buffered: its
 * holder writes through the page cache. Returns the bytes read (short at the end)
 * or a negative errno. P has 4 KiB of room past LEN for the alignment. */
static ssize_t read_data(struct job *j, int side, unsigned char *p, uint64_t len, uint64_t o)
{
	int dfd = side == 0 ? -1 : dio_fd(j, side);
	ssize_t r;

	if (dfd >= 0 && (o % 512) == 0) {
		size_t want = (size_t)((len + 4095) / 4096 * 4096);
		do
			r = pread(dfd, p, want, (off_t)o);
		while (r < 0 && errno == EINTR);
		if (r < 0 && errno == EINVAL) {
			/* this filesystem or alignment will not do: buffered from now */
			close(j->dio[side]);
			j->dio[side] = -1;
			return read_data(j, side, p, len, o);
		}
		if (r < 0)
			return -errno;
		return (uint64_t)r > len ? (ssize_t)len : r;
	}
	return side == 0 ? job_src_read(j, p, (size_t)len, o)
	                 : pread_all(j->dst_fd, p, (size_t)len, o);
}

/* Read N bytes of SIDE at OFF, holes as zeros (fewer only at the end). SEEK_HOLE is
 * trusted on both sides: a hole is never read, so a sparse file costs what its data
 * costs (reading 8 GiB of holes, even through O_DIRECT, took seconds). */
ssize_t job_read_full(struct job *j, int side, unsigned char *buf, size_t n, uint64_t off,
                      bool *hole)
{
	struct job_ext *e = &j->fext[side];
	uint64_t end = off + n, o = off, rend;

	if (hole)
		*hole = false;
	if (side == 0 && j->src_direct)
		return job_src_read(j, buf, n, off);
	e->fd = side_fd(j, side);
	if (e->ok && e->size != UINT64_MAX && end > e->size)
		end = e->size > off ? e->size : off;
	if (hole && end == off + n && end > off && !job_ext_region(e, off, end, &rend) &&
	    rend == end) {
		*hole = true;
		return (ssize_t)n;
	}
	while (o < end) {
		bool data = job_ext_region(e, o, end, &rend);
		uint64_t len = rend - o;
		ssize_t r;

		if (!data) {
			memset(buf + (o - off), 0, (size_t)len);
			o = rend;
			continue;
		}
		r = read_data(j, side, buf + (o - off), len, o);
		if (r < 0)
			return r;
		o += (uint64_t)r;
		if ((uint64_t)r < len)
			break; /* the end of the file */
	}
	return (ssize_t)(o - off);
}

void job_ext_reset(struct job_ext *e)
{
	e->start = e->end = 0;
}

/* Is OFF in data (true) or a hole? *REND is where that region ends (at most LIMIT).
 * Without SEEK_DATA everything is data. */
bool job_ext_region(struct job_ext *e, uint64_t off, uint64_t limit, uint64_t *rend)
{
	off_t d, h;

	if (!e->ok) {
		*rend = limit;
		return true;
	}
	if (off >= e->start && off < e->end) {
		*rend = e->end < limit ? e->end : limit;
		return e->data;
	}
	d = lseek(e->fd, (off_t)off, SEEK_DATA);
	if (d < 0) {
		if (errno != ENXIO) {
			/* the filesystem cannot tell: read it all */
			e->ok = false;
			*rend = limit;
			return true;
		}
		e->start = off;
		e->end = limit;
		e->data = false;
	} else if ((uint64_t)d > off) {
		e->start = off;
		e->end = (uint64_t)d;
		e->data = false;
	} else {
		h = lseek(e->fd, (off_t)off, SEEK_HOLE);
		e->start = off;
		e->end = h < 0 || (uint64_t)h <= off ? limit : (uint64_t)h;
		e->data = true;
	}
	*rend = e->end < limit ? e->end : limit;
	return e->data;
}

/* ---- writing ---- */

/* Write-behind in two windows: start writeback of what was just written, and once a
 * window is full wait for the previous one and drop it from the page cache, so a
 * 100 GiB copy neither fills memory with dirty pages nor stalls on one big flush. */
static int wb_note(struct job *j, uint64_t off, uint64_t n)
{
	int fd = j->dst_fd;

	(void)sync_file_range(fd, (off_t)off, (off_t)n, SYNC_FILE_RANGE_WRITE);
	if (j->wb_hi == 0 || off < j->wb_lo)
		j->wb_lo = off;
	if (off + n > j->wb_hi)
		j->wb_hi = off + n;
	j->wb_pend += n;
	if (j->wb_pend < JOB_WB_WINDOW)
		return 0;
	if (j->wb_phi > j->wb_plo) {
		if (sync_file_range(fd, (off_t)j->wb_plo, (off_t)(j->wb_phi - j->wb_plo),
		                    SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		                        SYNC_FILE_RANGE_WAIT_AFTER) < 0 &&
		    errno != ESPIPE && errno != EINVAL)
			return -errno;
		(void)posix_fadvise(fd, (off_t)j->wb_plo, (off_t)(j->wb_phi - j->wb_plo),
		                    POSIX_FADV_DONTNEED);
	}
	j->wb_plo = j->wb_lo;
	j->wb_phi = j->wb_hi;
	j->wb_lo = j->wb_hi = j->wb_pend = 0;
	return 0;
}

int job_dst_write(struct job *j, const void *buf, size_t n, uint64_t off)
{
	const char *p = buf;
	uint64_t o = off;
	size_t left = n;

	while (left) {
		ssize_t w = pwrite(j->dst_fd, p, left, (off_t)o);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		o += (uint64_t)w;
		left -= (size_t)w;
	}
	j->res.bytes_written += n;
	j->j_bytes += n;
	return wb_note(j, off, n);
}

/* Write to the stream. SIGPIPE is held back for this thread so that a reader going
 * away is an error (EPIPE), not the death of the program. */
int job_stream_write(struct job *j, const void *buf, size_t n)
{
	sigset_t pipe_set, old;
	const char *p = buf;
	int r = 0;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	while (n) {
		ssize_t w = write(j->dst_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			usleep(1000);
			continue;
		}
		if (w < 0) {
			r = -errno;
			break;
		}
		p += w;
		n -= (size_t)w;
		j->res.bytes_written += (uint64_t)w;
	}
	if (r == -EPIPE && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = {0, 0};
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* Everything written is on disk and out of the page cache (verification then reads
 * what the storage really holds). */
int job_dst_flush(struct job *j)
{
	if (j->stream)
		return 0;
	if (fsync(j->dst_fd) < 0)
		return -errno;
	(void)posix_fadvise(j->dst_fd, 0, 0, POSIX_FADV_DONTNEED);
	j->wb_lo = j->wb_hi = j->wb_plo = j->wb_phi = j->wb_pend = 0;
	return 0;
}

/* ---- throttling ---- */

void job_sleep_until(int64_t t)
{
	struct timespec ts = {.tv_sec = t / NS_PER_SEC, .tv_nsec = t % NS_PER_SEC};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A token bucket that may go into debt by one chunk: before reading N more bytes,
 * wait until the debt is paid, but never past DEADLINE. Returns false when the step
 * should end first. The frozen pass is never throttled: production is stopped. */
bool job_throttle(struct job *j, uint64_t n, int64_t deadline)
{
	double rate = (double)j->spec.max_rate;
	int64_t now;

	if (!j->spec.max_rate || j->fz.stopped || j->fz.fs_frozen)
		return true;
	now = job_now();
	if (j->t_tokens == 0)
		j->t_tokens = now;
	j->tokens += rate * (double)(now - j->t_tokens) / 1e9;
	j->t_tokens = now;
	if (j->tokens > rate / 4)
		j->tokens = rate / 4; /* a small burst at most */
	if (j->tokens < 0) {
		int64_t wait = (int64_t)(-j->tokens / rate * 1e9) + 1;
		if (now + wait > deadline) {
			job_sleep_until(deadline);
			return false;
		}
		job_sleep_until(now + wait);
		now = job_now();
		j->tokens += rate * (double)(now - j->t_tokens) / 1e9;
		j->t_tokens = now;
	}
	j->tokens -= (double)n;
	return true;
}

/* ---- hashing ---- */

bool job_is_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	if (n == 0)
		return true;
	if (n < 16) {
		for (size_t i = 0; i < n; i++)
			if (c[i])
				return false;
		return true;
	}
	for (size_t i = 0; i < 16; i++)
		if (c[i])
			return false;
	return memcmp(c, c + 16, n - 16) == 0;
}

/* A block's hash over the block padded with zeros to BLOCK bytes: a block that grows
 * or shrinks at the end of the file compares right with what the target holds
 * (ftruncate fills with zeros). P must have room for BLOCK bytes. */
uint64_t job_block_hash(const unsigned char *p, size_t n, size_t block)
{
	if (n < block)
		memset((unsigned char *)p + n, 0, block - n);
	return XXH3_64bits(p, block);
}

/* Make the table cover SIZE bytes of source (from j->lo). New blocks hash as zeros:
 * that is what the target holds there after ftruncate. */
int job_table_resize(struct job *j, uint64_t size)
{
	uint64_t span = size > j->lo ? size - j->lo : 0;
	size_t n = (size_t)((span + j->block - 1) / j->block);

	if (n > j->table_cap) {
		size_t cap = j->table_cap ? j->table_cap : 1024;
		uint64_t *t;
		while (cap < n)
			cap *= 2;
		t = realloc(j->table, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		j->table = t;
		j->table_cap = cap;
	}
	for (size_t i = j->nblocks; i < n; i++)
		j->table[i] = j->zero_hash;
	j->nblocks = n;
	return 0;
}

/* ---- the true size of a loop backing file ---- */

/* XFS_IOC_BULKSTAT (v5, Linux 5.2) from xfs_fs.h, which is not installed with the
 * kernel headers: the request header, then one struct xfs_bulkstat (192 bytes) whose
 * second field is the size. It also answers for an inode with no name left. */
struct rt_xfs_bulk_ireq {
	uint64_t ino;
	uint32_t flags, icount, ocount, agno;
	uint64_t reserved[5];
};
#define RT_XFS_IOC_BULKSTAT _IOR('X', 127, struct rt_xfs_bulk_ireq)

/* The size of inode INO on the filesystem of DEV when the loop device cannot tell
 * (xfs only, needs CAP_SYS_ADMIN). Returns 0 and *SIZE, or a negative errno. */
int job_true_size(dev_t dev, uint64_t ino, uint64_t *size)
{
	union {
		struct rt_xfs_bulk_ireq hdr;
		unsigned char raw[sizeof(struct rt_xfs_bulk_ireq) + 192];
	} req;
	struct mounts *m = mounts_open();
	uint64_t got[2];
	int fd, r = 0;

	if (!m)
		return -errno;
	fd = mounts_open_fs(m, dev);
	mounts_close(m);
	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.hdr.ino = ino;
	req.hdr.icount = 1;
	if (ioctl(fd, RT_XFS_IOC_BULKSTAT, &req) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return r;
	memcpy(got, req.raw + sizeof(req.hdr), sizeof(got));
	if (req.hdr.ocount != 1 || got[0] != ino)
		return -ENOENT;
	*size = got[1];
	return 0;
}
