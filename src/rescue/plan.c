/* plan: the decisions around a rescue's job. See plan.h. */
#include "rescue/plan.h"

#include "rescue/log.h"
#include "text/fmt.h"
#include "text/shq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

int plan_dest_target(const char *dir, const struct target_list *tl, struct target *stand_in,
                     const struct target **out)
{
	struct stat st;
	struct statfs sf;
	uint64_t fsid;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	fsid = target_fsid_of_fd(fd);
	close(fd);
	for (size_t i = 0; i < tl->n; i++) {
		if (tl->v[i].dev == st.st_dev) {
			*out = &tl->v[i];
			return 0;
		}
	}
	for (size_t i = 0; i < tl->n; i++) {
		if (target_same_fs(&tl->v[i], st.st_dev, fsid)) {
			*out = &tl->v[i];
			return 0;
		}
	}
	/* Not in the list (a filesystem the list leaves out): judge it as it is. */
	*stand_in = (struct target){.mountpoint = (char *)dir,
	                            .fstype = (char *)"?",
	                            .dev = st.st_dev,
	                            .fsid = fsid,
	                            .size = (uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize,
	                            .avail = (uint64_t)sf.f_bavail * (uint64_t)sf.f_bsize,
	                            .readonly = (sf.f_flags & ST_RDONLY) != 0,
	                            .answering = true, /* it just answered statfs */
	                            .reflink = -1};
	*out = stand_in;
	return 0;
}

void plan_dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

bool plan_journal_is_ours(const char *dest, void *ctx)
{
	const struct entry *e = ctx;

	return job_journal_is_for(dest, e->dev, e->ino) || job_unread_is_for(dest, e->dev, e->ino);
}

const struct holder *plan_loop_holder(const struct entry *e)
{
	const struct holder *hit = NULL;

	for (size_t i = 0; i < e->nholders; i++)
		if (e->holders[i].type == HOLDER_LOOP && (!hit || e->holders[i].loop_mountpoint))
			hit = &e->holders[i];
	return hit;
}

int plan_choose(const struct entry *e, const struct advice *a, const struct target *t, int want,
                struct rec_option *out, char *warning, size_t len)
{
	struct target_list one = {.v = (struct target *)t, .n = 1};
	struct rec_target rt;
	struct rec_file f;
	struct rec_result rr;

	rec_file_from_entry(e, &f);
	adv_targets_for(e, a ? a->fsid : 0, &one, &rt);
	if (rt.unusable[0]) {
		snprintf(warning, len, "%s", rt.unusable);
		return 2;
	}
	rec_decide(&f, &rt, 1, REC_COPY_BPS_DEFAULT, &rr);
	snprintf(warning, len, "%s", rr.warning);
	for (size_t i = 0; i < rr.n; i++) {
		if (want < 0 ? i != 0 : (int)rr.opt[i].method != want)
			continue;
		*out = rr.opt[i];
		return out->feasible ? 0 : 1;
	}
	return -ENOENT;
}

void plan_spec(const struct entry *e, const struct pin *pin, enum rec_method method,
               const char *dest, int stream_fd, uint64_t max_rate, bool freeze,
               struct job_writer *writers, struct job_spec *out)
{
	const struct holder *lh = plan_loop_holder(e);

	*out = (struct job_spec){
	    .method = method,
	    .src = pin,
	    .dev = e->dev,
	    .ino = e->ino,
	    .src_name = e->path,
	    .dest = dest,
	    .stream_fd = stream_fd,
	    .max_rate = max_rate,
	    .writers = writers,
	    .nwriters = job_writers_of(e, writers, e->nholders),
	    .sync_after_reflink = method == REC_REFLINK && scan_entry_writable(e),
	    .src_static = !scan_entry_writable(e),
	    .freeze = freeze,
	    .freeze_fs = freeze && lh ? lh->loop_mountpoint : NULL,
	    .freeze_fs_on_request = !freeze && lh ? lh->loop_mountpoint : NULL,
	};
}

void plan_facts_of(const struct entry *e, const struct job_spec *spec, struct plan_facts *out)
{
	const struct holder *lh = plan_loop_holder(e);

	*out = (struct plan_facts){
	    .method = spec->method,
	    .stream = spec->stream_fd >= 0,
	    .freeze = spec->freeze,
	    .sync_after_reflink = spec->sync_after_reflink,
	    .nwriters = spec->nwriters,
	    .loop_dev = lh ? lh->loop_dev : NULL,
	    .loop_mountpoint = lh ? lh->loop_mountpoint : NULL,
	    .loop_autoclear = lh && lh->autoclear,
	    .loop_readonly = lh && lh->readonly,
	    .pin_loopdev = e->pin.kind == PIN_LOOPDEV,
	};
}

bool plan_outcome(const struct plan_facts *f, int err, const struct job_result *res,
                  struct after_facts *af)
{
	/* A sync of a live file without freeze cannot equal a source that keeps
	 * changing: converged passes are its success (a crash-consistent copy). */
	bool live_sync =
	    (f->method == REC_SYNC || f->sync_after_reflink) && !f->freeze && !res->frozen_pass;
	/* readerr: ranges left unread: the best copy there is, never a success */
	bool incomplete = err == 0 && res->unread_bytes > 0;
	bool ok = err == 0 && !incomplete &&
	          (res->verified || f->method == REC_RELINK || live_sync);

	*af = (struct after_facts){
	    .method = f->method,
	    .result = res->final_path[0] && !f->stream ? res->final_path : NULL,
	    .content = ok && res->final_path[0] ? after_detect(res->final_path) : CONTENT_UNKNOWN,
	    .ok = ok,
	    .verified = res->verified,
	    .live = f->nwriters > 0 || (f->loop_dev && !f->loop_readonly),
	    .source_changed = res->source_changed,
	    .frozen = res->nfrozen > 0,
	    .fs_frozen = res->fs_frozen,
	    .resumed = res->frozen,
	    .nresumed = res->nfrozen,
	    .loop_dev = f->loop_dev,
	    .loop_mountpoint = f->loop_mountpoint,
	    .loop_autoclear = f->loop_autoclear,
	    .unreadable = f->pin_loopdev ? (long long)res->unreadable : 0,
	    .unread = incomplete ? res->unread_bytes : 0,
	    .unread_ranges = res->unread_ranges,
	    .unread_map = res->unread_map[0] ? res->unread_map : NULL,
	};
	return ok;
}

int plan_log(const char *log, enum rec_method method, const char *id, const char *path,
             size_t path_len, uint64_t size, const char *target, uint64_t bytes, const char *result,
             const struct job_result *res)
{
	bool verified = res && res->verified && !strcmp(result, "ok");
	struct rlog_line l = {
	    .verified = verified,
	    .src_size = verified ? res->size : size,
	    .src_hash = verified ? res->src_hash : NULL,
	    .method = rec_method_name(method),
	    .id = id,
	    .path = path,
	    .path_len = path_len,
	    .target = target,
	    .bytes = bytes,
	    .result = result,
	};

	return rlog_append(log, &l);
}

char *plan_unread_range(const struct badrange *r, char *buf, size_t len)
{
	char sz[16];

	snprintf(buf, len, "bytes %" PRIu64 "-%" PRIu64 " (%s): %s", r->start,
	         r->start + r->len - 1, fmt_size(sz, sizeof(sz), r->len), strerror(r->err));
	return buf;
}

int plan_retry_command(const char *prog, const char *id, const char *final, enum rec_method method,
                       int retries, char *buf, size_t len)
{
	char n[16];
	size_t used = 0;
	bool fits;

	if (len)
		buf[0] = '\0';
	snprintf(n, sizeof(n), "%d", retries);
	fits = shq_append(buf, len, &used, prog) == 0 &&
	       shq_append(buf, len, &used, "--recover") == 0 &&
	       shq_append(buf, len, &used, id) == 0 && shq_append(buf, len, &used, "--to") == 0 &&
	       shq_append(buf, len, &used, final) == 0 &&
	       shq_append(buf, len, &used, "--method") == 0 &&
	       shq_append(buf, len, &used, rec_method_name(method)) == 0 &&
	       (retries < 0 || (shq_append(buf, len, &used, "--retries") == 0 &&
	                        shq_append(buf, len, &used, n) == 0));
	if (!fits) {
		if (len)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
