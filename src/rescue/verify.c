/* verify: after the copy, the source and the result are read again (their data; the
 * holes of either side are fed to the content hash as zeros without being read) and
 * their hashes compared; the result says what was verified and, when the source
 * moved, why it could not be. */
#include "rescue/verify.h"
#include "text/fmt.h"
#include "rescue/io.h"
#include "rescue/salvage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Feed N bytes of the chunk at V->pos to H from offset FROM on: BUF, or zeros when
 * the chunk is a hole. */
static void feed_from(struct chash *h, const struct job_verify *v, uint64_t from,
                      const unsigned char *buf, bool hole, uint64_t n)
{
	uint64_t s;

	if (v->pos + n <= from)
		return;
	s = v->pos < from ? from - v->pos : 0;
	if (hole)
		chash_zeros(h, n - s);
	else
		chash_update(h, buf + s, (size_t)(n - s));
}

/* sync: every block of the result must be what we wrote (a hole: zeros). */
static void check_table(struct job *j, struct job_verify *v, bool hole, uint64_t n)
{
	for (uint64_t o = 0; o < n; o += j->block) {
		uint64_t i = (v->pos - j->lo + o) / j->block;
		size_t len = (size_t)(n - o < j->block ? n - o : j->block);
		if (i >= j->nblocks)
			break;
		if (hole ? j->table[i] != j->zero_hash
		         : job_block_hash(j->buf + o, len, j->block) != j->table[i]) {
			v->table_bad = true;
			v->table_bad_at = v->pos + o;
			break;
		}
	}
}

/* Hash one chunk of side S at V->pos. Holes are not read on either side (chash
 * feeds them as zeros for nothing); data is compared byte for byte in meaning. */
static int verify_chunk(struct job *j, struct job_verify *v)
{
	uint64_t n = v->end - v->pos;
	bool hole;
	uint64_t delta = j->spec.method == REC_FOLLOW ? j->tail_start : 0; /* readerr */
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
			chash_zeros(v->a, n);
			v->pos += n;
			return 0;
		}
		/* readerr: the unread ranges are left out of both hashes */
		r = job_read_known(j, j->buf, (size_t)n, v->pos, delta, &hole);
		if (r < 0)
			return job_fail_read(j, (int)r, v->pos);
		if (hole) {
			chash_zeros(v->a, n);
			v->pos += n;
			j->work += n;
			return 0;
		}
		if ((uint64_t)r < n) {
			/* the source shrank: hash what is there; the sizes will differ */
			job_hash_known(j, v->a, j->buf, (size_t)r, v->pos + delta);
			v->pos = v->end;
			j->work += (uint64_t)r;
			return 0;
		}
		job_hash_known(j, v->a, j->buf, (size_t)n, v->pos + delta);
	} else {
		size_t got;
		r = job_read_full(j, 1, j->buf, (size_t)n, v->pos, &hole);
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
		if (!hole)
			(void)posix_fadvise(j->dst_fd, (off_t)v->pos, (off_t)n,
			                    POSIX_FADV_DONTNEED);
		/* a: compared with the source; b: the landing check */
		/* readerr: a leaves the unread ranges out */
		if (v->pos + n > v->a_from) {
			uint64_t s = v->pos < v->a_from ? v->a_from - v->pos : 0;
			job_hash_known(j, v->a, hole ? NULL : j->buf + s, (size_t)(n - s), v->pos + s);
		}
		if (v->b && !v->b_is_a)
			feed_from(v->b, v, v->b_from, j->buf, hole, n);
		if (j->table && v->pos >= j->lo && !v->table_bad)
			check_table(j, v, hole, n);
	}
	v->pos += n;
	j->work += n;
	return 0;
}

static int verify_side_begin(struct job *j, struct job_verify *v)
{
	job_full_reset(j);
	if (v->side == 0) {
		chash_reset(v->a);
		if (pin_stat(j->spec.src->fd, &v->st0) < 0)
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
		chash_reset(v->a);
		chash_reset(v->b);
		v->pos = 0;
		if (j->spec.method == REC_FOLLOW) {
			v->end = j->tgt_pos;
			v->a_from = j->tail_start;
		} else {
			v->end = j->end;
			v->a_from = 0;
		}
		v->b_from = j->stream_from;
		/* one hash of the same bytes (readerr: not when a leaves unread ranges out) */
		v->b_is_a = v->a_from == v->b_from && !j->bad_seen;
	}
	v->started = true;
	return 0;
}

/* The source was truncated under the copy: what was read before it is the best copy
 * there is, but it is no copy of one moment of the source. */
static int conclude_shrank(struct job *j)
{
	char from[16], to[16];

	j->res.verified = false;
	j->res.source_changed = true;
	j->res.size = j->end;
	job_say(j,
	        "the source shrank from %s to %s during the copy: the result holds what was "
	        "read (%" PRIu64 " bytes), the best copy there is, but not one moment of "
	        "the file; %s",
	        fmt_size(from, sizeof(from), j->shrank_from),
	        fmt_size(to, sizeof(to), j->shrank_to), j->end,
	        j->table ? "run the sync again, with --freeze for a consistent copy"
	                 : "use sync (or follow for a log) to copy it as it is now");
	return 0;
}

static int verify_conclude(struct job *j)
{
	struct job_verify *v = &j->v;
	unsigned char landed[16], streamed[16];
	bool equal, landed_ok = true;

	chash_digest(v->a, j->res.dst_hash);
	if (v->b) {
		if (v->b_is_a)
			memcpy(landed, j->res.dst_hash, sizeof(landed));
		else
			chash_digest(v->b, landed);
		chash_digest(j->stream_h, streamed);
		if (j->stream_valid && !j->table)
			landed_ok = memcmp(landed, streamed, 16) == 0;
	}
	if (j->table && v->table_bad)
		landed_ok = false;
	if (!landed_ok) {
		j->jpos = j->lo; /* a new run copies it again */
		if (v->table_bad)
			return job_fail(
			    j, -EIO,
			    "the result %s does not hold what was written to it (near byte %" PRIu64
			    "): the target's storage may be failing; check dmesg and rescue to another disk",
			    j->res.final_path, v->table_bad_at);
		return job_fail(
		    j, -EIO,
		    "the result %s does not hold what was written to it: the target's storage may be failing; check dmesg and rescue to another disk",
		    j->res.final_path);
	}
	equal = memcmp(j->res.src_hash, j->res.dst_hash, 16) == 0;
	if (j->shrank && j->spec.method != REC_FOLLOW)
		return conclude_shrank(j);
	if (!equal && !j->loopdev && !v->src_moved &&
	    (j->spec.method == REC_COPY || (j->spec.method == REC_REFLINK && !j->table))) {
		/* The source kept its size and mtime: the difference is ours (a part copied
		 * before an interruption, or storage that lies). */
		j->jpos = j->lo;
		return job_fail(
		    j, -EIO,
		    "the result %s differs from the source, which did not change: the target's storage may be failing (see dmesg); run the same command again, it copies afresh",
		    j->res.final_path);
	}
	if (j->bad.n) /* readerr: ranges left unread: the best copy there is, not verified */
		return job_unread_conclude(j, equal);
	/* What was written landed (checked above), so a difference is the source's. */
	j->res.verified = equal && !j->freeze_broken;
	j->res.source_changed = !equal || j->freeze_broken;
	j->res.size = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->end;
	if (j->freeze_broken) {
		job_say(
		    j,
		    "writer %d was resumed by someone else during the frozen pass: the result is a live copy, not a consistent one; check it before use",
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
			snprintf(
			    extra, sizeof(extra),
			    "; following was stopped by request: a writer may still add to the file");
		else if (j->loopdev && j->res.unreadable > 0)
			snprintf(
			    extra, sizeof(extra),
			    "; %" PRId64
			    " bytes of the file could not be read through the loop device (before its offset, after its last whole sector)",
			    j->res.unreadable);
		else if (j->loopdev && j->res.unreadable < 0)
			snprintf(
			    extra, sizeof(extra),
			    "; the loop device shows the file only up to its last whole sector: a tail of unknown length (under 4096 bytes unless a size limit was set) could not be read");
		job_say(j, "verified: the result equals the source (%" PRIu64 " bytes)%s",
		        j->res.size, extra);
	} else {
		switch (j->spec.method) {
		case REC_COPY:
			job_say(
			    j,
			    "the source changed during the copy, so this copy mixes old and new data: use sync (with --freeze for a consistent copy)");
			break;
		case REC_FOLLOW:
			job_say(
			    j,
			    "the source changed other than by appending while it was followed: the result is not an exact copy; use sync");
			break;
		case REC_REFLINK:
			if (!j->table) {
				job_say(
				    j,
				    "the source changed after the clone was taken: the clone is an atomic snapshot of that moment, but could not be compared byte for byte");
				break;
			}
			/* fall through */
		default:
			job_say(
			    j,
			    "the source kept changing: the result is a live copy (like after a crash); check it before use, or use --freeze for a consistent one");
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
	return pin_stat(j->spec.src->fd, &now) == 0 && same_stat(&now, &j->st_start);
}

int job_verify_step(struct job *j, int64_t deadline)
{
	struct job_verify *v = &j->v;
	int r;

	if (!v->a) {
		v->a = chash_new();
		v->b = chash_new();
		if (!v->a || !v->b)
			return job_fail(j, -ENOMEM, "out of memory");
		/* the frozen pass already hashed the source while nothing could change it;
		 * so did a copy of a source that nobody could write; a stream has no
		 * target to read back */
		/* readerr: hashes taken while reading hold zeros for what was unread */
		if (!j->frozen_hash_done && !j->bad_seen && source_stood_still(j)) {
			chash_digest(j->stream_h, j->res.src_hash);
			job_say(
			    j,
			    "nobody could write the source and it did not change: the hash taken while copying stands for it");
			j->src_hash_done = true;
		}
		j->src_hash_done |= j->frozen_hash_done && !j->bad_seen;
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
			chash_digest(v->a, j->res.src_hash);
			if (pin_stat(j->spec.src->fd, &st1) < 0 || !same_stat(&st1, &v->st0) ||
			    !same_stat(&v->st0, &j->st_start))
				v->src_moved = true;
			if (j->stream) {
				unsigned char sent[16];
				chash_digest(j->stream_h, sent);
				memcpy(j->res.dst_hash, sent, 16);
				if (j->bad.n) { /* readerr: sent as zeros */
					job_unread_conclude(j, false);
					job_set_phase(j, PH_FINISH, "finishing");
					return 0;
				}
				j->res.verified = memcmp(sent, j->res.src_hash, 16) == 0;
				j->res.source_changed = !j->res.verified;
				j->res.size = j->end;
				if (j->res.verified)
					job_say(
					    j,
					    "verified: a second read of the source hashes the same as the %" PRIu64
					    " bytes sent",
					    j->end);
				else
					job_say(
					    j,
					    "the source changed while it was streamed: what was sent mixes old and new data; use sync to a file");
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
