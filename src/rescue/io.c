/* job I/O: reading the source, writing the result with write-behind, throttling,
 * hashing and the final verification. See job_impl.h. */
#include "rescue/job_impl.h"

#include "find/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
		j->fext[i].fd = side_fd(j, i);
		j->fext[i].ok = !(i == 0 && j->loopdev);
		job_ext_reset(&j->fext[i]);
	}
}

/* Read N bytes of SIDE at OFF in full, holes included (fewer only at the end). The
 * check must not trust SEEK_HOLE, yet buffered reads of holes make the kernel zero
 * page after page of cache (20 s and 8 GiB of cache for a 4 GiB sparse file). So
 * the source's data is read through the page cache, and what SEEK_HOLE calls a hole
 * (and all of the result) through O_DIRECT: the kernel zero-fills our buffer for a
 * real hole and reads the data for anything else. BUF has 4 KiB of room past N for
 * the alignment. */
ssize_t job_read_full(struct job *j, int side, unsigned char *buf, size_t n, uint64_t off)
{
	struct job_ext *e = &j->fext[side];
	uint64_t end = off + n, o = off;

	if (side == 0 && j->src_direct)
		return job_src_read(j, buf, n, off);
	e->fd = side_fd(j, side);
	while (o < end) {
		uint64_t rend, len;
		bool data = job_ext_region(e, o, end, &rend);
		/* The result is read back with O_DIRECT, data too: that reads what the
		 * storage holds, not the page cache, and twice as fast as buffered reads
		 * of pages just dropped. The source's data stays buffered: its holder
		 * writes through the page cache. */
		int dfd = data && side == 0 ? -1 : dio_fd(j, side);
		ssize_t r;

		len = rend - o;

		if (dfd >= 0 && (o % 512) == 0) {
			size_t want = (size_t)((len + 4095) / 4096 * 4096);
			do
				r = pread(dfd, buf + (o - off), want, (off_t)o);
			while (r < 0 && errno == EINTR);
			if (r < 0 && errno == EINVAL) {
				/* this filesystem or alignment will not do: buffered from now */
				close(j->dio[side]);
				j->dio[side] = -1;
				continue;
			}
			if (r < 0)
				return -errno;
			if ((uint64_t)r > len)
				r = (ssize_t)len;
		} else {
			r = side == 0 ? job_src_read(j, buf + (o - off), (size_t)len, o)
			              : pread_all(j->dst_fd, buf + (o - off), (size_t)len, o);
			if (r < 0)
				return r;
		}
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
	struct timespec ts = {.tv_sec = t / 1000000000ll, .tv_nsec = t % 1000000000ll};

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

void job_hash_zeros(XXH3_state_t *h, uint64_t n)
{
	static const unsigned char zeros[65536];

	while (n) {
		size_t k = n < sizeof(zeros) ? (size_t)n : sizeof(zeros);
		XXH3_128bits_update(h, zeros, k);
		n -= k;
	}
}

void job_digest(XXH3_state_t *h, unsigned char out[16])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
	memcpy(out, c.digest, 16);
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

/* ---- verification ---- */

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Hash one chunk of side S at V->pos. Both sides are read in full: holes read as
 * zeros, so the check does not trust SEEK_HOLE the way the copy does. */
static int verify_chunk(struct job *j, struct job_verify *v)
{
	uint64_t n = v->end - v->pos;
	ssize_t r;

	if (n > j->chunk)
		n = j->chunk;
	/* keep chunks on the grid so O_DIRECT reads and block checks stay aligned */
	if (v->pos < j->lo && n > j->lo - v->pos) {
		n = j->lo - v->pos;
	} else if (v->pos >= j->lo) {
		uint64_t into = (v->pos - j->lo) % j->chunk;
		if (into && n > j->chunk - into)
			n = j->chunk - into;
	}
	if (v->side == 0) {
		if (v->pos < j->lo) {
			/* before a loop device's offset: unreadable, counted as zeros */
			n = j->lo - v->pos < n ? j->lo - v->pos : n;
			job_hash_zeros(v->a, n);
			v->pos += n;
			return 0;
		}
		r = job_read_full(j, 0, j->buf, (size_t)n, v->pos);
		if (r < 0)
			return job_fail_read(j, (int)r, v->pos);
		if ((uint64_t)r < n) {
			/* the source shrank: hash what is there; the sizes will differ */
			XXH3_128bits_update(v->a, j->buf, (size_t)r);
			v->pos = v->end;
			j->work += (uint64_t)r;
			return 0;
		}
		XXH3_128bits_update(v->a, j->buf, (size_t)n);
	} else {
		size_t got;
		r = job_read_full(j, 1, j->buf, (size_t)n, v->pos);
		if (r < 0)
			return job_fail(j, (int)r, "cannot read back %s: %s%s", j->res.final_path,
			                strerror((int)-r),
			                r == -EIO ? ": the target's storage is failing (see dmesg)"
			                          : "");
		got = (size_t)r;
		if (got < n) {
			memset(j->buf + got, 0, (size_t)n - got);
			v->table_bad = true; /* shorter than it should be */
			v->table_bad_at = v->pos + got;
		}
		(void)posix_fadvise(j->dst_fd, (off_t)v->pos, (off_t)n, POSIX_FADV_DONTNEED);
		/* a: compared with the source; b: the landing check */
		if (v->pos + n > v->a_from) {
			uint64_t s = v->pos < v->a_from ? v->a_from - v->pos : 0;
			XXH3_128bits_update(v->a, j->buf + s, (size_t)(n - s));
		}
		if (v->b && !v->b_is_a && v->pos + n > v->b_from) {
			uint64_t s = v->pos < v->b_from ? v->b_from - v->pos : 0;
			XXH3_128bits_update(v->b, j->buf + s, (size_t)(n - s));
		}
		if (j->table && v->pos >= j->lo && !v->table_bad) {
			/* sync: every block must be what we wrote */
			for (uint64_t o = 0; o < n; o += j->block) {
				uint64_t i = (v->pos - j->lo + o) / j->block;
				size_t len = (size_t)(n - o < j->block ? n - o : j->block);
				if (i < j->nblocks &&
				    job_block_hash(j->buf + o, len, j->block) != j->table[i]) {
					v->table_bad = true;
					v->table_bad_at = v->pos + o;
					break;
				}
			}
		}
	}
	v->pos += n;
	j->work += n;
	return 0;
}

static int verify_side_begin(struct job *j, struct job_verify *v)
{
	job_full_reset(j);
	if (v->side == 0) {
		XXH3_128bits_reset(v->a);
		if (fstat(j->spec.src->fd, &v->st0) < 0)
			return job_fail(j, -errno, "cannot look at the source: %s",
			                strerror(errno));
		v->pos = 0;
		/* follow compares what it copied (the writer may still append); the others
		 * the whole source as it is now: a size that moved shows as a difference */
		if (j->spec.method == REC_FOLLOW)
			v->end = j->src_pos;
		else if (j->loopdev)
			v->end = j->end;
		else
			v->end = (uint64_t)v->st0.st_size;
	} else {
		int r = job_dst_flush(j);
		if (r < 0)
			return job_fail_write(j, r);
		XXH3_128bits_reset(v->a);
		XXH3_128bits_reset(v->b);
		v->pos = 0;
		if (j->spec.method == REC_FOLLOW) {
			v->end = j->tgt_pos;
			v->a_from = j->tail_start;
		} else {
			v->end = j->end;
			v->a_from = 0;
		}
		v->b_from = j->stream_from;
		v->b_is_a = v->a_from == v->b_from; /* one hash of the same bytes */
	}
	v->started = true;
	return 0;
}

static int verify_conclude(struct job *j)
{
	struct job_verify *v = &j->v;
	unsigned char landed[16], streamed[16];
	bool equal, landed_ok = true;

	job_digest(v->a, j->res.dst_hash);
	if (v->b) {
		if (v->b_is_a)
			memcpy(landed, j->res.dst_hash, sizeof(landed));
		else
			job_digest(v->b, landed);
		job_digest(j->stream_h, streamed);
		if (j->stream_valid && !j->table)
			landed_ok = memcmp(landed, streamed, 16) == 0;
	}
	if (j->table && v->table_bad)
		landed_ok = false;
	if (!landed_ok) {
		j->jpos = j->lo; /* a new run copies it again */
		if (v->table_bad)
			return job_fail(j, -EIO,
			                "the result %s does not hold what was written to it (near "
			                "byte %" PRIu64
			                "): the target's storage may be failing; check "
			                "dmesg and rescue to another disk",
			                j->res.final_path, v->table_bad_at);
		return job_fail(j, -EIO,
		                "the result %s does not hold what was written to it: the target's "
		                "storage may be failing; check dmesg and rescue to another disk",
		                j->res.final_path);
	}
	equal = memcmp(j->res.src_hash, j->res.dst_hash, 16) == 0;
	if (!equal && !j->loopdev && !v->src_moved &&
	    (j->spec.method == REC_COPY || (j->spec.method == REC_REFLINK && !j->table))) {
		/* The source kept its size and mtime: the difference is ours (a part copied
		 * before an interruption, or storage that lies). */
		j->jpos = j->lo;
		return job_fail(j, -EIO,
		                "the result %s differs from the source, which did not change: the "
		                "target's storage may be failing (see dmesg); run the same command "
		                "again, it copies afresh",
		                j->res.final_path);
	}
	/* What was written landed (checked above), so a difference is the source's. */
	j->res.verified = equal && !j->freeze_broken;
	j->res.source_changed = !equal || j->freeze_broken;
	j->res.size = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->end;
	if (j->freeze_broken) {
		job_say(j,
		        "writer %d was resumed by someone else during the frozen pass: the "
		        "result is a live copy, not a consistent one; check it before use",
		        (int)j->freeze_broken);
	} else if (equal) {
		char extra[220] = "";
		if (j->spec.method == REC_FOLLOW && j->res.truncations)
			snprintf(
			    extra, sizeof(extra),
			    "; the source was truncated %u time(s), the last at its byte %" PRIu64
			    " (result offset %" PRIu64 "): everything before is kept",
			    j->res.truncations, j->last_trunc_src, j->tail_start);
		else if (j->spec.method == REC_FOLLOW && !j->writers_gone && j->spec.nwriters)
			snprintf(extra, sizeof(extra),
			         "; following was stopped by request: a writer may still add to "
			         "the file");
		else if (j->loopdev && j->res.unreadable > 0)
			snprintf(extra, sizeof(extra),
			         "; %" PRId64
			         " bytes of the file could not be read through the loop "
			         "device (before its offset, after its last whole sector)",
			         j->res.unreadable);
		else if (j->loopdev && j->res.unreadable < 0)
			snprintf(
			    extra, sizeof(extra),
			    "; the loop device shows the file only up to its last whole sector: "
			    "a tail of unknown length (under 4096 bytes unless a size limit "
			    "was set) could not be read");
		job_say(j, "verified: the result equals the source (%" PRIu64 " bytes)%s",
		        j->res.size, extra);
	} else {
		switch (j->spec.method) {
		case REC_COPY:
			job_say(j, "the source changed during the copy, so this copy mixes old and "
			           "new data: use sync (with --freeze for a consistent copy)");
			break;
		case REC_FOLLOW:
			job_say(j, "the source changed other than by appending while it was "
			           "followed: the result is not an exact copy; use sync");
			break;
		case REC_REFLINK:
			if (!j->table) {
				job_say(j,
				        "the source changed after the clone was taken: the clone "
				        "is an atomic snapshot of that moment, but could not be "
				        "compared byte for byte");
				break;
			}
			/* fall through */
		default:
			job_say(j, "the source kept changing: the result is a live copy (like "
			           "after a crash); check it before use, or use --freeze for a "
			           "consistent one");
			break;
		}
	}
	return 0;
}

/* Can the hash of what the copy read stand for the source? Only for a whole copy in
 * one run (nothing resumed, nothing before a loop offset), sent to a file, of a
 * source the caller says no holder could write, whose size and mtime are still
 * those of the start. Any other source is read again: a writer could have changed a
 * block already copied. */
static bool source_stood_still(struct job *j)
{
	struct stat now;

	if (j->spec.method != REC_COPY || !j->stream_valid || j->stream_from != 0 || j->stream ||
	    j->loopdev || j->lo || !j->spec.src_static || j->res.resumed)
		return false;
	return fstat(j->spec.src->fd, &now) == 0 && same_stat(&now, &j->st_start);
}

int job_verify_step(struct job *j, int64_t deadline)
{
	struct job_verify *v = &j->v;
	int r;

	if (!v->a) {
		v->a = XXH3_createState();
		v->b = XXH3_createState();
		if (!v->a || !v->b)
			return job_fail(j, -ENOMEM, "out of memory");
		/* the frozen pass already hashed the source while nothing could change it;
		 * so did a copy of a source that nobody could write; a stream has no
		 * target to read back */
		if (!j->frozen_hash_done && source_stood_still(j)) {
			job_digest(j->stream_h, j->res.src_hash);
			job_say(j, "nobody could write the source and it did not change: the "
			           "hash taken while copying stands for it");
			j->src_hash_done = true;
		}
		j->src_hash_done |= j->frozen_hash_done;
		v->side = j->src_hash_done ? 1 : 0;
		v->started = false;
	}
	while (v->side < 2) {
		if (!v->started && (r = verify_side_begin(j, v)) < 0)
			return r;
		while (v->pos < v->end) {
			uint64_t e0 = j->spec.method == REC_FOLLOW ? j->src_pos : j->end;
			uint64_t e1 = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->end;
			uint64_t total = (j->src_hash_done ? 0 : e0) + (j->stream ? 0 : e1);
			if ((r = verify_chunk(j, v)) < 0)
				return r;
			job_publish(j, v->pos + (v->side && !j->src_hash_done ? e0 : 0), total);
			if (job_cancelled(j) || job_now() >= deadline)
				return 1;
		}
		if (v->side == 0) {
			struct stat st1;
			job_digest(v->a, j->res.src_hash);
			if (fstat(j->spec.src->fd, &st1) < 0 || !same_stat(&st1, &v->st0) ||
			    !same_stat(&v->st0, &j->st_start))
				v->src_moved = true;
			if (j->stream) {
				unsigned char sent[16];
				job_digest(j->stream_h, sent);
				memcpy(j->res.dst_hash, sent, 16);
				j->res.verified = memcmp(sent, j->res.src_hash, 16) == 0;
				j->res.source_changed = !j->res.verified;
				j->res.size = j->end;
				if (j->res.verified)
					job_say(j,
					        "verified: a second read of the source hashes the "
					        "same as the %" PRIu64 " bytes sent",
					        j->end);
				else
					job_say(
					    j, "the source changed while it was streamed: what was "
					       "sent mixes old and new data; use sync to a file");
				job_set_phase(j, PH_FINISH, "finishing");
				return 0;
			}
		}
		v->side++;
		v->started = false;
	}
	if ((r = verify_conclude(j)) < 0)
		return r;
	job_set_phase(j, PH_FINISH, "finishing");
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
