/* prepare: the target of a job before its first step: DEST split into directory and
 * names, the .partial created (O_EXCL, 0600) or a matching one resumed from its
 * journal, or the clone made for a reflink. */
#include "rescue/prepare.h"
#include "rescue/journal.h"
#include "rescue/salvage.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>

static bool same_mtime(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int split_dest(struct job *j)
{
	const char *slash = strrchr(j->dest, '/');
	const char *base = slash ? slash + 1 : j->dest;
	size_t bl = strlen(base);

	if (bl == 0 || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	if (bl + strlen(".partial.journal.tmp") > 255)
		return -ENAMETOOLONG;
	if (!slash)
		j->dir = strdup(".");
	else if (slash == j->dest)
		j->dir = strdup("/");
	else
		j->dir = strndup(j->dest, (size_t)(slash - j->dest));
	j->base = strdup(base);
	j->partial_base = malloc(bl + 9);
	j->journal_base = malloc(bl + 17);
	if (!j->dir || !j->base || !j->partial_base || !j->journal_base)
		return -ENOMEM;
	snprintf(j->partial_base, bl + 9, "%s.partial", base);
	snprintf(j->journal_base, bl + 17, "%s.partial.journal", base);
	/* readerr: the map of unread ranges beside the result */
	if (!(j->unread_base = malloc(bl + sizeof(BADMAP_SUFFIX))))
		return -ENOMEM;
	snprintf(j->unread_base, bl + sizeof(BADMAP_SUFFIX), "%s" BADMAP_SUFFIX, base);
	return 0;
}

/* Reopen an existing .partial for a resume: a regular file of ours with one name. */
static int open_partial_again(struct job *j)
{
	struct stat st;
	int fd = openat(j->dir_fd, j->partial_base, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(fd);
		return -EEXIST;
	}
	j->dst_fd = fd;
	return 0;
}
/* Resume from a matching journal. Returns 1 when resumed, 0 when the journal does
 * not match (the caller answers -EEXIST), or a negative errno. */
static int resume(struct job *j, const struct journal *jr)
{
	struct stat now = j->st_start;
	int r;

	if (strcmp(jr->method, rec_method_name(j->spec.method)) != 0 ||
	    jr->dev != (uint64_t)j->spec.dev || jr->ino != (uint64_t)j->spec.ino)
		return 0;
	if ((r = open_partial_again(j)) < 0)
		return r;
	if (flock(j->dst_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	j->have_partial = j->journaled = j->j_dir_synced = true;
	j->res.resumed = true;
	/* the journal's view of the source when it began */
	j->st_start.st_size = (off_t)jr->size;
	j->st_start.st_mtim.tv_sec = jr->mt_s;
	j->st_start.st_mtim.tv_nsec = jr->mt_ns;
	switch (j->spec.method) {
	case REC_COPY:
		/* a frozen copy is one snapshot: what an earlier run copied is of another
		 * moment, so it starts over */
		if (jr->size != (uint64_t)now.st_size || !same_mtime(&now, &j->st_start) ||
		    jr->lo != j->lo || jr->pos > j->end || jr->end != j->end || j->spec.freeze ||
		    j->spec.freeze_fs) {
			/* changed since: what was copied may be stale, start over */
			j->st_start = now;
			j->pos = j->lo;
			j->res.resumed_at = 0;
			if (j->spec.freeze || j->spec.freeze_fs)
				job_say(
				    j,
				    "a frozen copy is one moment: copying it all again into the same partial file");
			else
				job_say(
				    j,
				    "the source changed since the interrupted copy: copying it again into the same partial file");
		} else {
			j->pos = jr->pos < j->lo ? j->lo : jr->pos;
			j->res.resumed_at = j->pos;
		}
		/* whatever lies past the journal's position is not trusted: make it a hole */
		if (ftruncate(j->dst_fd, (off_t)j->pos) < 0 ||
		    ftruncate(j->dst_fd, (off_t)j->end) < 0)
			return -errno;
		j->stream_from = j->pos == j->lo ? 0 : j->pos;
		j->jpos = j->pos;
		break;
	case REC_SYNC:
		j->st_start = now;
		if (jr->pass <= 1 && jr->pos < jr->end && jr->lo == j->lo) {
			uint64_t pos = jr->pos < j->lo ? j->lo : jr->pos;
			/* pass 1 continues; blocks before POS get their hashes from the target */
			pos = j->lo + (pos - j->lo) / j->block * j->block;
			if (pos > j->end)
				pos = j->lo;
			if (ftruncate(j->dst_fd, (off_t)pos) < 0 ||
			    ftruncate(j->dst_fd, (off_t)j->end) < 0)
				return -errno;
			j->pos = j->jpos = pos;
			j->rehash_end = pos;
			j->rehash_then_copy = true;
			j->pass = 1;
		} else {
			struct stat ts;
			if (fstat(j->dst_fd, &ts) < 0)
				return -errno;
			j->rehash_end = (uint64_t)ts.st_size;
			j->rehash_then_copy = false;
			j->jpos = j->end; /* pass 1 is complete */
			j->pass = jr->pass ? jr->pass : 1;
		}
		j->res.resumed_at = j->rehash_end;
		break;
	case REC_FOLLOW: {
		struct stat ts;
		if (fstat(j->dst_fd, &ts) < 0)
			return -errno;
		if (jr->tgt_pos > (uint64_t)ts.st_size || jr->tail_start > jr->tgt_pos ||
		    jr->src_pos + jr->tail_start != jr->tgt_pos)
			return 0;
		if (ftruncate(j->dst_fd, (off_t)jr->tgt_pos) < 0)
			return -errno;
		j->tgt_pos = jr->tgt_pos;
		j->src_pos = jr->src_pos;
		j->tail_start = jr->tail_start;
		j->res.truncations = jr->truncations;
		j->res.tail_start = j->tail_start;
		j->stream_from = j->tgt_pos;
		j->res.resumed_at = j->tgt_pos;
		/* the last bytes copied, to notice a truncation while we were away */
		j->tail_len = j->src_pos < JOB_TAIL ? (size_t)j->src_pos : JOB_TAIL;
		if (j->tail_len && pread(j->dst_fd, j->tailbuf, j->tail_len,
		                         (off_t)(j->tgt_pos - j->tail_len)) != (ssize_t)j->tail_len)
			return -EIO;
		j->last_mtime.tv_sec = -1; /* compare the tail at the first look */
		break;
	}
	case REC_REFLINK:
		j->res.resumed_at = 0;
		break;
	default:
		return 0;
	}
	return 1;
}

static int create_partial(struct job *j)
{
	int fd, r;

	/* the journal first: a .partial without one would block the next run */
	if ((r = job_journal_save(j)) < 0)
		return r;
	fd = openat(j->dir_fd, j->partial_base,
	            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		unlinkat(j->dir_fd, j->journal_base, 0);
		j->journaled = false;
		return r;
	}
	j->dst_fd = fd;
	j->have_partial = true;
	(void)flock(fd, LOCK_EX | LOCK_NB);
	if (j->spec.method == REC_COPY || j->spec.method == REC_SYNC) {
		if (ftruncate(fd, (off_t)j->end) < 0)
			return -errno;
	}
	return 0;
}

/* Remove what this job created and return ERR (reflink failures leave nothing). */
static int unmake(struct job *j, int err)
{
	if (j->have_partial) {
		unlinkat(j->dir_fd, j->partial_base, 0);
		j->have_partial = false;
	}
	if (j->journaled) {
		unlinkat(j->dir_fd, j->journal_base, 0);
		j->journaled = false;
	}
	return err;
}

static int clone_into_partial(struct job *j)
{
	if (ftruncate(j->dst_fd, 0) < 0)
		return -errno;
	if (ioctl(j->dst_fd, FICLONE, j->spec.src->fd) < 0) {
		int e = errno;
		if (e == EINVAL || e == ENOTTY || e == ENOSYS)
			e = EOPNOTSUPP;
		return -e;
	}
	return 0;
}

int job_prepare_target(struct job *j)
{
	struct stat st, dst;
	struct journal jr;
	int r;

	if ((r = split_dest(j)) < 0)
		return r;
	j->dir_fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->dir_fd < 0)
		return -errno;
	if (fstatat(j->dir_fd, j->base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return job_unread_reopen(j); /* readerr: only our own incomplete result */
	if (errno != ENOENT)
		return -errno;
	if (fstat(j->dir_fd, &dst) < 0)
		return -errno;
	if (j->spec.freeze_fs) {
		struct stat fs;
		if (stat(j->spec.freeze_fs, &fs) < 0)
			return -errno;
		if (fs.st_dev == dst.st_dev)
			return -EINVAL; /* freezing the target's own filesystem would hang us */
	}
	if (j->spec.freeze_fs_on_request) {
		struct stat fs;
		/* the same hang: a freeze asked later stops the writers only */
		if (stat(j->spec.freeze_fs_on_request, &fs) < 0 || fs.st_dev == dst.st_dev) {
			free((char *)j->spec.freeze_fs_on_request);
			j->spec.freeze_fs_on_request = NULL;
		}
	}
	if (j->spec.method == REC_RELINK) {
		if (dst.st_dev != j->st_start.st_dev)
			return -EXDEV;
		snprintf(j->res.final_path, sizeof(j->res.final_path), "%s", j->dest);
		return 0;
	}
	snprintf(j->res.final_path, sizeof(j->res.final_path), "%s.partial", j->dest);
	if (fstatat(j->dir_fd, j->partial_base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = job_journal_read(j, &jr);
		if (r < 0)
			return -EEXIST;
		r = resume(j, &jr);
		if (r == 0) {
			if (j->dst_fd >= 0) {
				close(j->dst_fd);
				j->dst_fd = -1;
			}
			j->have_partial = j->journaled = false;
			j->res.resumed = false;
			return -EEXIST;
		}
		if (r < 0 || (r = job_unread_load(j)) < 0) /* readerr: and its map */
			return r;
		if (j->spec.method == REC_REFLINK) {
			if ((r = clone_into_partial(j)) < 0)
				return r;
			j->jpos = j->end;
		}
		return 0;
	}
	if (errno != ENOENT)
		return -errno;
	/* readerr: a map of unread ranges with no result of ours beside it: not ours */
	if (fstatat(j->dir_fd, j->unread_base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return -EEXIST;
	if ((r = create_partial(j)) < 0)
		return r < 0 && j->have_partial ? unmake(j, r) : r;
	if (j->spec.method == REC_REFLINK) {
		if ((r = clone_into_partial(j)) < 0)
			return unmake(j, r);
		j->jpos = j->end;
	}
	return 0;
}
