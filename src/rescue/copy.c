/* job engines: copy (and sync's pass 1), the later sync passes, follow. See job.h for
 * what each guarantees and job_impl.h for the shared state. */
#include "rescue/copy.h"
#include "base/util.h"
#include "rescue/freeze.h"
#include "rescue/io.h"
#include "rescue/journal.h"
#include "rescue/salvage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The chunk at POS on the grid that starts at j->lo, cut at END. */
static uint64_t chunk_end(const struct job *j, uint64_t pos, uint64_t end)
{
	uint64_t into = (pos - j->lo) % j->chunk;
	uint64_t e = pos + (j->chunk - into);

	return e < end ? e : end;
}

/* Write BUF[0, N) at OFF, skipping whole 4 KiB pages of zeros: for a loop device,
 * which has no extent map, into a target region that is still a hole. */
static int write_sparse(struct job *j, const unsigned char *buf, size_t n, uint64_t off)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;
		while (i < n && job_is_zero(buf + i, n - i < 4096 ? n - i : 4096))
			i += 4096;
		if (i >= n)
			break;
		s = i;
		while (i < n && !job_is_zero(buf + i, n - i < 4096 ? n - i : 4096))
			i += 4096;
		e = i < n ? i : n;
		int r = job_dst_write(j, buf + s, e - s, off + s);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Copy source [OFF, OFF+N) to the result at OFF+DELTA: data extents only, holes stay
 * holes (the stream gets zeros). Feeds the stream hash and, for sync, the block
 * table. Returns the bytes the source still had (N unless it shrank meanwhile), or a
 * negative errno (already reported). */
static int64_t copy_chunk(struct job *j, uint64_t off, uint64_t n, uint64_t delta)
{
	/* the data ranges as read, so that exactly those are written */
	struct {
		uint64_t s, e;
	} rg[32];
	size_t nrg = 0;
	bool many = false, hole = false;
	uint64_t end = off + n, got = n;
	unsigned char *buf = j->buf;
	int r;

	for (uint64_t o = off, rend; o < end; o = rend) {
		bool d = job_ext_region(&j->ext, o, end, &rend);
		if (!d) {
			memset(buf + (o - off), 0, (size_t)(rend - o));
			hole = true;
			continue;
		}
		/* readerr: what cannot be read is zeros here and a hole in the result */
		ssize_t k =
		    job_salvage_read(j, false, buf + (o - off), (size_t)(rend - o), o, delta, NULL);
		if (k < 0)
			return job_fail_read(j, (int)k, o);
		if (nrg < ARRAY_SIZE(rg))
			rg[nrg++].s = o, rg[nrg - 1].e = o + (uint64_t)k;
		else
			many = true;
		if ((uint64_t)k < rend - o) {
			got = o - off + (uint64_t)k; /* the end of the file came early */
			break;
		}
	}
	if (hole) {
		/* SEEK_DATA cannot tell a hole at the end from the end itself */
		struct stat st;
		if (pin_stat(j->spec.src->fd, &st) == 0 && !j->loopdev &&
		    (uint64_t)st.st_size < off + got)
			got = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
	}
	if (got < n)
		memset(buf + got, 0, (size_t)(n - got));

	if (j->stream) {
		r = job_stream_write(j, buf, (size_t)got);
		if (r < 0)
			return job_fail_write(j, r);
	} else if (j->loopdev) {
		if ((r = write_sparse(j, buf, (size_t)got, off + delta)) < 0)
			return job_fail_write(j, r);
	} else if (many) {
		/* a chunk full of small holes: write it whole (zeros and all) */
		if (got && (r = job_write_known(j, buf, (size_t)got, off + delta)) < 0)
			return job_fail_write(j, r);
	} else {
		for (size_t i = 0; i < nrg; i++) {
			uint64_t e = rg[i].e < off + got ? rg[i].e : off + got;
			if (e > rg[i].s &&
			    (r = job_write_known(j, buf + (rg[i].s - off), (size_t)(e - rg[i].s),
			                         rg[i].s + delta)) < 0)
				return job_fail_write(j, r);
		}
	}
	if (j->stream_valid)
		chash_update(j->stream_h, buf, (size_t)got);
	if (j->table) {
		for (uint64_t o = 0; o < n; o += j->block) {
			uint64_t i = (off - j->lo + o) / j->block;
			size_t len = (size_t)(n - o < j->block ? n - o : j->block);
			if (i < j->nblocks)
				j->table[i] = job_block_hash(buf + o, len, j->block);
		}
	}
	j->work += n;
	return (int64_t)got;
}

/* Where a hole of the source that starts at POS lets the copy jump to: the last
 * chunk boundary inside it, or the end when it reaches the end; POS when it covers
 * no whole chunk (that chunk is copied the usual way). Only a file gets holes
 * skipped: a stream is sent its zeros, a loop device has no extent map. */
static uint64_t hole_skip_to(struct job *j, uint64_t pos)
{
	uint64_t hend, to;

	if (j->stream || j->loopdev || (pos - j->lo) % j->chunk != 0 ||
	    job_ext_region(&j->ext, pos, j->end, &hend))
		return pos;
	if (hend >= j->end)
		return j->end;
	to = j->lo + (hend - j->lo) / j->chunk * j->chunk;
	return to > pos ? to : pos;
}

/* The source is a hole over [POS, TO), whole chunks: nothing is read or written
 * (the result has its length already), zeros go to the hash and sync's table. */
static void copy_hole(struct job *j, uint64_t pos, uint64_t to)
{
	uint64_t upto = to;
	struct stat st;

	/* SEEK_DATA cannot tell a hole at the end from the end itself */
	if (to >= j->end && pin_stat(j->spec.src->fd, &st) == 0 && (uint64_t)st.st_size < to)
		upto = (uint64_t)st.st_size > pos ? (uint64_t)st.st_size : pos;
	if (j->stream_valid)
		chash_zeros(j->stream_h, upto - pos);
	if (j->table) {
		for (uint64_t i = (pos - j->lo) / j->block;
		     i < j->nblocks && j->lo + i * j->block < to; i++)
			j->table[i] = j->zero_hash;
	}
	j->work += to - pos;
}

/* The source ended at AT, before the end the copy was made for: the copy ends there
 * too (the result is cut to AT, so it holds exactly what was read), and the verdict
 * will say that the source shrank rather than blame the target. */
static int source_shrank(struct job *j, uint64_t at)
{
	struct stat st;

	if (!j->shrank) {
		j->shrank = true;
		j->shrank_from = j->end;
	}
	/* Reads end where the copy was when the cut came; the size says where it went. */
	j->shrank_to = pin_stat(j->spec.src->fd, &st) == 0 && (uint64_t)st.st_size < at
	                   ? (uint64_t)st.st_size
	                   : at;
	if (!j->stream && ftruncate(j->dst_fd, (off_t)at) < 0)
		return job_fail_write(j, -errno);
	j->end = at;
	if (j->table && at >= j->lo)
		j->nblocks = (size_t)((at - j->lo + j->block - 1) / j->block);
	return 0;
}

void job_pass_begin(struct job *j, bool frozen)
{
	struct stat st;
	uint64_t size = j->end;

	j->pass++;
	j->changed = 0;
	if (!j->loopdev && pin_stat(j->spec.src->fd, &st) == 0)
		size = (uint64_t)st.st_size;
	if (size != j->end || j->nblocks * (uint64_t)j->block < size - j->lo) {
		if (ftruncate(j->dst_fd, (off_t)size) < 0) {
			job_fail_write(j, -errno);
			return;
		}
		if (size < j->end) {
			j->changed += j->end - size;
			j->nblocks = (size_t)((size - j->lo + j->block - 1) / j->block);
		}
		if (job_table_resize(j, size) < 0) {
			job_fail(j, -ENOMEM, "out of memory for the block hashes");
			return;
		}
	}
	j->end = size;
	j->pass_size0 = size;
	j->pos = j->lo;
	job_full_reset(j);
	if (frozen) {
		if (!j->frozen_h)
			j->frozen_h = chash_new();
		if (!j->frozen_h) {
			job_fail(j, -ENOMEM, "out of memory");
			return;
		}
		chash_reset(j->frozen_h);
		chash_zeros(j->frozen_h, j->lo);
	}
	{
		char ph[32];
		if (frozen)
			snprintf(ph, sizeof(ph), "frozen pass %u", j->pass);
		else
			snprintf(ph, sizeof(ph), "pass %u", j->pass);
		job_set_phase(j, frozen ? PH_FROZEN_PASS : PH_PASS, ph);
	}
}

/* After a pass that rewrote CHANGED bytes: another pass, the freeze, or the end. */
static void after_pass(struct job *j)
{
	bool converged = j->pass >= 2 && j->changed < j->converge;
	bool asked = job_take_freeze_request(j);

	j->res.passes = j->pass;
	j->res.last_pass_changed = j->changed;
	if (asked) {
		job_set_phase(j, PH_FREEZE, "stopping writers");
		job_say(j,
		        "pass %u rewrote %" PRIu64
		        " bytes; stopping the writers for the final pass, as asked",
		        j->pass, j->changed);
		return;
	}
	if (job_wants_freeze(j)) {
		if (converged || j->pass + 1 >= j->max_passes) {
			job_set_phase(j, PH_FREEZE, "stopping writers");
			job_say(j,
			        "pass %u rewrote %" PRIu64
			        " bytes; stopping the writers for the final pass",
			        j->pass, j->changed);
		} else {
			job_pass_begin(j, false);
		}
		return;
	}
	if (converged || j->pass >= j->max_passes) {
		if (converged)
			job_say(j,
			        "pass %u rewrote %" PRIu64 " bytes (under %" PRIu64
			        "): converged; verifying",
			        j->pass, j->changed, j->converge);
		else
			job_say(
			    j,
			    "stopped after %u passes, the last still rewrote %" PRIu64
			    " bytes: the file changes faster than it is copied (--freeze gives a consistent copy); verifying",
			    j->pass, j->changed);
		job_set_phase(j, PH_VERIFY, "verifying");
		return;
	}
	job_pass_begin(j, false);
}

int job_copy_step(struct job *j, int64_t deadline)
{
	bool sync = j->spec.method == REC_SYNC;
	int r;

	if (sync && !j->table && (r = job_table_resize(j, j->end)) < 0)
		return job_fail(j, r, "out of memory for the block hashes");
	if (!j->head_done && j->stream_from == 0 && j->lo) {
		/* bytes before a loop device's offset: unreadable, zeros in the result */
		j->head_done = true;
		chash_zeros(j->stream_h, j->lo);
		if (j->stream) {
			uint64_t left = j->lo;
			memset(j->buf, 0, j->chunk);
			while (left) {
				size_t k = left < j->chunk ? (size_t)left : j->chunk;
				if ((r = job_stream_write(j, j->buf, k)) < 0)
					return job_fail_write(j, r);
				left -= k;
			}
		}
	}
	while (j->pos < j->end) {
		uint64_t ce = hole_skip_to(j, j->pos), rend;
		int64_t got;

		if (ce > j->pos) {
			/* a hole of whole chunks: costs nothing, in one go */
			copy_hole(j, j->pos, ce);
		} else {
			ce = chunk_end(j, j->pos, j->end);
			/* only reads cost: a hole passes without waiting */
			if (job_ext_region(&j->ext, j->pos, ce, &rend) || rend < ce) {
				if (!job_throttle(j, ce - j->pos, deadline))
					return 1;
			}
			got = copy_chunk(j, j->pos, ce - j->pos, 0);
			if (got < 0)
				return (int)got;
			if ((uint64_t)got < ce - j->pos && !j->loopdev) {
				if ((r = source_shrank(j, j->pos + (uint64_t)got)) < 0)
					return r;
				ce = j->end;
			}
		}
		j->pos = j->jpos = ce;
		job_publish(j, j->pos - j->lo, j->end - j->lo);
		if ((r = job_journal_maybe(j, job_now())) < 0)
			return r;
		if (job_cancelled(j) || job_now() >= deadline)
			return 1;
	}
	if (sync) {
		/* pass 1 is the full copy: there is nothing to compare yet */
		j->changed = j->end - j->lo;
		j->res.passes = 1;
		j->res.last_pass_changed = j->changed;
		/* a freeze asked during pass 1 makes the next pass the frozen one */
		if (job_take_freeze_request(j) || (job_wants_freeze(j) && j->max_passes <= 2)) {
			job_set_phase(j, PH_FREEZE, "stopping writers");
			return 0;
		}
		job_pass_begin(j, false);
		return j->err;
	}
	if (j->fz.prepared) {
		/* the whole copy ran frozen: what it read is the source of that moment */
		if (job_guard_gave_up(j))
			return job_fail_guard(j);
		j->freeze_broken = job_first_running(j);
		chash_digest(j->stream_h, j->res.src_hash);
		j->frozen_hash_done = true;
		j->res.frozen_pass = true;
		job_set_phase(j, PH_FROZEN_DONE, "frozen pass done");
		job_say(j, "copied while frozen; resuming the writers");
		return 1; /* one step ends here with everything still stopped */
	}
	job_set_phase(j, PH_VERIFY, "verifying");
	return 0;
}

/* Block hashes of what the target holds, for a resumed sync or a clone. */
int job_rehash_step(struct job *j, int64_t deadline)
{
	int r;

	if (!j->table) {
		r = job_table_resize(j, j->rehash_end > j->end ? j->rehash_end : j->end);
		if (r < 0)
			return job_fail(j, r, "out of memory for the block hashes");
		job_full_reset(j);
	}
	j->stream_valid = false;
	while (j->pos < j->rehash_end) {
		uint64_t ce = chunk_end(j, j->pos, j->rehash_end), n = ce - j->pos;
		bool hole;
		ssize_t k = job_read_full(j, 1, j->buf, (size_t)n, j->pos, &hole);
		size_t got;

		if (k < 0)
			return job_fail(j, (int)k, "cannot read back %s: %s", j->res.final_path,
			                strerror((int)-k));
		got = (size_t)k;
		if (!hole)
			(void)posix_fadvise(j->dst_fd, (off_t)j->pos, (off_t)n,
			                    POSIX_FADV_DONTNEED);
		for (uint64_t o = 0; o < n; o += j->block) {
			uint64_t i = (j->pos - j->lo + o) / j->block;
			size_t len =
			    (size_t)(got > o ? (got - o < j->block ? got - o : j->block) : 0);
			if (i < j->nblocks)
				j->table[i] =
				    hole ? j->zero_hash : job_block_hash(j->buf + o, len, j->block);
		}
		j->pos = ce;
		j->work += n;
		job_publish(j, j->pos - j->lo, j->rehash_end - j->lo);
		if (job_cancelled(j) || job_now() >= deadline)
			return 1;
	}
	if (j->rehash_then_copy) {
		j->pos = j->rehash_end > j->lo ? j->rehash_end : j->lo;
		job_set_phase(j, PH_COPY, "pass 1 (resumed)");
		return 0;
	}
	/* what the table describes; the next pass puts the size right */
	j->end = j->rehash_end;
	if (j->spec.method == REC_REFLINK && !j->spec.sync_after_reflink) {
		/* a clone with --freeze: straight to the frozen pass */
		job_set_phase(j, PH_FREEZE, "stopping writers");
		return 0;
	}
	if (job_take_freeze_request(j) || (job_wants_freeze(j) && j->pass + 1 >= j->max_passes)) {
		job_set_phase(j, PH_FREEZE, "stopping writers");
		return 0;
	}
	job_pass_begin(j, false);
	return j->err;
}

/* Passes from 2 on, the frozen one included: re-read every block (in full, holes as
 * zeros), rewrite the ones whose hash changed. */
int job_pass_step(struct job *j, int64_t deadline)
{
	bool frozen = j->ph == PH_FROZEN_PASS;
	int r;

	while (j->pos < j->end) {
		uint64_t ce = chunk_end(j, j->pos, j->end), n = ce - j->pos;
		bool hole, zeroed = false;
		ssize_t k;

		if (!job_throttle(j, n, deadline))
			return 1;
		k = job_salvage_read(j, true, j->buf, (size_t)n, j->pos, 0, &hole); /* readerr */
		if (k < 0)
			return job_fail_read(j, (int)k, j->pos);
		if (!hole && (uint64_t)k < n)
			memset(j->buf + k, 0, (size_t)(n - (uint64_t)k));
		if (frozen && hole)
			chash_zeros(j->frozen_h, (uint64_t)k);
		else if (frozen)
			chash_update(j->frozen_h, j->buf, (size_t)k);
		for (uint64_t o = 0; o < n; o += j->block) {
			uint64_t i = (j->pos - j->lo + o) / j->block;
			size_t len = (size_t)(n - o < j->block ? n - o : j->block);
			size_t have = (uint64_t)k > o
			                  ? (size_t)((uint64_t)k - o < len ? (uint64_t)k - o : len)
			                  : 0;
			uint64_t h;
			if (i >= j->nblocks)
				break;
			h = hole ? j->zero_hash : job_block_hash(j->buf + o, len, j->block);
			if (h == j->table[i])
				continue;
			if (hole && !zeroed) {
				/* data that became a hole: the result gets the zeros */
				memset(j->buf, 0, (size_t)n);
				zeroed = true;
			}
			/* a block that now lies past a shrunken end is put right by the next
			 * pass's ftruncate; write what is there */
			/* readerr: a block unread now becomes a hole, not what was there */
			if (have && (r = job_write_known(j, j->buf + o, have, j->pos + o)) < 0)
				return job_fail_write(j, r);
			j->table[i] = h;
			j->changed += len;
		}
		j->work += n;
		j->pos = ce;
		job_publish(j, j->pos - j->lo, j->end - j->lo);
		if (!frozen && (r = job_journal_maybe(j, job_now())) < 0)
			return r;
		if (job_cancelled(j) || job_now() >= deadline)
			return 1;
	}
	if (!frozen && !j->loopdev) {
		struct stat st;
		/* it grew or shrank while this pass ran: not converged */
		if (pin_stat(j->spec.src->fd, &st) == 0 && (uint64_t)st.st_size != j->pass_size0)
			j->changed += (uint64_t)st.st_size > j->pass_size0
			                  ? (uint64_t)st.st_size - j->pass_size0
			                  : j->pass_size0 - (uint64_t)st.st_size;
	}
	if (frozen) {
		if (job_guard_gave_up(j))
			return job_fail_guard(j);
		j->freeze_broken = job_first_running(j);
		chash_digest(j->frozen_h, j->res.src_hash);
		j->frozen_hash_done = true;
		j->res.frozen_pass = true;
		j->res.passes = j->pass;
		j->res.last_pass_changed = j->changed;
		job_set_phase(j, PH_FROZEN_DONE, "frozen pass done");
		job_say(j, "frozen pass %u rewrote %" PRIu64 " bytes; resuming the writers",
		        j->pass, j->changed);
		job_publish(j, j->end - j->lo, j->end - j->lo);
		return 1; /* one step ends here with everything still stopped */
	}
	after_pass(j);
	return j->err;
}

/* ---- follow ---- */

static void remember_tail(struct job *j, const unsigned char *p, size_t n)
{
	if (n >= JOB_TAIL) {
		memcpy(j->tailbuf, p + n - JOB_TAIL, JOB_TAIL);
		j->tail_len = JOB_TAIL;
		return;
	}
	if (j->tail_len + n > JOB_TAIL) {
		size_t drop = j->tail_len + n - JOB_TAIL;
		memmove(j->tailbuf, j->tailbuf + drop, j->tail_len - drop);
		j->tail_len -= drop;
	}
	memcpy(j->tailbuf + j->tail_len, p, n);
	j->tail_len += n;
}

/* Did the source change under what we copied last? (A truncation that was followed
 * by new writes past our position before we looked.) */
static int tail_differs(struct job *j)
{
	unsigned char *p = j->buf + j->bufsz - JOB_TAIL;
	ssize_t k;

	if (!j->tail_len)
		return 0;
	/* readerr: a tail with unread bytes cannot be compared */
	if (badmap_overlaps(&j->bad, j->tgt_pos - j->tail_len, j->tail_len))
		return 0;
	k = job_src_read(j, p, j->tail_len, j->src_pos - j->tail_len);
	if (k < 0)
		return (int)k;
	return (size_t)k != j->tail_len || memcmp(p, j->tailbuf, j->tail_len) != 0;
}

int job_follow_step(struct job *j, int64_t deadline)
{
	int r;

	for (;;) {
		struct stat st;
		int64_t now = job_now();
		bool trunc;

		if (pin_stat(j->spec.src->fd, &st) < 0)
			return job_fail(j, -errno, "cannot look at the source: %s",
			                strerror(errno));
		trunc = (uint64_t)st.st_size < j->src_pos;
		if (!trunc && (st.st_mtim.tv_sec != j->last_mtime.tv_sec ||
		               st.st_mtim.tv_nsec != j->last_mtime.tv_nsec)) {
			int d = tail_differs(j);
			if (d < 0)
				return job_fail_read(j, d, j->src_pos);
			trunc = d > 0;
		}
		j->last_mtime = st.st_mtim;
		if (trunc) {
			j->res.truncations++;
			j->last_trunc_src = j->src_pos;
			j->last_trunc_tgt = j->tgt_pos;
			j->tail_start = j->tgt_pos;
			j->res.tail_start = j->tail_start;
			j->src_pos = 0;
			j->tail_len = 0;
			job_ext_reset(&j->ext);
			job_say(
			    j,
			    "the source was truncated after %" PRIu64
			    " bytes (result offset %" PRIu64
			    "): everything copied is kept, its new content is appended after it",
			    j->last_trunc_src, j->tgt_pos);
			continue;
		}
		if ((uint64_t)st.st_size > j->src_pos) {
			uint64_t n = (uint64_t)st.st_size - j->src_pos;
			int64_t got;
			if (n > j->chunk)
				n = j->chunk;
			if (!job_throttle(j, n, deadline))
				return 1;
			job_ext_reset(&j->ext);
			got = copy_chunk(j, j->src_pos, n, j->tail_start);
			if (got < 0)
				return (int)got;
			remember_tail(j, j->buf, (size_t)got);
			j->src_pos += (uint64_t)got;
			j->tgt_pos += (uint64_t)got;
			/* a hole at the end is not written: give the result its length */
			{
				struct stat ts;
				if (fstat(j->dst_fd, &ts) == 0 &&
				    (uint64_t)ts.st_size < j->tgt_pos &&
				    ftruncate(j->dst_fd, (off_t)j->tgt_pos) < 0)
					return job_fail_write(j, -errno);
			}
			job_publish(j, j->tgt_pos, j->tail_start + (uint64_t)st.st_size);
			if ((r = job_journal_maybe(j, job_now())) < 0)
				return r;
			if (job_now() >= deadline)
				return 1;
			continue;
		}
		/* caught up */
		if (j->final_catchup) {
			job_set_phase(j, PH_VERIFY, "verifying");
			return 0;
		}
		if (j->follow_stop) {
			job_say(j,
			        "stopped following by request at %" PRIu64
			        " bytes: a writer may still add to the file",
			        j->tgt_pos);
			j->final_catchup = true;
			continue;
		}
		if (now >= j->next_writer_check) {
			j->next_writer_check = now + JOB_POLL_NS;
			if (!job_writers_alive(j)) {
				j->writers_gone = true;
				j->final_catchup = true;
				job_say(j,
				        "no writer holds the file any more: %" PRIu64
				        " bytes followed; verifying",
				        j->tgt_pos);
				continue;
			}
		}
		job_publish(j, j->tgt_pos, j->tail_start + (uint64_t)st.st_size);
		if ((r = job_journal_maybe(j, now)) < 0)
			return r;
		{
			int64_t wake = now + JOB_POLL_NS;
			if (wake > deadline) {
				if (deadline > now)
					job_sleep_until(deadline);
				return 1;
			}
			job_sleep_until(wake);
		}
		if (job_cancelled(j))
			return 1;
		if (atomic_load(&j->cancels) >= 1)
			j->follow_stop = true;
	}
}
