/* salvage: a rescue that survives read errors on the source. See salvage.h; the
 * map itself is rescue/badmap.c. */
#include "rescue/salvage.h"
#include "base/util.h"
#include "rescue/io.h"
#include "rescue/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/falloc.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

bool job_media_error(int err)
{
	switch (-err) {
	case EIO:
	case ENXIO:
	case EREMOTEIO:
	case ENODATA:
	case EBADMSG:
	case EUCLEAN:
		return true;
	default:
		return false;
	}
}

/* The result offset of the source's byte 0. */
static uint64_t result_delta(const struct job *j)
{
	return j->spec.method == REC_FOLLOW ? j->tail_start : 0;
}

void job_unread_publish(struct job *j)
{
	uint64_t total = badmap_total(&j->bad);

	j->res.unread_bytes = total;
	j->res.unread_ranges = (unsigned)j->bad.n;
	pthread_mutex_lock(&j->mu);
	j->prog.unread_bytes = total;
	j->prog.unread_ranges = (unsigned)j->bad.n;
	pthread_mutex_unlock(&j->mu);
}

/* ---- reading around errors ---- */

/* HOLE (full reads only, may be NULL): as job_read_full's. */
static ssize_t raw_read(struct job *j, bool full, unsigned char *buf, size_t n, uint64_t off,
                        bool *hole)
{
	return full ? job_read_full(j, 0, buf, n, off, hole) : job_src_read(j, buf, n, off);
}

/* Read [OFF, OFF+N); where that fails, each half, down to one unit, which is then
 * recorded. Units are on the grid that starts at j->lo (a loop device's offset), so
 * that O_DIRECT reads of the device stay aligned. Left to right, so that an
 * O_DIRECT read rounded up past its piece only touches bytes read afterwards.
 * *EOF: the source ended. */
static ssize_t bisect(struct job *j, bool full, unsigned char *buf, size_t n, uint64_t off,
                      uint64_t delta, bool *eof, bool whole, bool *hole)
{
	ssize_t r = raw_read(j, full, buf, n, off, hole), a, b;
	uint64_t mid;

	if (r >= 0) {
		if (badmap_remove(&j->bad, off + delta, (uint64_t)r) < 0)
			return -ENOMEM;
		if (!hole || !*hole) /* a hole is not read */
			j->res.bytes_read += (uint64_t)r;
		*eof = (size_t)r < n;
		return r;
	}
	if (!job_media_error((int)r))
		return r;
	mid = j->lo + (off - j->lo + n / 2) / j->unit * j->unit;
	if (mid <= off)
		mid = j->lo + ((off - j->lo) / j->unit + 1) * j->unit;
	if (whole || mid >= off + n) {
		/* within one unit: this is what fails */
		memset(buf, 0, n);
		if (badmap_add(&j->bad, off + delta, n, (int)-r) < 0)
			return -ENOMEM;
		j->bad_seen = true;
		return (ssize_t)n;
	}
	a = bisect(j, full, buf, (size_t)(mid - off), off, delta, eof, false, NULL);
	if (a < 0 || *eof)
		return a;
	b = bisect(j, full, buf + (mid - off), (size_t)(off + n - mid), mid, delta, eof, false,
	           NULL);
	return b < 0 ? b : a + b;
}

ssize_t job_salvage_read(struct job *j, bool full, unsigned char *buf, size_t n, uint64_t off,
                         uint64_t delta, bool *hole)
{
	size_t before = j->bad.n;
	uint64_t read0 = j->res.bytes_read;
	bool eof = false;
	ssize_t r;

	if (hole)
		*hole = false;
	if (!j->unit)
		j->unit = JOB_BLOCK_MIN;
	/* A disk that failed a whole chunk is likely to fail the next: do not spend
	 * thousands of failing reads on it now, the retries come back for it. */
	r = bisect(j, full, buf, n, off, delta, &eof, j->skip_ahead && !j->retry_in_round, hole);
	if (r > 0 && !(hole && *hole))
		j->skip_ahead = j->res.bytes_read == read0;
	if (r >= 0 && (j->bad.n || before))
		job_unread_publish(j);
	return r;
}

/* ---- what is known: everything but the map ---- */

/* The piece of [O, END) that starts at O: known (true) or unread, and where it ends.
 * *I is the map index to look at, kept between calls. */
static bool next_piece(const struct badmap *m, size_t *i, uint64_t o, uint64_t end, uint64_t *pend)
{
	while (*i < m->n && m->v[*i].start + m->v[*i].len <= o)
		(*i)++;
	if (*i < m->n && m->v[*i].start <= o) {
		uint64_t e = m->v[*i].start + m->v[*i].len;
		*pend = e < end ? e : end;
		return false;
	}
	*pend = *i < m->n && m->v[*i].start < end ? m->v[*i].start : end;
	return true;
}

/* Make result range [OFF, END) read as zeros without writing data there: a hole
 * (it usually is one already), or zeros where the filesystem cannot punch. */
static int unread_hole(struct job *j, uint64_t off, uint64_t end)
{
	static const unsigned char zeros[JOB_BLOCK_MIN];

	if (fallocate(j->dst_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
	              (off_t)(end - off)) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	for (uint64_t o = off; o < end; o += sizeof(zeros)) {
		size_t k = end - o < sizeof(zeros) ? (size_t)(end - o) : sizeof(zeros);
		if (pwrite(j->dst_fd, zeros, k, (off_t)o) != (ssize_t)k)
			return errno ? -errno : -EIO;
	}
	return 0;
}

int job_write_known(struct job *j, const unsigned char *buf, size_t n, uint64_t off)
{
	size_t i = badmap_find(&j->bad, off);
	uint64_t end = off + n, pend;
	int r;

	for (uint64_t o = off; o < end; o = pend) {
		if (!next_piece(&j->bad, &i, o, end, &pend))
			r = unread_hole(j, o, pend); /* never what an earlier read left */
		else
			r = job_dst_write(j, buf + (o - off), (size_t)(pend - o), o);
		if (r < 0)
			return r;
	}
	return 0;
}

ssize_t job_read_known(struct job *j, unsigned char *buf, size_t n, uint64_t off, uint64_t delta,
                       bool *hole)
{
	uint64_t end = off + delta + n, pend, counted = j->res.bytes_read;
	ssize_t r = (ssize_t)n;

	*hole = false;
	if (!badmap_overlaps(&j->bad, off + delta, n)) {
		/* the whole range may be a hole: then nothing is read or touched */
		uint64_t total = badmap_total(&j->bad);
		r = job_salvage_read(j, true, buf, n, off, delta, hole);
		if (r >= 0)
			j->unchecked += badmap_total(&j->bad) - total;
		j->res.bytes_read = counted; /* verification's reads are not the copy's */
		return r;
	}
	for (uint64_t o = off + delta; o < end; o = pend) {
		unsigned char *p = buf + (o - off - delta);
		size_t i = badmap_find(&j->bad, o);
		if (!next_piece(&j->bad, &i, o, end, &pend)) {
			memset(p, 0, (size_t)(pend - o));
			continue;
		}
		/* a block that fails only now joins the map: left out on both sides */
		uint64_t total = badmap_total(&j->bad);
		r = job_salvage_read(j, true, p, (size_t)(pend - o), o - delta, delta, NULL);
		if (r < 0)
			break;
		j->unchecked += badmap_total(&j->bad) - total;
		if ((uint64_t)r < pend - o) {
			r = (ssize_t)(o - off - delta + (uint64_t)r); /* the end came early */
			break;
		}
		r = (ssize_t)n;
	}
	j->res.bytes_read = counted; /* verification's reads are not the copy's */
	return r;
}

/* BUF[O - OFF, PEND - OFF) into H; a NULL BUF is zeros (a hole, not read). */
static void hash_piece(struct chash *h, const unsigned char *buf, uint64_t off, uint64_t o,
                       uint64_t pend)
{
	if (buf)
		chash_update(h, buf + (o - off), (size_t)(pend - o));
	else
		chash_zeros(h, pend - o);
}

void job_hash_known(struct job *j, struct chash *h, const unsigned char *buf, size_t n,
                    uint64_t off)
{
	size_t i;
	uint64_t end = off + n, pend;

	if (!badmap_overlaps(&j->bad, off, n)) {
		hash_piece(h, buf, off, off, end);
		return;
	}
	i = badmap_find(&j->bad, off);
	for (uint64_t o = off; o < end; o = pend)
		if (next_piece(&j->bad, &i, o, end, &pend))
			hash_piece(h, buf, off, o, pend);
}

/* ---- retries ---- */

static void retries_end(struct job *j)
{
	j->retry_done = true;
	if (j->retry_wrote) {
		/* what passed while copying no longer describes the result: the
		 * comparison with the source is the check now */
		j->stream_valid = false;
		free(j->table);
		j->table = NULL;
		j->nblocks = j->table_cap = 0;
	}
	job_unread_publish(j);
	if (j->bad.n && j->retry_round)
		job_say(
		    j,
		    "%" PRIu64
		    " bytes in %zu range(s) still could not be read after %u retry round(s); verifying what was read",
		    badmap_total(&j->bad), j->bad.n, j->retry_round);
	job_set_phase(j, PH_VERIFY, "verifying");
}

/* A round begins after a short pause (a disk that just failed may answer later). */
static int round_begin(struct job *j, int64_t deadline)
{
	int64_t now = job_now();

	if (!j->retry_wait) {
		char ph[32];
		j->retry_wait = now + JOB_RETRY_PAUSE_NS;
		snprintf(ph, sizeof(ph), "retrying (%u of %u)", j->retry_round + 1, j->retries);
		job_set_phase(j, PH_VERIFY, ph);
		job_say(j,
		        "%" PRIu64 " bytes in %zu range(s) could not be read: reading them again",
		        badmap_total(&j->bad), j->bad.n);
	}
	if (now < j->retry_wait) {
		if (j->retry_wait > deadline) {
			job_sleep_until(deadline);
			return 1;
		}
		job_sleep_until(j->retry_wait);
	}
	j->retry_wait = 0;
	j->retry_in_round = true;
	j->retry_pos = 0;
	return 0;
}

/* Read result range [S, E) of the source again; write what reads now. */
static int retry_piece(struct job *j, uint64_t s, uint64_t e)
{
	uint64_t delta = result_delta(j), written = j->res.bytes_written;
	ssize_t k = job_salvage_read(j, false, j->buf, (size_t)(e - s), s - delta, delta, NULL);
	int r;

	if (k < 0)
		return job_fail_read(j, (int)k, s - delta);
	if (k > 0 && (r = job_write_known(j, j->buf, (size_t)k, s)) < 0)
		return job_fail_write(j, r);
	if (j->res.bytes_written != written)
		j->retry_wrote = true;
	j->work += e - s;
	return 0;
}

int job_retry_step(struct job *j, int64_t deadline)
{
	uint64_t delta = result_delta(j), size;
	int r;

	size = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->end;
	for (;;) {
		size_t i;
		uint64_t s, e;
		if (j->stream || !j->bad.n || j->retry_round >= j->retries) {
			retries_end(j);
			return 0;
		}
		if (!j->retry_in_round && (r = round_begin(j, deadline)) != 0)
			return r;
		i = badmap_find(&j->bad, j->retry_pos);
		if (i == j->bad.n) {
			j->retry_round++;
			j->retry_in_round = false;
			if ((r = job_journal_save(j)) < 0)
				return job_fail_write(j, r);
			continue;
		}
		s = j->bad.v[i].start > j->retry_pos ? j->bad.v[i].start : j->retry_pos;
		e = j->bad.v[i].start + j->bad.v[i].len;
		if (s < delta) {
			/* before the last truncation of a followed file: no longer there */
			j->retry_pos = e;
			continue;
		}
		if (e - s > j->chunk)
			e = s + j->chunk;
		if (!job_throttle(j, e - s, deadline))
			return 1;
		if ((r = retry_piece(j, s, e)) < 0)
			return r;
		j->retry_pos = e;
		job_publish(j, e, size);
		if ((r = job_journal_maybe(j, job_now())) < 0)
			return r;
		if (job_cancelled(j) || job_now() >= deadline)
			return 1;
	}
}

/* ---- the end ---- */

int job_unread_conclude(struct job *j, bool equal)
{
	const struct badrange *first = &j->bad.v[0];

	job_unread_publish(j);
	j->res.verified = false;
	j->res.source_changed = !equal && !j->stream;
	j->res.size = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->end;
	if (j->stream)
		job_say(j,
		        "%" PRIu64
		        " bytes in %zu range(s) could not be read (the first at byte %" PRIu64
		        ", %s) and were sent as zeros: the copy is incomplete",
		        j->res.unread_bytes, j->bad.n, first->start, strerror(first->err));
	else if (j->unchecked)
		job_say(
		    j,
		    "%" PRIu64
		    " bytes in %zu range(s) could not be read (the first at byte %" PRIu64
		    ", %s); %" PRIu64
		    " of them were copied but could not be read again to check them, the rest are holes; %s; the map is %s",
		    j->res.unread_bytes, j->bad.n, first->start, strerror(first->err), j->unchecked,
		    equal ? "everything else equals the source" : "the rest differs",
		    j->unread_base ? j->unread_base : "kept");
	else
		job_say(j,
		        "%" PRIu64
		        " bytes in %zu range(s) could not be read (the first at byte %" PRIu64
		        ", %s): they are holes in the result; %s; the map of what is missing is %s",
		        j->res.unread_bytes, j->bad.n, first->start, strerror(first->err),
		        equal ? "everything else equals the source"
		              : "what was read does not equal the source (it changed meanwhile)",
		        j->unread_base ? j->unread_base : "kept");
	return 0;
}

int job_unread_settle(struct job *j)
{
	int r = 0;

	if (j->stream || !j->unread_base)
		return 0;
	if (j->bad.n) {
		r = job_unread_store(j);
		if (r == 0)
			snprintf(j->res.unread_map, sizeof(j->res.unread_map), "%s%s", j->dest,
			         BADMAP_SUFFIX);
	} else if (j->unread_saved || j->repair) {
		r = badmap_drop_at(j->dir_fd, j->unread_base);
		if (r == 0)
			j->unread_saved = false;
	}
	job_unread_publish(j);
	return r;
}

/* Load DEST.unread into J's map when it names this source; -EEXIST otherwise. */
static int load_ours(struct job *j, struct badmap_id *id)
{
	int r = badmap_load_at(j->dir_fd, j->unread_base, id, &j->bad);

	if (r < 0)
		return r == -ENOENT || r == -ENOMEM ? r : -EEXIST;
	if (id->dev != (uint64_t)j->spec.dev || id->ino != (uint64_t)j->spec.ino) {
		badmap_free(&j->bad);
		return -EEXIST;
	}
	j->unread_saved = true;
	j->bad_seen = j->bad.n > 0;
	return 0;
}

int job_unread_load(struct job *j)
{
	struct badmap_id id;
	uint64_t from = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->pos;
	int r = load_ours(j, &id);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* what lies ahead is read again by the copy itself (sync's passes read all) */
	if (j->spec.method != REC_SYNC && badmap_remove(&j->bad, from, UINT64_MAX - from) < 0)
		return -ENOMEM;
	job_unread_publish(j);
	return 0;
}

/* DEST is a regular file of ours with one name and SIZE bytes: our result. */
static int open_result_again(struct job *j, uint64_t size)
{
	struct stat st;
	int fd = openat(j->dir_fd, j->base, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return errno == ELOOP ? -EEXIST : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid() || (uint64_t)st.st_size != size) {
		close(fd);
		return -EEXIST;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return e;
	}
	j->dst_fd = fd;
	return 0;
}

int job_unread_reopen(struct job *j)
{
	struct badmap_id id;
	int r;

	if (j->spec.method == REC_RELINK || !j->unread_base)
		return -EEXIST;
	r = load_ours(j, &id);
	if (r < 0)
		return r == -ENOENT ? -EEXIST : r;
	/* the same source at the same size: the map's ranges still mean the same bytes */
	if (id.size != j->end || (r = open_result_again(j, id.size)) < 0) {
		badmap_free(&j->bad);
		j->unread_saved = false;
		return r < 0 ? r : -EEXIST;
	}
	j->repair = j->bad_seen = true;
	j->res.resumed = true;
	j->res.resumed_at = j->end - badmap_total(&j->bad);
	j->stream_valid = false; /* nothing passes in order: the check is the comparison */
	j->src_pos = j->tgt_pos = j->end;
	j->pos = j->jpos = j->end;
	snprintf(j->res.final_path, sizeof(j->res.final_path), "%s", j->dest);
	job_unread_publish(j);
	return 0;
}

/* ---- for the faces ---- */

const struct badmap *job_unread(const struct job *j)
{
	return &j->bad;
}

bool job_unread_is_for(const char *dest, dev_t dev, ino_t ino)
{
	char path[4200];
	struct badmap m;
	struct badmap_id id;
	bool ours;

	if (snprintf(path, sizeof(path), "%s%s", dest, BADMAP_SUFFIX) >= (int)sizeof(path))
		return false;
	badmap_init(&m);
	ours = badmap_load_at(AT_FDCWD, path, &id, &m) == 0 && id.dev == (uint64_t)dev &&
	       id.ino == (uint64_t)ino;
	badmap_free(&m);
	return ours;
}
