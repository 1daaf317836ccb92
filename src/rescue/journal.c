/* journal: the file beside a .partial that says how far the rescue got, so that
 * the same command continues after a stop, a crash or a full disk. Saved atomically
 * (ddrescue's mapfile), read back strictly. */
#include "rescue/journal.h"
#include "base/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOURNAL_MAGIC "rescuetui-journal 1"

static char *tmp_name(const struct job *j)
{
	size_t n = strlen(j->journal_base) + 5;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s.tmp", j->journal_base);
	return s;
}

/* Save the journal atomically (ddrescue's mapfile): the result's data first, then a
 * new journal under a temporary name, fsync'ed, renamed over the old one. What the
 * journal says is copied is therefore always on disk. */
int job_journal_save(struct job *j)
{
	char text[1024], *tmp;
	int fd, r, n;

	if (j->stream || !j->dest || j->spec.method == REC_RELINK)
		return 0;
	if (j->dst_fd >= 0 && fdatasync(j->dst_fd) < 0 && errno != EINVAL)
		return -errno;
	/* readerr: a result continued in place has no journal, only its map */
	if (j->repair)
		return job_unread_store(j);
	n = snprintf(text, sizeof(text),
	             JOURNAL_MAGIC "\n"
	                           "method %s\n"
	                           "dev %" PRIu64 "\n"
	                           "ino %" PRIu64 "\n"
	                           "size %" PRIu64 "\n"
	                           "mtime %lld.%09ld\n"
	                           "lo %" PRIu64 "\n"
	                           "end %" PRIu64 "\n"
	                           "pos %" PRIu64 "\n"
	                           "pass %u\n"
	                           "block %u\n"
	                           "src_pos %" PRIu64 "\n"
	                           "tgt_pos %" PRIu64 "\n"
	                           "tail_start %" PRIu64 "\n"
	                           "truncations %u\n"
	                           "end-of-journal\n",
	             rec_method_name(j->spec.method), (uint64_t)j->spec.dev, (uint64_t)j->spec.ino,
	             (uint64_t)j->st_start.st_size, (long long)j->st_start.st_mtim.tv_sec,
	             j->st_start.st_mtim.tv_nsec, j->lo, j->end, j->jpos, j->pass ? j->pass : 1,
	             j->block, j->src_pos, j->tgt_pos, j->tail_start, j->res.truncations);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EOVERFLOW;
	if (!(tmp = tmp_name(j)))
		return -ENOMEM;
	/* O_EXCL: never write through something someone else put under that name */
	fd = openat(j->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(j->dir_fd, tmp, 0) == 0)
		fd = openat(j->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		            0600);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	r = fd_write_all(fd, text, (size_t)n);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(j->dir_fd, tmp, j->dir_fd, j->journal_base) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(j->dir_fd, tmp, 0);
	free(tmp);
	if (r == 0 && !j->j_dir_synced) {
		if (fsync(j->dir_fd) < 0 && errno != EINVAL)
			return -errno;
		j->j_dir_synced = true;
	}
	if (r == 0) {
		j->journaled = true;
		j->j_last = job_now();
		j->j_bytes = 0;
	}
	if (r == 0)
		r = job_unread_store(j); /* readerr: the map goes with the journal */
	return r;
}

/* readerr: the map of unread ranges beside the result, named after the source. An
 * empty map is kept while one exists: only the end of the job removes it (a result
 * whose last ranges were read is not verified until then). */
int job_unread_store(struct job *j)
{
	struct badmap_id id = {
	    .dev = (uint64_t)j->spec.dev,
	    .ino = (uint64_t)j->spec.ino,
	    .size = j->spec.method == REC_FOLLOW ? j->tgt_pos : j->end,
	};
	int r;

	if (j->stream || !j->unread_base || (!j->bad.n && !j->unread_saved))
		return 0;
	r = badmap_save_at(j->dir_fd, j->unread_base, &j->bad, &id);
	if (r == 0)
		j->unread_saved = true;
	return r;
}

int job_journal_maybe(struct job *j, int64_t now)
{
	int r;

	if (j->stream || (now - j->j_last < JOB_JOURNAL_NS && j->j_bytes < JOB_JOURNAL_BYTES))
		return 0;
	r = job_journal_save(j);
	if (r < 0)
		return job_fail_write(j, r);
	return 0;
}

int journal_parse(const char *buf, size_t len, struct journal *jr)
{
	char text[JOURNAL_MAX + 1], *line, *save;

	memset(jr, 0, sizeof(*jr));
	if (len > JOURNAL_MAX)
		len = JOURNAL_MAX;
	memcpy(text, buf, len);
	text[len] = '\0';
	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, JOURNAL_MAGIC) != 0)
		return -EINVAL;
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long long v;
		char key[32];
		if (strcmp(line, "end-of-journal") == 0) {
			jr->complete = true;
			break;
		}
		if (sscanf(line, "method %15s", jr->method) == 1)
			continue;
		if (sscanf(line, "mtime %lld.%ld", &jr->mt_s, &jr->mt_ns) == 2)
			continue;
		if (sscanf(line, "%31s %llu", key, &v) != 2)
			return -EINVAL;
		if (!strcmp(key, "dev"))
			jr->dev = v;
		else if (!strcmp(key, "ino"))
			jr->ino = v;
		else if (!strcmp(key, "size"))
			jr->size = v;
		else if (!strcmp(key, "lo"))
			jr->lo = v;
		else if (!strcmp(key, "end"))
			jr->end = v;
		else if (!strcmp(key, "pos"))
			jr->pos = v;
		else if (!strcmp(key, "pass"))
			jr->pass = (unsigned)v;
		else if (!strcmp(key, "block"))
			jr->block = (unsigned)v;
		else if (!strcmp(key, "src_pos"))
			jr->src_pos = v;
		else if (!strcmp(key, "tgt_pos"))
			jr->tgt_pos = v;
		else if (!strcmp(key, "tail_start"))
			jr->tail_start = v;
		else if (!strcmp(key, "truncations"))
			jr->truncations = (unsigned)v;
	}
	return jr->complete ? 0 : -EINVAL;
}

static int journal_read_at(int dir_fd, const char *name, struct journal *jr)
{
	char text[JOURNAL_MAX];
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	memset(jr, 0, sizeof(*jr));
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0)
		return -EIO;
	return journal_parse(text, (size_t)n, jr);
}

int job_journal_read(struct job *j, struct journal *jr)
{
	return journal_read_at(j->dir_fd, j->journal_base, jr);
}

bool job_journal_is_for(const char *dest, dev_t dev, ino_t ino)
{
	char path[4200];
	struct journal jr;

	if (snprintf(path, sizeof(path), "%s.partial.journal", dest) >= (int)sizeof(path))
		return false;
	return journal_read_at(AT_FDCWD, path, &jr) == 0 && jr.dev == (uint64_t)dev &&
	       jr.ino == (uint64_t)ino;
}
