/* job: the driver of the recovery engines: start (checks, target), steps, cancel,
 * failure, the final rename, free. The top of src/rescue (see rescue/state.h for the
 * order of the files below it); the faces use it through rescue/job.h. */
#include "rescue/busy.h"
#include "rescue/copy.h"
#include "base/util.h"
#include "rescue/freeze.h"
#include "rescue/io.h"
#include "rescue/journal.h"
#include "rescue/prepare.h"
#include "rescue/salvage.h"
#include "rescue/verify.h"
#include "find/parse.h"
#include "base/compat.h"

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

/* ioprio_set(2) has no glibc wrapper; these are its uapi values. */
#define RT_IOPRIO_WHO_PROCESS 1
#define RT_IOPRIO_CLASS_IDLE  3
#define RT_IOPRIO_CLASS_SHIFT 13

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

static uint64_t chunk_for(uint64_t rate, uint32_t block)
{
	uint64_t c = JOB_CHUNK_MAX;

	if (rate && rate / 4 < c)
		c = rate / 4;
	c = c / block * block;
	return c < block ? block : c;
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

/* A new job with private copies of what SPEC points to; NULL when memory runs out. */
static struct job *job_alloc(const struct job_spec *spec)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	pthread_mutex_init(&j->mu, NULL);
	atomic_init(&j->cancels, 0);
	atomic_init(&j->freeze_asked, false);
	j->spec = *spec;
	j->dir_fd = j->dst_fd = j->src_fd = -1;
	j->dio[0] = j->dio[1] = -2;
	j->fz.fsfd = j->fz.gpipe = j->busy_fd = -1;
	j->prog.eta_s = -1;
	j->prog.state = JOB_RUNNING;
	j->spec.freeze_fs = j->spec.freeze_fs_on_request = NULL;
	if ((spec->dest && !(j->dest = strdup(spec->dest))) ||
	    (spec->src_name && !(j->src_name = strdup(spec->src_name))) ||
	    (spec->freeze_fs && !(j->spec.freeze_fs = strdup(spec->freeze_fs))) ||
	    (spec->freeze_fs_on_request &&
	     !(j->spec.freeze_fs_on_request = strdup(spec->freeze_fs_on_request))))
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
	return j;
nomem:
	job_free(j);
	return NULL;
}

/* What the source is: its stat at the start, the bytes to copy, and for a loop
 * device what cannot be read through it. */
static int source_facts(struct job *j)
{
	const struct job_spec *spec = &j->spec;
	int r = pin_stat(spec->src->fd, &j->st_start);

	if (r < 0)
		return r;
	j->loopdev = spec->src->kind == PIN_LOOPDEV;
	if (j->loopdev) {
		uint64_t size = spec->src_size;
		j->lo = spec->src->dev_start;
		j->end = spec->src->dev_start + spec->src->dev_size;
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
		return 0;
	}
	if (!S_ISREG(j->st_start.st_mode))
		return -EINVAL;
	if (spec->ino && (j->st_start.st_ino != spec->ino || j->st_start.st_dev != spec->dev))
		return -ESTALE;
	/* the journal names the source by these */
	j->spec.dev = j->st_start.st_dev;
	j->spec.ino = j->st_start.st_ino;
	j->end = (uint64_t)j->st_start.st_size;
	return 0;
}

/* Block and chunk sizes, the number of sync passes and when they have converged. */
static void set_grid(struct job *j)
{
	const struct job_spec *spec = &j->spec;

	if (spec->method == REC_SYNC || spec->method == REC_REFLINK)
		j->block = block_for(j->end);
	else
		j->block = JOB_BLOCK_MIN;
	j->chunk = (uint32_t)chunk_for(spec->max_rate, j->block);
	j->max_passes = spec->max_passes ? spec->max_passes : JOB_PASSES_DEFAULT;
	if ((spec->freeze || spec->freeze_fs) && j->max_passes < 2)
		j->max_passes = 2;
	/* readerr: rounds over the unread ranges */
	j->retries = spec->retries < 0 ? 0 : spec->retries ? (unsigned)spec->retries : JOB_RETRIES_DEFAULT;
	j->converge = spec->converge_bytes;
	if (!j->converge)
		j->converge = j->end / JOB_CONVERGE_PART > JOB_CONVERGE_MIN
		                  ? j->end / JOB_CONVERGE_PART
		                  : JOB_CONVERGE_MIN;
}

/* The I/O buffer and the hash of what passes through. */
static int set_buffers(struct job *j)
{
	j->bufsz = (j->chunk > j->block ? j->chunk : j->block) + JOB_TAIL;
	if (j->bufsz < JOB_CHUNK_MAX)
		j->bufsz = JOB_CHUNK_MAX;
	if (posix_memalign((void **)&j->buf, JOB_ALIGN, j->bufsz) != 0) {
		j->buf = NULL;
		return -ENOMEM;
	}
	j->stream_h = chash_new();
	if (!j->stream_h)
		return -ENOMEM;
	/* copy and follow check that the result reads back as written with a hash of
	 * what passed; sync checks its block table instead, a clone has nothing */
	j->stream_valid = j->spec.method == REC_COPY || j->spec.method == REC_FOLLOW;
	memset(j->buf, 0, j->block);
	j->zero_hash = XXH3_64bits(j->buf, j->block);
	return 0;
}

/* Reading: the pin, or our own O_DIRECT reopen of a loop device (a filesystem mounted
 * on it writes past the device's page cache). */
static void open_source(struct job *j)
{
	int pin = j->spec.src->fd;

	j->src_fd = pin;
	if (j->loopdev) {
		char p[64];
		int fd;
		snprintf(p, sizeof(p), "/proc/self/fd/%d", pin);
		fd = open(p, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY);
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
	/* a getfd pin shares the holder's offset: SEEK_DATA would move it */
	j->ext.ok = !j->loopdev && j->spec.src->kind != PIN_GETFD;
	job_ext_reset(&j->ext);
}

/* The phase the method starts in. */
static void first_phase(struct job *j)
{
	const struct job_spec *spec = &j->spec;
	bool freeze = spec->freeze || spec->freeze_fs;

	if (j->repair) { /* readerr: only the unread ranges of our result, then the check */
		job_say(j, "continuing %s in place: %" PRIu64 " bytes in %zu range(s) to read again",
		        j->dest, badmap_total(&j->bad), j->bad.n);
		job_set_phase(j, PH_VERIFY, "retrying");
		return;
	}
	switch (spec->method) {
	case REC_RELINK:
		job_set_phase(j, PH_RELINK, "relinking");
		break;
	case REC_COPY:
		if (freeze)
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
	case REC_REFLINK: {
		struct stat ts;
		j->pass = 1;
		if (fstat(j->dst_fd, &ts) == 0)
			j->rehash_end = (uint64_t)ts.st_size;
		j->res.bytes_written = 0;
		if (spec->sync_after_reflink || freeze) {
			j->rehash_then_copy = false;
			j->pos = j->lo;
			job_set_phase(j, PH_REHASH, "hashing the clone");
		} else {
			job_set_phase(j, PH_VERIFY, "verifying");
		}
		break;
	}
	default:
		break;
	}
}

int job_start(const struct job_spec *spec, struct job **out)
{
	struct job *j;
	int r;

	*out = NULL;
	if ((r = check_spec(spec)) < 0)
		return r;
	if (!(j = job_alloc(spec)))
		return -ENOMEM;
	if ((r = source_facts(j)) < 0)
		goto fail;
	/* A reclaim must not truncate what we read; without /run we run unmarked. */
	j->busy_fd = busy_hold(j->loopdev ? spec->dev : j->spec.dev,
	                       j->loopdev ? spec->ino : j->spec.ino);
	set_grid(j);
	if ((r = job_check_freezable(j)) < 0 || (r = set_buffers(j)) < 0)
		goto fail;
	open_source(j);
	set_ioprio(j);
	j->pos = j->jpos = j->lo;
	if (spec->stream_fd >= 0) {
		j->stream = true;
		j->dst_fd = spec->stream_fd;
		snprintf(j->res.final_path, sizeof(j->res.final_path), "-");
	} else if ((r = job_prepare_target(j)) < 0) {
		goto fail;
	}
	first_phase(j);
	job_publish(j, 0, j->end);
	j->started = true;
	*out = j;
	return 0;
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
			    "the kernel refuses to link a deleted file that was not made with O_TMPFILE or was made with O_EXCL: copy it instead");
		if (e == EEXIST)
			return job_fail(j, -EEXIST, "%s exists now: nothing was replaced", j->dest);
		if (e == EXDEV)
			return job_fail(
			    j, -EXDEV,
			    "%s is on another mount than the file: a link must stay on the mount (and filesystem) the file lives on",
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
	job_say_locked(j,
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
	/* readerr: the map stays beside the result while ranges are missing; a result
	 * continued in place has its name already */
	if ((r = job_unread_settle(j)) < 0)
		return job_fail_write(j, r);
	if (j->repair) {
		job_set_phase(j, PH_END, "done");
		pthread_mutex_lock(&j->mu);
		j->prog.state = JOB_DONE;
		pthread_mutex_unlock(&j->mu);
		return 0;
	}
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
			return job_fail(
			    j, -EEXIST,
			    "%s appeared while the copy ran: nothing was replaced, the verified result stays in %s",
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
	if (j->have_partial || j->repair) /* readerr: or the map of a result in place */
		(void)job_journal_save(j);
	j->err = -ECANCELED;
	pthread_mutex_lock(&j->mu);
	j->prog.state = JOB_CANCELLED;
	j->prog.error = -ECANCELED;
	j->prog.frozen = false;
	if (j->stream)
		job_say_locked(j, "stopped by request after %" PRIu64 " bytes of the stream",
		               j->res.bytes_written);
	else if (j->spec.method == REC_RELINK)
		job_say_locked(j, "stopped by request: nothing was linked");
	else
		job_say_locked(
		    j,
		    "stopped by request (%" PRIu64
		    " bytes in); %s and its journal are kept: the same command continues",
		    done, j->res.final_path);
	pthread_mutex_unlock(&j->mu);
	return -ECANCELED;
}

/* Everything is stopped: the whole copy (copy --freeze) or the final sync pass runs
 * now. */
static int frozen_begin(struct job *j)
{
	if (j->spec.method == REC_COPY) {
		job_set_phase(j, PH_COPY, "frozen copy");
		return 0;
	}
	job_pass_begin(j, true);
	job_publish(j, 0, j->end - j->lo);
	return j->err;
}

/* After a failure: let every writer run again and keep a journal for the same
 * command to continue from. Returns the job's error. */
static int settle_failure(struct job *j)
{
	job_resume_all(j);
	if (j->have_partial && j->ph != PH_FINISH && j->ph != PH_END)
		(void)job_journal_save(j);
	return j->err;
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
	deadline = job_now() + (int64_t)budget_ms * NS_PER_MS;
	for (;;) {
		if (j->ph != PH_FINISH && j->ph != PH_END && job_cancelled(j))
			return do_cancel(j);
		if (j->spec.method == REC_FOLLOW && atomic_load(&j->cancels) >= 1)
			j->follow_stop = true;
		switch (j->ph) {
		case PH_RELINK:
			r = relink_step(j);
			if (r == 0)
				return 0;
			break;
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
			if (r == 0)
				r = frozen_begin(j);
			break;
		case PH_FROZEN_DONE:
			/* The caller saw one step end with the writers stopped; now let them go. */
			job_resume_all(j);
			job_set_phase(j, PH_VERIFY, "verifying");
			job_say(j, "writers resumed after the frozen pass; verifying the result");
			r = 0;
			break;
		case PH_VERIFY:
			/* readerr: the unread ranges get their retries first */
			r = j->retry_done ? job_verify_step(j, deadline) : job_retry_step(j, deadline);
			break;
		case PH_FINISH:
			r = finish_step(j);
			if (r == 0 && j->ph == PH_END)
				return 0;
			break;
		case PH_END:
			return 0;
		}
		if (r < 0) {
			if (!j->err)
				job_fail(j, r, "%s", strerror(-r));
			return settle_failure(j);
		}
		if (r > 0 || job_now() >= deadline)
			return 1;
	}
}

int job_request_freeze(struct job *j)
{
	bool passes = j->spec.method == REC_SYNC ||
	              (j->spec.method == REC_REFLINK && j->spec.sync_after_reflink);
	int r = 0;

	if (!passes || j->stream)
		return -EOPNOTSUPP;
	if (j->spec.freeze || j->spec.freeze_fs)
		return -EALREADY;
	if ((r = job_check_stoppable(j)) < 0)
		return r;
	pthread_mutex_lock(&j->mu);
	if (j->prog.freeze_req != JOB_FREEZE_NONE)
		r = -EALREADY;
	else if (j->prog.state != JOB_RUNNING)
		r = -EBUSY; /* set_phase(PH_VERIFY) changes it under this lock */
	else {
		atomic_store(&j->freeze_asked, true);
		j->prog.freeze_req = JOB_FREEZE_ASKED;
	}
	pthread_mutex_unlock(&j->mu);
	return r;
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
	free(j->res.frozen);
	chash_free(j->stream_h);
	chash_free(j->frozen_h);
	chash_free(j->v.a);
	chash_free(j->v.b);
	free(j->table);
	free(j->buf);
	free(j->dest);
	free(j->src_name);
	free(j->writers);
	free((char *)j->spec.freeze_fs);
	free((char *)j->spec.freeze_fs_on_request);
	free(j->dir);
	free(j->base);
	free(j->partial_base);
	free(j->journal_base);
	free(j->unread_base); /* readerr */
	badmap_free(&j->bad);
	busy_release(j->busy_fd);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

size_t job_writers_of(const struct entry *e, struct job_writer *w, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nholders && n < max; i++) {
		const struct holder *h = &e->holders[i];
		if (h->type == HOLDER_FD && (h->access & PARSE_ACC_W))
			w[n++] = (struct job_writer){.pid = h->pid, .fd = h->fd, .tid = h->tid};
		else if (h->type == HOLDER_MMAP && h->map_write)
			w[n++] = (struct job_writer){.pid = h->pid, .fd = -1};
	}
	return n;
}
