/* job: the driver of the recovery engines: start (checks, target, resume), steps,
 * progress, cancel, the journal and the final rename. See job.h; the engines live in
 * job_copy.c, their I/O in job_io.c, the freeze in job_freeze.c. */
#include "rescue/job_impl.h"
#include "find/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define JOURNAL_MAGIC "rescuetui-journal 1"

/* ioprio_set(2) has no glibc wrapper; these are its uapi values. */
#define RT_IOPRIO_WHO_PROCESS 1
#define RT_IOPRIO_CLASS_IDLE  3
#define RT_IOPRIO_CLASS_SHIFT 13

int64_t job_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

const char *job_state_name(enum job_state s)
{
	switch (s) {
	case JOB_RUNNING:
		return "running";
	case JOB_VERIFYING:
		return "verifying";
	case JOB_DONE:
		return "done";
	case JOB_FAILED:
		return "failed";
	case JOB_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

/* ---- progress ---- */

void job_set_phase(struct job *j, enum job_phase ph, const char *phase)
{
	int64_t now = job_now();

	/* Phase times, so a benchmark can tell copying from verifying. */
	if (!j->t_work)
		j->t_work = now;
	if (ph == PH_VERIFY && !j->t_verify) {
		j->t_verify = now;
		j->res.seconds_copy = (double)(now - j->t_work) / 1e9;
	}
	if ((ph == PH_FINISH || ph == PH_END) && j->t_verify && j->res.seconds_verify == 0)
		j->res.seconds_verify = (double)(now - j->t_verify) / 1e9;
	j->ph = ph;
	pthread_mutex_lock(&j->mu);
	snprintf(j->prog.phase, sizeof(j->prog.phase), "%s", phase);
	if (ph == PH_VERIFY)
		j->prog.state = JOB_VERIFYING;
	j->prog.pass = j->pass;
	pthread_mutex_unlock(&j->mu);
}

/* Rate: the work counter's growth over the last JOB_RATE_WINDOW_NS, sampled at most
 * every 100 ms into a small ring. */
void job_publish(struct job *j, uint64_t done, uint64_t total)
{
	int64_t now = job_now();
	unsigned last = (j->rs_i + 39) % 40;
	double rate = -1;

	if (j->rs_n == 0 || now - j->rs_t[last] >= 100000000ll) {
		j->rs_t[j->rs_i] = now;
		j->rs_b[j->rs_i] = j->work;
		j->rs_i = (j->rs_i + 1) % 40;
		if (j->rs_n < 40)
			j->rs_n++;
	}
	/* the oldest sample still inside the window */
	for (unsigned k = j->rs_n; k > 0; k--) {
		unsigned i = (j->rs_i + 40 - k) % 40;
		if (now - j->rs_t[i] <= JOB_RATE_WINDOW_NS && now - j->rs_t[i] > 50000000ll) {
			rate = (double)(j->work - j->rs_b[i]) / ((double)(now - j->rs_t[i]) / 1e9);
			break;
		}
	}
	pthread_mutex_lock(&j->mu);
	j->prog.done = done;
	j->prog.total = total;
	if (rate >= 0)
		j->prog.rate_bps = rate;
	j->prog.eta_s = (j->prog.rate_bps > 0 && total >= done)
	                    ? (double)(total - done) / j->prog.rate_bps
	                    : -1;
	if (j->ph == PH_FOLLOW)
		j->prog.eta_s = -1;
	j->prog.pass = j->pass;
	j->prog.pass_changed = j->res.last_pass_changed;
	j->prog.frozen = j->fz.stopped || j->fz.fs_frozen;
	pthread_mutex_unlock(&j->mu);
}

void job_say(struct job *j, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&j->mu);
	va_start(ap, fmt);
	vsnprintf(j->prog.message, sizeof(j->prog.message), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&j->mu);
}

/* The message, with the lock already held. */
static void say_locked(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say_locked(struct job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->prog.message, sizeof(j->prog.message), fmt, ap);
	va_end(ap);
}

static const char *partial_or_dest(const struct job *j)
{
	return j->res.final_path[0] ? j->res.final_path : "(stream)";
}

/* End the job with ERR: writers resumed, the journal saved, the reason published. */
int job_fail(struct job *j, int err, const char *fmt, ...)
{
	va_list ap;

	if (j->err)
		return j->err;
	job_resume_all(j);
	if (j->have_partial && j->ph != PH_FINISH && j->ph != PH_END)
		(void)job_journal_save(j);
	j->err = err;
	pthread_mutex_lock(&j->mu);
	va_start(ap, fmt);
	vsnprintf(j->prog.message, sizeof(j->prog.message), fmt, ap);
	va_end(ap);
	j->prog.state = JOB_FAILED;
	j->prog.error = err;
	j->prog.frozen = false;
	pthread_mutex_unlock(&j->mu);
	return err;
}

int job_fail_write(struct job *j, int err)
{
	const char *dir = j->dir ? j->dir : ".";

	if (j->stream) {
		if (err == -EPIPE)
			return job_fail(j, err,
			                "the reader of the stream went away after %" PRIu64
			                " bytes: nothing was saved; run it again",
			                j->res.bytes_written);
		return job_fail(j, err, "cannot write the stream after %" PRIu64 " bytes: %s",
		                j->res.bytes_written, strerror(-err));
	}
	switch (err) {
	case -ENOSPC:
	case -EDQUOT:
		return job_fail(j, err,
		                "no space left on %s (%s) after %" PRIu64
		                " bytes written: free space there or choose another target; %s and "
		                "its journal are kept, the same command continues from there",
		                dir, strerror(-err), j->res.bytes_written, partial_or_dest(j));
	case -EIO:
		return job_fail(
		    j, err,
		    "I/O error writing %s: the target's storage is failing (see dmesg); "
		    "rescue to another disk",
		    partial_or_dest(j));
	case -EROFS:
		return job_fail(
		    j, err,
		    "the filesystem of %s turned read-only (errors? see dmesg); rescue to "
		    "another filesystem",
		    dir);
	case -ENOENT:
	case -ESTALE:
		return job_fail(j, err,
		                "the target directory %s or %s is gone: recreate the directory and "
		                "run the same command again (the copy starts over)",
		                dir, partial_or_dest(j));
	default:
		return job_fail(j, err, "cannot write %s: %s; it and its journal are kept",
		                partial_or_dest(j), strerror(-err));
	}
}

int job_fail_read(struct job *j, int err, uint64_t off)
{
	const char *name = j->src_name ? j->src_name : "the source";

	if (err == -EIO)
		return job_fail(j, err,
		                "I/O error reading the source at byte %" PRIu64
		                " (%s): the disk holding it may be failing (see dmesg); %s is "
		                "kept, the same command continues from there",
		                off, name, partial_or_dest(j));
	return job_fail(j, err, "cannot read the source at byte %" PRIu64 " (%s): %s", off, name,
	                strerror(-err));
}

bool job_cancelled(struct job *j)
{
	unsigned n = atomic_load(&j->cancels);

	/* follow: the first request ends the follow normally */
	return n >= (j->spec.method == REC_FOLLOW ? 2u : 1u);
}

void job_cancel(struct job *j)
{
	/* an atomic increment on a lock-free atomic_uint: async-signal-safe */
	atomic_fetch_add(&j->cancels, 1);
}

void job_progress(struct job *j, struct job_progress *out)
{
	pthread_mutex_lock(&j->mu);
	*out = j->prog;
	pthread_mutex_unlock(&j->mu);
}

const struct job_result *job_result(const struct job *j)
{
	return &j->res;
}

/* ---- the journal ---- */

static int write_all_fd(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

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
	r = write_all_fd(fd, text, (size_t)n);
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

struct journal {
	char method[16];
	uint64_t dev, ino, size, lo, end, pos, src_pos, tgt_pos, tail_start;
	long long mt_s;
	long mt_ns;
	unsigned pass, block, truncations;
	bool complete;
};

static int journal_read_at(int dir_fd, const char *name, struct journal *jr)
{
	char text[2048], *line, *save;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	memset(jr, 0, sizeof(*jr));
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	text[n] = '\0';
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

static int journal_read(struct job *j, struct journal *jr)
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

/* ---- starting ---- */

static bool same_mtime(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void set_ioprio(struct job *j)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	if (j->ioprio_tid == tid)
		return;
	/* Per thread: jobs may be stepped from a worker. Failure only costs politeness. */
	(void)syscall(SYS_ioprio_set, RT_IOPRIO_WHO_PROCESS, 0,
	              RT_IOPRIO_CLASS_IDLE << RT_IOPRIO_CLASS_SHIFT);
	j->ioprio_tid = tid;
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

static uint64_t chunk_for(uint64_t rate, uint32_t block)
{
	uint64_t c = JOB_CHUNK_MAX;

	if (rate && rate / 4 < c)
		c = rate / 4;
	c = c / block * block;
	return c < block ? block : c;
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
				job_say(j, "a frozen copy is one moment: copying it all again into "
				           "the same partial file");
			else
				job_say(j,
				        "the source changed since the interrupted copy: copying it "
				        "again into the same partial file");
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

static int prepare_target(struct job *j)
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
		return -EEXIST;
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
	if (j->spec.method == REC_RELINK) {
		if (dst.st_dev != j->st_start.st_dev)
			return -EXDEV;
		snprintf(j->res.final_path, sizeof(j->res.final_path), "%s", j->dest);
		return 0;
	}
	snprintf(j->res.final_path, sizeof(j->res.final_path), "%s.partial", j->dest);
	if (fstatat(j->dir_fd, j->partial_base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		r = journal_read(j, &jr);
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
		if (r < 0)
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
	if ((r = create_partial(j)) < 0)
		return r < 0 && j->have_partial ? unmake(j, r) : r;
	if (j->spec.method == REC_REFLINK) {
		if ((r = clone_into_partial(j)) < 0)
			return unmake(j, r);
		j->jpos = j->end;
	}
	return 0;
}

static int check_spec(const struct job_spec *s)
{
	if (!s || !s->src || s->src->fd < 0)
		return -EINVAL;
	switch (s->method) {
	case REC_COPY:
	case REC_FOLLOW:
	case REC_SYNC:
	case REC_REFLINK:
	case REC_RELINK:
		break;
	default:
		return -EINVAL;
	}
	/* exactly one of them: a spec whose stream_fd was left 0 by mistake next to a
	 * DEST must not write to fd 0 */
	if (s->stream_fd >= 0 && (s->method != REC_COPY || s->dest))
		return -EINVAL;
	if (s->stream_fd < 0 && (!s->dest || !*s->dest))
		return -EINVAL;
	if (s->src->kind == PIN_LOOPDEV &&
	    (s->method == REC_REFLINK || s->method == REC_RELINK || s->method == REC_FOLLOW))
		return -EINVAL;
	if ((s->freeze || s->freeze_fs) && !(s->method == REC_SYNC || s->method == REC_REFLINK ||
	                                     (s->method == REC_COPY && s->stream_fd < 0)))
		return -EINVAL;
	if (s->nwriters && !s->writers)
		return -EINVAL;
	return 0;
}

static uint32_t block_for(uint64_t size)
{
	uint64_t b = JOB_BLOCK_MIN;

	while (size / b > JOB_TABLE_MAX)
		b *= 2;
	return (uint32_t)b;
}

int job_start(const struct job_spec *spec, struct job **out)
{
	struct job *j;
	int r;

	*out = NULL;
	if ((r = check_spec(spec)) < 0)
		return r;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	pthread_mutex_init(&j->mu, NULL);
	atomic_init(&j->cancels, 0);
	j->spec = *spec;
	j->dir_fd = j->dst_fd = j->src_fd = -1;
	j->dio[0] = j->dio[1] = -2;
	j->fz.fsfd = j->fz.gpipe = -1;
	j->res.unreadable = 0;
	j->prog.eta_s = -1;
	j->prog.state = JOB_RUNNING;
	if (spec->dest && !(j->dest = strdup(spec->dest)))
		goto nomem;
	if (spec->src_name && !(j->src_name = strdup(spec->src_name)))
		goto nomem;
	if (spec->nwriters) {
		j->writers = malloc(spec->nwriters * sizeof(*j->writers));
		if (!j->writers)
			goto nomem;
		memcpy(j->writers, spec->writers, spec->nwriters * sizeof(*j->writers));
	}
	j->spec.dest = j->dest;
	j->spec.src_name = j->src_name;
	j->spec.writers = j->writers;
	j->spec.freeze_fs = NULL;
	if (spec->freeze_fs && !(j->spec.freeze_fs = strdup(spec->freeze_fs)))
		goto nomem;

	if (fstat(spec->src->fd, &j->st_start) < 0) {
		r = -errno;
		goto fail;
	}
	j->loopdev = spec->src->kind == PIN_LOOPDEV;
	if (j->loopdev) {
		j->lo = spec->src->dev_start;
		j->end = spec->src->dev_start + spec->src->dev_size;
		uint64_t size = spec->src_size;
		if (!size && spec->ino && job_true_size(spec->dev, spec->ino, &size) < 0)
			size = 0;
		/* the offset before the device, and the tail past it; unknown without the
		 * file's size */
		if (size && size >= j->end)
			j->res.unreadable = (int64_t)(size - j->end + j->lo);
		else
			j->res.unreadable = -1;
		/* the device's own inode says nothing about the file's size or changes */
		j->st_start.st_size = (off_t)j->end;
	} else {
		if (!S_ISREG(j->st_start.st_mode)) {
			r = -EINVAL;
			goto fail;
		}
		if (spec->ino &&
		    (j->st_start.st_ino != spec->ino || j->st_start.st_dev != spec->dev)) {
			r = -ESTALE;
			goto fail;
		}
		/* the journal names the source by these */
		j->spec.dev = j->st_start.st_dev;
		j->spec.ino = j->st_start.st_ino;
		j->end = (uint64_t)j->st_start.st_size;
	}
	if (spec->method == REC_SYNC || spec->method == REC_REFLINK)
		j->block = block_for(j->end);
	else
		j->block = JOB_BLOCK_MIN;
	j->chunk = (uint32_t)chunk_for(spec->max_rate, j->block);
	j->max_passes = spec->max_passes ? spec->max_passes : 8;
	if ((spec->freeze || spec->freeze_fs) && j->max_passes < 2)
		j->max_passes = 2;
	j->converge = spec->converge_bytes;
	if (!j->converge)
		j->converge = j->end / 1000 > (1u << 20) ? j->end / 1000 : (1u << 20);
	if ((r = job_check_freezable(j)) < 0)
		goto fail;

	j->bufsz = (j->chunk > j->block ? j->chunk : j->block) + JOB_TAIL;
	if (j->bufsz < JOB_CHUNK_MAX)
		j->bufsz = JOB_CHUNK_MAX;
	if (posix_memalign((void **)&j->buf, 4096, j->bufsz) != 0)
		goto nomem;
	j->stream_h = XXH3_createState();
	if (!j->stream_h)
		goto nomem;
	XXH3_128bits_reset(j->stream_h);
	/* copy and follow check that the result reads back as written with a hash of
	 * what passed; sync checks its block table instead, a clone has nothing */
	j->stream_valid = spec->method == REC_COPY || spec->method == REC_FOLLOW;
	{
		memset(j->buf, 0, j->block);
		j->zero_hash = XXH3_64bits(j->buf, j->block);
	}

	/* reading: the pin, or our own O_DIRECT reopen of a loop device (a filesystem
	 * mounted on it writes past the device's page cache) */
	j->src_fd = spec->src->fd;
	if (j->loopdev) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", spec->src->fd);
		int fd = open(p, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY);
		if (fd >= 0) {
			j->src_fd = fd;
			j->src_direct = true;
		}
	} else {
		/* Only our own open file is affected. Never DONTNEED: that would drop the
		 * holder's cached pages too. */
		(void)posix_fadvise(j->src_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		(void)posix_fadvise(j->src_fd, 0, 0, POSIX_FADV_NOREUSE);
	}
	j->ext.fd = j->src_fd;
	j->ext.ok = !j->loopdev;
	job_ext_reset(&j->ext);

	set_ioprio(j);
	j->pos = j->jpos = j->lo;
	if (spec->stream_fd >= 0) {
		j->stream = true;
		j->dst_fd = spec->stream_fd;
		snprintf(j->res.final_path, sizeof(j->res.final_path), "-");
	} else if ((r = prepare_target(j)) < 0) {
		goto fail;
	}

	switch (spec->method) {
	case REC_RELINK:
		job_set_phase(j, PH_RELINK, "relinking");
		break;
	case REC_COPY:
		if (spec->freeze || spec->freeze_fs)
			job_set_phase(j, PH_FREEZE, "stopping writers"); /* then the whole copy */
		else
			job_set_phase(j, PH_COPY, j->res.resumed ? "copying (resumed)" : "copying");
		break;
	case REC_FOLLOW:
		j->next_writer_check = 0;
		job_set_phase(j, PH_FOLLOW, "following");
		break;
	case REC_SYNC:
		if (!j->res.resumed) {
			j->pass = 1;
			j->rehash_then_copy = true;
			job_set_phase(j, PH_COPY, "pass 1");
		} else {
			j->pos = j->lo;
			job_set_phase(j, PH_REHASH, "resuming");
		}
		break;
	case REC_REFLINK:
		j->pass = 1;
		if (spec->sync_after_reflink || spec->freeze || spec->freeze_fs) {
			j->rehash_end = 0; /* set from the clone's size */
			j->rehash_then_copy = false;
			j->pos = j->lo;
			job_set_phase(j, PH_REHASH, "hashing the clone");
		} else {
			job_set_phase(j, PH_VERIFY, "verifying");
		}
		break;
	default:
		break;
	}
	if (spec->method == REC_REFLINK) {
		struct stat ts;
		if (fstat(j->dst_fd, &ts) == 0)
			j->rehash_end = (uint64_t)ts.st_size;
		j->res.bytes_written = 0;
	}
	job_publish(j, 0, j->end);
	j->started = true;
	*out = j;
	return 0;
nomem:
	r = -ENOMEM;
fail:
	job_free(j);
	return r;
}

/* ---- relink ---- */

static int relink_step(struct job *j)
{
	char p[64];
	struct stat st;
	int r;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", j->spec.src->fd);
	r = linkat(AT_FDCWD, p, j->dir_fd, j->base, AT_SYMLINK_FOLLOW);
	if (r < 0 && errno == ENOENT && access("/proc/self/fd", F_OK) != 0)
		r = linkat(j->spec.src->fd, "", j->dir_fd, j->base, AT_EMPTY_PATH);
	if (r < 0) {
		int e = errno;
		if (e == ENOENT)
			return job_fail(
			    j, -ENOENT,
			    "the kernel refuses to link a deleted file that was not made "
			    "with O_TMPFILE or was made with O_EXCL: copy it instead");
		if (e == EEXIST)
			return job_fail(j, -EEXIST, "%s exists now: nothing was replaced", j->dest);
		if (e == EXDEV)
			return job_fail(j, -EXDEV,
			                "%s is on another mount than the file: a link must stay on "
			                "the mount (and filesystem) the file lives on",
			                j->dest);
		return job_fail(j, -e, "cannot link the file as %s: %s", j->dest, strerror(e));
	}
	if (fstatat(j->dir_fd, j->base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    st.st_ino != j->st_start.st_ino || st.st_dev != j->st_start.st_dev)
		return job_fail(j, -ESTALE, "%s is not the rescued inode after linking", j->dest);
	if (fsync(j->dir_fd) < 0 && errno != EINVAL)
		return job_fail(j, -errno, "cannot fsync the directory %s: %s", j->dir,
		                strerror(errno));
	j->res.verified = true;
	j->res.size = (uint64_t)st.st_size;
	job_set_phase(j, PH_END, "done");
	pthread_mutex_lock(&j->mu);
	j->prog.state = JOB_DONE;
	say_locked(j,
	           "%s is the very inode again (%" PRIu64 " bytes, inode %" PRIu64
	           "): writes by its holders show through it",
	           j->dest, (uint64_t)st.st_size, (uint64_t)st.st_ino);
	pthread_mutex_unlock(&j->mu);
	job_publish(j, j->res.size, j->res.size);
	return 0;
}

/* ---- finishing ---- */

static int finish_step(struct job *j)
{
	int r;

	if (j->stream) {
		job_set_phase(j, PH_END, "done");
		pthread_mutex_lock(&j->mu);
		j->prog.state = JOB_DONE;
		pthread_mutex_unlock(&j->mu);
		return 0;
	}
	if (fsync(j->dst_fd) < 0)
		return job_fail_write(j, -errno);
	r = renameat2(j->dir_fd, j->partial_base, j->dir_fd, j->base, RENAME_NOREPLACE);
	if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
		/* no RENAME_NOREPLACE here: link() never replaces either */
		r = linkat(j->dir_fd, j->partial_base, j->dir_fd, j->base, 0);
		if (r == 0)
			unlinkat(j->dir_fd, j->partial_base, 0);
	}
	if (r < 0) {
		int e = errno;
		if (e == EEXIST)
			return job_fail(j, -EEXIST,
			                "%s appeared while the copy ran: nothing was replaced, the "
			                "verified result stays in %s",
			                j->dest, j->res.final_path);
		return job_fail_write(j, -e);
	}
	j->have_partial = false;
	snprintf(j->res.final_path, sizeof(j->res.final_path), "%s", j->dest);
	unlinkat(j->dir_fd, j->journal_base, 0);
	j->journaled = false;
	if (fsync(j->dir_fd) < 0 && errno != EINVAL)
		return job_fail(j, -errno, "cannot fsync the directory %s: %s", j->dir,
		                strerror(errno));
	job_set_phase(j, PH_END, "done");
	pthread_mutex_lock(&j->mu);
	j->prog.state = JOB_DONE;
	pthread_mutex_unlock(&j->mu);
	return 0;
}

static int do_cancel(struct job *j)
{
	uint64_t done = j->spec.method == REC_FOLLOW ? j->tgt_pos
	                : j->jpos > j->lo            ? j->jpos - j->lo
	                                             : 0;

	job_resume_all(j);
	if (j->have_partial)
		(void)job_journal_save(j);
	j->err = -ECANCELED;
	pthread_mutex_lock(&j->mu);
	j->prog.state = JOB_CANCELLED;
	j->prog.error = -ECANCELED;
	j->prog.frozen = false;
	if (j->stream)
		say_locked(j, "stopped by request after %" PRIu64 " bytes of the stream",
		           j->res.bytes_written);
	else if (j->spec.method == REC_RELINK)
		say_locked(j, "stopped by request: nothing was linked");
	else
		say_locked(j,
		           "stopped by request (%" PRIu64
		           " bytes in); %s and its journal are kept: "
		           "the same command continues",
		           done, j->res.final_path);
	pthread_mutex_unlock(&j->mu);
	return -ECANCELED;
}

int job_step(struct job *j, unsigned budget_ms)
{
	int64_t deadline;
	int r = 0;

	if (j->err)
		return j->err;
	if (j->ph == PH_END)
		return 0;
	set_ioprio(j);
	deadline = job_now() + (int64_t)budget_ms * 1000000ll;
	for (;;) {
		if (j->ph != PH_FINISH && j->ph != PH_END && job_cancelled(j))
			return do_cancel(j);
		if (j->spec.method == REC_FOLLOW && atomic_load(&j->cancels) >= 1)
			j->follow_stop = true;
		switch (j->ph) {
		case PH_RELINK:
			return relink_step(j);
		case PH_REHASH:
			r = job_rehash_step(j, deadline);
			break;
		case PH_COPY:
			r = job_copy_step(j, deadline);
			break;
		case PH_FOLLOW:
			r = job_follow_step(j, deadline);
			break;
		case PH_PASS:
		case PH_FROZEN_PASS:
			r = job_pass_step(j, deadline);
			break;
		case PH_FREEZE:
			r = job_freeze_step(j, deadline);
			break;
		case PH_FROZEN_DONE:
			/* The caller saw one step end with the writers stopped; now let them go. */
			job_resume_all(j);
			job_set_phase(j, PH_VERIFY, "verifying");
			job_say(j, "writers resumed after the frozen pass; verifying the result");
			r = 0;
			break;
		case PH_VERIFY:
			r = job_verify_step(j, deadline);
			break;
		case PH_FINISH:
			r = finish_step(j);
			if (r == 0 && j->ph == PH_END)
				return 0;
			break;
		case PH_END:
			return 0;
		}
		if (r < 0)
			return j->err ? j->err : job_fail(j, r, "%s", strerror(-r));
		if (r > 0 || job_now() >= deadline)
			return 1;
	}
}

void job_free(struct job *j)
{
	if (!j)
		return;
	job_resume_all(j);
	/* an unfinished copy can be resumed: leave a current journal behind */
	if (j->started && !j->err && j->have_partial && j->ph != PH_END && j->ph != PH_FINISH)
		(void)job_journal_save(j);
	if (j->src_direct && j->src_fd >= 0)
		close(j->src_fd);
	for (int i = 0; i < 2; i++)
		if (j->dio[i] >= 0)
			close(j->dio[i]);
	if (!j->stream && j->dst_fd >= 0)
		close(j->dst_fd);
	if (j->dir_fd >= 0)
		close(j->dir_fd);
	free(j->fz.pid);
	free(j->fz.pidfd);
	XXH3_freeState(j->stream_h);
	XXH3_freeState(j->frozen_h);
	XXH3_freeState(j->v.a);
	XXH3_freeState(j->v.b);
	free(j->table);
	free(j->buf);
	free(j->dest);
	free(j->src_name);
	free(j->writers);
	free((char *)j->spec.freeze_fs);
	free(j->dir);
	free(j->base);
	free(j->partial_base);
	free(j->journal_base);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

size_t job_writers_of(const struct entry *e, struct job_writer *w, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nholders && n < max; i++) {
		const struct holder *h = &e->holders[i];
		if (h->type == HOLDER_FD && (h->access & PARSE_ACC_W))
			w[n++] = (struct job_writer){.pid = h->pid, .fd = h->fd};
		else if (h->type == HOLDER_MMAP && h->map_write)
			w[n++] = (struct job_writer){.pid = h->pid, .fd = -1};
	}
	return n;
}
