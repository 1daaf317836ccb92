/* orphans: the offline console's entries and its one action. See orphans.h. */
#include "console/orphans.h"

#include "console/jobs.h"
#include "offline/words.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A copy pokes the console at most this often (a redraw is ten a second at most). */
#define POKE_MS 50

int orph_load(struct orphans *o, const char *dev, bool deep, const char *log, char *why, size_t len)
{
	char msg[OFF_WHY_LEN] = "";
	struct off_fs *fs;
	int err;

	memset(o, 0, sizeof(*o));
	o->dev = dev;
	o->deep = deep;
	o->log = log;
	err = off_mounted(dev, why, len);
	if (err != 0) {
		if (err < 0)
			snprintf(why, len, "%s", strerror(-err));
		return err;
	}
	err = off_open(dev, false, &fs, msg);
	if (err < 0) {
		snprintf(why, len, "%s", msg[0] ? msg : strerror(-err));
		return err;
	}
	err = off_scan(fs, deep, &o->s);
	off_close(fs, NULL);
	if (err < 0)
		snprintf(why, len, "cannot walk the orphans: %s", strerror(-err));
	return err;
}

/* A copy's progress: publish, poke now and then, and pass on a cancel. */
static int on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct ojob *j = ctx;
	long t = jobs_now_ms();

	atomic_store(&j->done, done);
	atomic_store(&j->total, total);
	if (t - j->last_poke_ms >= POKE_MS) {
		j->last_poke_ms = t;
		jobs_poke(j->wake_fd);
	}
	return atomic_load(&j->cancel);
}

static void run_copy(struct ojob *j)
{
	struct off_fs *fs;
	const char *result;
	int err = off_open(j->dev, false, &fs, j->why);

	if (err == 0) {
		err = off_recover(fs, j->ino, j->dest, on_progress, j, &j->copy);
		off_close(fs, NULL);
		if (err < 0)
			snprintf(j->why, sizeof(j->why), "%s",
			         j->copy.message[0] ? j->copy.message : strerror(-err));
	}
	j->err = err;
	j->ok = err == 0;
	j->nlines = off_recover_checks(j->dev, &j->copy, j->ok, j->lines);
	result = j->ok ? "ok" : j->why[0] ? j->why : strerror(-err);
	j->log_err = off_log(j->log, j->dev, "offline-copy", j->ino,
	                     j->copy.final_path[0] ? j->copy.final_path : j->dest,
	                     j->copy.bytes_written, result);
}

/* After a relink: the list as it is now (the inode is no orphan any more). */
static void rescan(struct ojob *j, bool deep)
{
	struct off_fs *fs;
	char why[OFF_WHY_LEN];

	if (off_open(j->dev, false, &fs, why) == 0) {
		j->have_after = off_scan(fs, deep, &j->after) == 0;
		off_close(fs, NULL);
	}
}

static void run_relink(struct ojob *j, bool deep)
{
	struct off_fs *fs;
	char where[PATH_MAX + 64], why[OFF_WHY_LEN] = "";
	int err = off_mounted(j->dev, where, sizeof(where));

	/* Mounted since the console started: writing now would corrupt it. */
	if (err != 0) {
		snprintf(j->why, sizeof(j->why), "%s is mounted now (%.200s): nothing written",
		         j->dev, err > 0 ? where : strerror(-err));
		err = err > 0 ? -EBUSY : err;
	} else if ((err = off_open(j->dev, true, &fs, j->why)) == 0) {
		err = off_relink(fs, j->ino, j->dest[0] ? j->dest : NULL, &j->rel);
		if (off_close(fs, why) < 0 && err == 0) {
			err = -EIO;
			snprintf(j->rel.message, sizeof(j->rel.message), "%s", why);
		}
		if (err < 0)
			snprintf(j->why, sizeof(j->why), "%s",
			         j->rel.message[0] ? j->rel.message : strerror(-err));
	}
	j->err = err;
	j->ok = err == 0;
	off_fsck_command(j->dev, j->fsck_cmd, sizeof(j->fsck_cmd));
	j->fsck = -1;
	if (j->ok) {
		j->fsck = off_fsck(j->dev, j->fsck_out, sizeof(j->fsck_out));
		rescan(j, deep);
	}
	j->log_err = off_log(
	    j->log, j->dev, "offline-relink", j->ino, j->rel.path[0] ? j->rel.path : NULL, 0,
	    j->ok ? (j->fsck == 0 ? "ok, e2fsck -fn clean" : "ok, e2fsck -fn not clean")
	          : (j->why[0] ? j->why : strerror(-err)));
}

struct start_arg {
	struct ojob *j;
	bool deep;
};

static void *thread(void *arg)
{
	struct start_arg *a = arg;
	struct ojob *j = a->j;
	bool deep = a->deep;

	free(a);
	if (j->kind == OJOB_COPY)
		run_copy(j);
	else
		run_relink(j, deep);
	j->t1_ms = jobs_now_ms();
	atomic_store_explicit(&j->phase, OJOB_ENDED, memory_order_release);
	jobs_poke(j->wake_fd);
	return NULL;
}

static void free_job(struct ojob *j)
{
	if (!j)
		return;
	pthread_join(j->th, NULL);
	if (j->have_after)
		off_scan_free(&j->after);
	free(j);
}

int orph_start(struct orphans *o, enum ojob_kind kind, uint32_t ino, const char *dest, int wake_fd)
{
	struct ojob *j;
	struct start_arg *a;
	int err;

	if (orph_running(o))
		return -EBUSY;
	j = calloc(1, sizeof(*j));
	a = malloc(sizeof(*a));
	if (!j || !a) {
		free(j);
		free(a);
		return -ENOMEM;
	}
	j->kind = kind;
	j->ino = ino;
	j->dev = o->dev;
	j->log = o->log;
	snprintf(j->dest, sizeof(j->dest), "%s", dest ? dest : "");
	j->wake_fd = wake_fd;
	j->t0_ms = j->last_poke_ms = jobs_now_ms();
	atomic_init(&j->phase, OJOB_RUNNING);
	*a = (struct start_arg){j, o->deep};
	err = pthread_create(&j->th, NULL, thread, a);
	if (err) {
		free(j);
		free(a);
		return -err;
	}
	free_job(o->job);
	o->job = j;
	return 0;
}

bool orph_ended(const struct ojob *j)
{
	return atomic_load_explicit(&j->phase, memory_order_acquire) == OJOB_ENDED;
}

bool orph_running(const struct orphans *o)
{
	return o->job && !orph_ended(o->job);
}

bool orph_cancel(struct orphans *o)
{
	if (!orph_running(o) || o->job->kind != OJOB_COPY)
		return false;
	atomic_store(&o->job->cancel, true);
	return true;
}

bool orph_news(struct orphans *o, struct view *v)
{
	struct ojob *j = o->job;

	if (!j || !orph_ended(j) || !j->have_after)
		return false;
	off_scan_free(&o->s);
	o->s = j->after;
	j->have_after = false;
	memset(&j->after, 0, sizeof(j->after));
	orph_view(o, v);
	return true;
}

int orph_view(const struct orphans *o, struct view *v)
{
	size_t *idx = o->s.n ? realloc(v->idx, o->s.n * sizeof(*idx)) : v->idx;
	size_t sel = v->sel;

	if (!idx)
		return -ENOMEM;
	v->idx = idx;
	v->n = o->s.n;
	for (size_t i = 0; i < o->s.n; i++) {
		idx[i] = i;
		if (v->have_sel && o->s.v[i].ino == v->sel_ino)
			sel = i;
	}
	orph_select(o, v, (long)sel);
	return 0;
}

void orph_select(const struct orphans *o, struct view *v, long row)
{
	if (!view_move(v, row))
		return;
	v->sel_ino = o->s.v[v->sel].ino;
}

const struct off_entry *orph_selected(const struct orphans *o, const struct view *v)
{
	return v->n && v->sel < v->n && v->sel < o->s.n ? &o->s.v[v->sel] : NULL;
}

void orph_free(struct orphans *o)
{
	if (o->job)
		atomic_store(&o->job->cancel, true);
	free_job(o->job);
	o->job = NULL;
	off_scan_free(&o->s);
}
