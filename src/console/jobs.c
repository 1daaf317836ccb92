/* jobs: rescues in worker threads. See jobs.h. */
#include "console/jobs.h"

#include "rescue/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One step's budget: small, so that a cancel or a quit is taken at once. */
#define JOB_STEP_MS 50

long jobs_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void jobs_poke(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0) {
		/* Full only when nobody reads: the main loop is gone. */
	}
}

static void free_job(struct cjob *c)
{
	if (!c)
		return;
	job_free(c->j);
	pthread_mutex_destroy(&c->mu);
	if (c->pin.fd >= 0)
		close(c->pin.fd);
	free(c->writers);
	free(c->src_name);
	free(c->dest);
	free(c->loop_dev);
	free(c->loop_mp);
	free(c);
}

/* readerr: what RES left unread, kept after the engine is freed: the first ranges
 * in words, the map, and the same retry command --recover prints. */
static void keep_unread(struct cjob *c, const struct job_result *res)
{
	const struct badmap *bad = job_unread(c->j);

	c->unread_bytes = res->unread_bytes;
	c->unread_ranges = res->unread_ranges;
	for (size_t i = 0; bad && i < bad->n && i < PLAN_UNREAD_SHOWN; i++)
		plan_unread_range(&bad->v[i], c->unread[c->unread_shown++], PLAN_RANGE_LEN);
	snprintf(c->unread_map, sizeof(c->unread_map), "%s", res->unread_map);
	if (res->final_path[0])
		/* the console has no --retries: the default rounds, as --recover without it */
		(void)plan_retry_command(program_invocation_short_name, c->id, res->final_path,
		                         c->spec.method, -1, c->retry, sizeof(c->retry));
}

/* The end of C: outcome, reminders, log line; then publish. */
static void finish(struct cjob *c, int err)
{
	const struct job_result *res = c->j ? job_result(c->j) : NULL;
	struct job_progress pr = {0};
	struct after_facts af;
	const char *result;
	char incomplete[128];

	c->err = err;
	c->t1_ms = jobs_now_ms();
	if (c->j)
		job_progress(c->j, &pr);
	if (res) {
		c->ok = plan_outcome(&c->facts, err, res, &af);
		if (err == 0 && res->unread_bytes)
			keep_unread(c, res);
		af.retry = c->retry[0] ? c->retry : NULL;
		c->nlines = after_checks(&af, c->lines);
		c->frozen_pass = res->frozen_pass;
		snprintf(c->final, sizeof(c->final), "%s", res->final_path);
		c->verified = res->verified;
		c->rsize = res->size;
		c->passes = res->passes;
	}
	if (!c->ok)
		snprintf(c->why, sizeof(c->why), "%s",
		         pr.message[0] ? pr.message : strerror(err < 0 ? -err : EIO));
	else
		snprintf(c->why, sizeof(c->why), "%s", pr.message);
	/* the words --recover logs for an incomplete result */
	snprintf(incomplete, sizeof(incomplete),
	         "incomplete: %" PRIu64 " bytes unread in %zu range(s)", c->unread_bytes,
	         c->unread_ranges);
	result = c->ok ? "ok" : c->unread_bytes ? incomplete : c->why;
	c->log_err = plan_log(c->log, c->spec.method, c->id, c->src_name, c->src_len, c->size,
	                      res && res->final_path[0] ? res->final_path : c->dest,
	                      res ? res->bytes_written : 0, result, res);
	/* Resumes and thaws anything still stopped, and drops the busy mark. */
	pthread_mutex_lock(&c->mu);
	job_free(c->j);
	c->j = NULL;
	pthread_mutex_unlock(&c->mu);
	atomic_store_explicit(&c->phase, CJOB_ENDED, memory_order_release);
	jobs_poke(c->wake_fd);
}

static void *run(void *arg)
{
	struct cjob *c = arg;
	int err, forwarded = 0;
	struct job *j = NULL;

	err = job_start(&c->spec, &j);
	if (err < 0) {
		finish(c, err);
		return NULL;
	}
	pthread_mutex_lock(&c->mu);
	c->j = j;
	pthread_mutex_unlock(&c->mu);
	atomic_store_explicit(&c->phase, CJOB_RUNNING, memory_order_release);
	jobs_poke(c->wake_fd);
	do {
		int want = atomic_load(&c->cancels);
		for (; forwarded < want; forwarded++)
			job_cancel(c->j);
		err = job_step(c->j, JOB_STEP_MS);
		jobs_poke(c->wake_fd);
	} while (err > 0);
	finish(c, err);
	return NULL;
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* C's own copies of what the job and its report need of E. */
static int copy_facts(struct cjob *c, const struct entry *e, const struct job_spec *spec)
{
	bool oom = false;

	c->pin = e->pin;
	c->pin.fd = fcntl(e->pin.fd, F_DUPFD_CLOEXEC, 0);
	if (c->pin.fd < 0)
		return -errno;
	c->writers = calloc(e->nholders ? e->nholders : 1, sizeof(*c->writers));
	c->src_name = malloc(e->path_len + 1);
	c->dest = dup_or_null(spec->dest, &oom);
	plan_facts_of(e, spec, &c->facts);
	c->loop_dev = dup_or_null(c->facts.loop_dev, &oom);
	c->loop_mp = dup_or_null(c->facts.loop_mountpoint, &oom);
	if (oom || !c->writers || !c->src_name)
		return -ENOMEM;
	if (e->path_len)
		memcpy(c->src_name, e->path, e->path_len);
	c->src_name[e->path_len] = 0;
	c->src_len = e->path_len;
	c->facts.loop_dev = c->loop_dev;
	c->facts.loop_mountpoint = c->loop_mp;
	c->spec = *spec;
	c->spec.src = &c->pin;
	c->spec.src_name = c->src_name;
	c->spec.dest = c->dest;
	c->spec.writers = c->writers;
	c->spec.nwriters = job_writers_of(e, c->writers, e->nholders);
	c->spec.freeze_fs = spec->freeze_fs ? c->loop_mp : NULL;
	c->spec.freeze_fs_on_request = spec->freeze_fs_on_request ? c->loop_mp : NULL;
	c->dev = e->dev;
	c->ino = e->ino;
	c->size = e->size;
	scan_entry_id(e, c->id, sizeof(c->id));
	return 0;
}

int jobs_start(struct jobs *js, const struct entry *e, const struct job_spec *spec, const char *log,
               int wake_fd)
{
	struct cjob *c;
	int err;

	if (js->n >= JOBS_MAX)
		return -ENOSPC;
	if (e->pin.fd < 0)
		return -EBADF;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pin.fd = -1;
	pthread_mutex_init(&c->mu, NULL);
	if ((err = copy_facts(c, e, spec)) < 0) {
		free_job(c);
		return err;
	}
	c->log = log;
	c->wake_fd = wake_fd;
	c->t0_ms = jobs_now_ms();
	atomic_init(&c->phase, CJOB_STARTING);
	atomic_init(&c->cancels, 0);
	err = pthread_create(&c->th, NULL, run, c);
	if (err) {
		free_job(c);
		return -err;
	}
	js->v[js->n] = c;
	return (int)js->n++;
}

bool cjob_ended(const struct cjob *c)
{
	return atomic_load_explicit(&((struct cjob *)c)->phase, memory_order_acquire) == CJOB_ENDED;
}

bool cjob_progress(struct cjob *c, struct job_progress *p)
{
	bool have;

	pthread_mutex_lock(&c->mu);
	have = c->j != NULL;
	if (have)
		job_progress(c->j, p);
	pthread_mutex_unlock(&c->mu);
	return have;
}

void cjob_cancel(struct cjob *c)
{
	atomic_fetch_add(&c->cancels, 1);
}

int cjob_request_freeze(struct cjob *c)
{
	int r = -EAGAIN;

	/* The engine's request is safe from this thread; the lock keeps J alive. */
	pthread_mutex_lock(&c->mu);
	if (c->j)
		r = job_request_freeze(c->j);
	pthread_mutex_unlock(&c->mu);
	return r;
}

size_t jobs_running(const struct jobs *js)
{
	size_t n = 0;

	for (size_t i = 0; i < js->n; i++)
		n += !cjob_ended(js->v[i]);
	return n;
}

struct cjob *jobs_of(const struct jobs *js, dev_t dev, ino_t ino)
{
	for (size_t i = js->n; i-- > 0;)
		if (js->v[i]->dev == dev && js->v[i]->ino == ino)
			return js->v[i];
	return NULL;
}

void jobs_cancel_all(struct jobs *js)
{
	for (size_t i = 0; i < js->n; i++)
		if (!cjob_ended(js->v[i]))
			/* Twice: a follow ends at the first, and quitting means stop. */
			atomic_fetch_add(&js->v[i]->cancels, 2);
}

void jobs_free(struct jobs *js)
{
	for (size_t i = 0; i < js->n; i++) {
		pthread_join(js->v[i]->th, NULL);
		free_job(js->v[i]);
	}
	js->n = 0;
}
