/* state: what every part of a job shares and publishes: the phase, the progress
 * record (rate, ETA), the message, failure and cancellation. The bottom of
 * src/rescue: it calls nothing else of it. */
#include "rescue/state.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>

int64_t job_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * NS_PER_SEC + t.tv_nsec;
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
	/* Under the lock job_request_freeze takes: a request either came before this
	 * (and was not taken at the last boundary: too late) or is refused (-EBUSY). */
	if (ph == PH_VERIFY && !j->freeze_taken && j->prog.freeze_req == JOB_FREEZE_ASKED)
		j->prog.freeze_req = JOB_FREEZE_TOO_LATE;
	j->prog.pass = j->pass;
	pthread_mutex_unlock(&j->mu);
}

/* Rate: the work counter's growth over the last JOB_RATE_WINDOW_NS, sampled at most
 * every JOB_RATE_SAMPLE_NS into a ring of JOB_RATE_RING readings. */
void job_publish(struct job *j, uint64_t done, uint64_t total)
{
	int64_t now = job_now();
	unsigned last = (j->rs_i + JOB_RATE_RING - 1) % JOB_RATE_RING;
	double rate = -1;

	if (j->rs_n == 0 || now - j->rs_t[last] >= JOB_RATE_SAMPLE_NS) {
		j->rs_t[j->rs_i] = now;
		j->rs_b[j->rs_i] = j->work;
		j->rs_i = (j->rs_i + 1) % JOB_RATE_RING;
		if (j->rs_n < JOB_RATE_RING)
			j->rs_n++;
	}
	/* the oldest sample still inside the window */
	for (unsigned k = j->rs_n; k > 0; k--) {
		unsigned i = (j->rs_i + JOB_RATE_RING - k) % JOB_RATE_RING;
		if (now - j->rs_t[i] <= JOB_RATE_WINDOW_NS && now - j->rs_t[i] > JOB_RATE_MIN_SPAN_NS) {
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
	j->prog.frozen = (j->fz.stopped && j->fz.settled) || j->fz.fs_frozen;
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

void job_say_locked(struct job *j, const char *fmt, ...)
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

/* End the job with ERR and publish the reason; the driver settles the rest. */
int job_fail(struct job *j, int err, const char *fmt, ...)
{
	va_list ap;

	if (j->err)
		return j->err;
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
		return job_fail(
		    j, err,
		    "no space left on %s (%s) after %" PRIu64
		    " bytes written: free space there or choose another target; %s and its journal are kept, the same command continues from there",
		    dir, strerror(-err), j->res.bytes_written, partial_or_dest(j));
	case -EIO:
		return job_fail(
		    j, err,
		    "I/O error writing %s: the target's storage is failing (see dmesg); rescue to another disk",
		    partial_or_dest(j));
	case -EROFS:
		return job_fail(
		    j, err,
		    "the filesystem of %s turned read-only (errors? see dmesg); rescue to another filesystem",
		    dir);
	case -ENOENT:
	case -ESTALE:
		return job_fail(
		    j, err,
		    "the target directory %s or %s is gone: recreate the directory and run the same command again (the copy starts over)",
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
		return job_fail(
		    j, err,
		    "I/O error reading the source at byte %" PRIu64
		    " (%s): the disk holding it may be failing (see dmesg); %s is kept, the same command continues from there",
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

bool job_stops_writers(const struct job *j)
{
	return j->spec.freeze || j->freeze_taken;
}

const char *job_fs_to_freeze(const struct job *j)
{
	if (j->spec.freeze_fs)
		return j->spec.freeze_fs;
	return j->freeze_taken ? j->spec.freeze_fs_on_request : NULL;
}

bool job_wants_freeze(const struct job *j)
{
	return j->spec.freeze || j->spec.freeze_fs || j->freeze_taken;
}

bool job_take_freeze_request(struct job *j)
{
	if (j->freeze_taken || !atomic_load(&j->freeze_asked))
		return false;
	j->freeze_taken = true;
	pthread_mutex_lock(&j->mu);
	j->prog.freeze_req = JOB_FREEZE_TAKEN;
	pthread_mutex_unlock(&j->mu);
	return true;
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
