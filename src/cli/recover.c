/* rescuetui --recover: choose the method, confirm, run the job with a progress line,
 * verify, log, and say what to check next. The copying itself is the job's (job.h);
 * this face only drives it. */
#include "cli/cli.h"

#include "decide/advise.h"
#include "decide/after.h"
#include "decide/dest.h"
#include "text/esc.h"
#include "text/fmt.h"
#include "rescue/job.h"
#include "text/json.h"
#include "find/parse.h"
#include "find/rate.h"
#include "find/scan.h"
#include "find/target.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

/* The job a signal should cancel. job_cancel() only sets a flag. */
static struct job *volatile g_job;

static void on_signal(int sig)
{
	(void)sig;
	if (g_job)
		job_cancel(g_job);
}

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe while streaming is an error to report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

/* Escaped bytes for messages (names may hold anything). Caller frees. */
static char *shown(const char *s, size_t len)
{
	char *e = esc_display(s ? s : "", s ? len : 0);
	return e ? e : strdup("?");
}

/* The target that holds directory DIR, or a stand-in made from statvfs. */
static int dest_target(const char *dir, const struct target_list *tl, struct target *stand_in,
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
	                            .reflink = -1};
	*out = stand_in;
	return 0;
}

/* The directory part of PATH into BUF. */
static void dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

/* dest_resolve_ours(): is the interrupted rescue at DEST this entry's? */
static bool journal_is_ours(const char *dest, void *ctx)
{
	const struct entry *e = ctx;

	return job_journal_is_for(dest, e->dev, e->ino);
}

static const struct holder *loop_holder(const struct entry *e)
{
	const struct holder *hit = NULL;

	for (size_t i = 0; i < e->nholders; i++)
		if (e->holders[i].type == HOLDER_LOOP && (!hit || e->holders[i].loop_mountpoint))
			hit = &e->holders[i];
	return hit;
}

/* Ask on the terminal. Only "y" or "yes" proceeds. */
static bool confirm(void)
{
	char line[16];

	fprintf(stderr, "Proceed? [y/N] ");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0;
}

static void progress_line(struct job *j)
{
	struct job_progress p;
	char done[16], total[16], rate[16], eta[32] = "";

	job_progress(j, &p);
	fmt_size(done, sizeof(done), p.done);
	fmt_size(total, sizeof(total), p.total);
	fmt_size(rate, sizeof(rate), (uint64_t)(p.rate_bps > 0 ? p.rate_bps : 0));
	if (p.eta_s >= 0)
		snprintf(eta, sizeof(eta), " ETA %d:%02d", (int)p.eta_s / 60, (int)p.eta_s % 60);
	fprintf(stderr, "\r\033[K  %-12s %6s / %-6s %3d%%  %6s/s%s", p.phase, done, total,
	        p.total ? (int)(p.done * 100 / p.total) : 0, rate, eta);
	fflush(stderr);
}

/* Default action log: /var/log for root, the XDG state directory otherwise. */
static void default_log(char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0) {
		snprintf(buf, len, "/var/log/rescuetui.log");
	} else if (state && *state) {
		snprintf(buf, len, "%s/rescuetui.log", state);
	} else if (home && *home) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/.local", home);
		mkdir(dir, 0700);
		snprintf(dir, sizeof(dir), "%s/.local/state", home);
		mkdir(dir, 0700);
		snprintf(buf, len, "%s/.local/state/rescuetui.log", home);
	} else {
		snprintf(buf, len, "rescuetui.log");
	}
}

/* One line per action: time, method, source, target, bytes, result. */
static void log_action(const char *path, const char *prog, const char *method, const char *id,
                       const struct entry *e, const char *target, uint64_t bytes,
                       const char *result)
{
	char when[32], def[4096];
	time_t now = time(NULL);
	struct tm tm;
	char *src, *tgt, *res;
	FILE *f;

	if (!path) {
		default_log(def, sizeof(def));
		path = def;
	}
	f = fopen(path, "ae");
	if (!f) {
		fprintf(stderr, "%s: cannot append to the action log %s: %s\n", prog, path,
		        strerror(errno));
		return;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Names may hold newlines: escaped, each action stays one line. */
	src = shown(e->path, e->path_len);
	tgt = shown(target, target ? strlen(target) : 0);
	res = shown(result, strlen(result));
	fprintf(f, "%s method=%s source=%s path=%s target=%s bytes=%llu result=%s\n", when, method,
	        id, src, tgt, (unsigned long long)bytes, res);
	free(src);
	free(tgt);
	free(res);
	if (fclose(f) != 0)
		fprintf(stderr, "%s: cannot write the action log %s\n", prog, path);
}

struct plan {
	enum rec_method method;
	char reason[400];
};

/* Decide the method for E written to target T (the one --to points at). */
static int choose(const struct recover_opts *o, const struct entry *e, const struct advice *a,
                  const struct target *t, bool stream, struct plan *p, const char *prog)
{
	struct rec_target rt;
	struct target_list one = {.v = (struct target *)t, .n = 1};
	struct rec_file f;
	struct rec_result rr;
	int want = -1;

	if (strcmp(o->method, "auto") != 0) {
		want = rec_method_parse(o->method);
		if (want < 0 || want == REC_DEBUGFS) {
			fprintf(
			    stderr,
			    "%s: --method wants auto, copy, follow, sync, reflink or relink, not "
			    "'%s'\n",
			    prog, o->method);
			return 2;
		}
	}
	if (stream) {
		if (want >= 0 && want != REC_COPY) {
			fprintf(stderr, "%s: --to - streams a copy; %s needs a file to write to\n",
			        prog, o->method);
			return 2;
		}
		if (e->pin.fd < 0) {
			fprintf(stderr, "%s: the file is not pinned: there is nothing to read\n",
			        prog);
			return 1;
		}
		p->method = REC_COPY;
		snprintf(p->reason, sizeof(p->reason), "a copy streamed to standard output");
		return 0;
	}
	rec_file_from_entry(e, &f);
	adv_targets_for(e, a, &one, &rt);
	rec_decide(&f, &rt, 1, REC_COPY_BPS_DEFAULT, &rr);
	for (size_t i = 0; i < rr.n; i++) {
		const struct rec_option *opt = &rr.opt[i];
		if (want < 0 ? i != 0 : (int)opt->method != want)
			continue;
		if (!opt->feasible) {
			fprintf(stderr, "%s: %s to %s is not possible: %s\n", prog,
			        rec_method_name(opt->method), t->mountpoint, opt->reason);
			if (rr.warning[0])
				fprintf(stderr, "%s: %s\n", prog, rr.warning);
			return 1;
		}
		p->method = opt->method;
		snprintf(p->reason, sizeof(p->reason), "%s", opt->reason);
		return 0;
	}
	return 1;
}

static void print_summary(FILE *out, bool json, const struct plan *p, const char *id,
                          const struct entry *e, const struct job_result *res,
                          const struct job_progress *pr, bool ok, char lines[][AFTER_LEN], size_t n)
{
	char sz[16];

	if (json) {
		struct json j;
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "result");
		json_obj_begin(&j);
		json_key(&j, "ok");
		json_bool(&j, ok);
		json_key(&j, "method");
		json_str(&j, rec_method_name(p->method));
		json_key(&j, "source");
		json_str(&j, id);
		json_key(&j, "path");
		json_bytes(&j, e->path ? e->path : "", e->path ? e->path_len : 0);
		json_key(&j, "target");
		json_str(&j, res->final_path[0] ? res->final_path : NULL);
		json_key(&j, "size");
		json_uint(&j, res->size);
		json_key(&j, "bytes_read");
		json_uint(&j, res->bytes_read);
		json_key(&j, "bytes_written");
		json_uint(&j, res->bytes_written);
		json_key(&j, "verified");
		json_bool(&j, res->verified);
		json_key(&j, "source_changed");
		json_bool(&j, res->source_changed);
		json_key(&j, "passes");
		json_uint(&j, res->passes);
		json_key(&j, "last_pass_changed");
		json_uint(&j, res->last_pass_changed);
		json_key(&j, "truncations");
		json_uint(&j, res->truncations);
		json_key(&j, "resumed");
		json_bool(&j, res->resumed);
		json_key(&j, "resumed_at");
		json_uint(&j, res->resumed_at);
		json_key(&j, "frozen");
		json_arr_begin(&j);
		for (size_t i = 0; i < res->nfrozen; i++)
			json_int(&j, res->frozen[i]);
		json_arr_end(&j);
		json_key(&j, "unreadable");
		json_int(&j, res->unreadable);
		json_key(&j, "seconds_copy");
		json_double(&j, res->seconds_copy);
		json_key(&j, "seconds_verify");
		json_double(&j, res->seconds_verify);
		json_key(&j, "message");
		json_str(&j, pr->message);
		json_obj_end(&j);
		json_key(&j, "checks");
		json_arr_begin(&j);
		for (size_t i = 0; i < n; i++)
			json_str(&j, lines[i]);
		json_arr_end(&j);
		json_obj_end(&j);
		return;
	}
	fprintf(out, "%s: %s", ok ? "Rescued" : "Not rescued", rec_method_name(p->method));
	if (res->final_path[0]) {
		char *t = shown(res->final_path, strlen(res->final_path));
		fprintf(out, " -> %s", t);
		free(t);
	}
	fprintf(out, " (%s", fmt_size(sz, sizeof(sz), res->size));
	if (res->passes > 1)
		fprintf(out, ", %u passes", res->passes);
	if (res->resumed)
		fprintf(out, ", resumed");
	fprintf(out, ", %s)\n",
	        res->verified ? "verified"
	        : ok          ? "a live copy: crash-consistent at best"
	                      : "NOT verified");
	if (pr->message[0])
		fprintf(out, "  %s\n", pr->message);
	if (n)
		fprintf(out, "Next:\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  - %s\n", lines[i]);
}

int cli_recover(const struct recover_opts *o, const char *prog)
{
	struct scan_opts so = {.all = true, .proc = "/proc", .sys = "/sys"};
	struct scan_result r, one;
	struct target_list tl = {0};
	struct target stand_in;
	const struct target *t = NULL;
	struct advice a = {0};
	struct job_writer writers[64];
	struct job_spec spec = {.stream_fd = -1};
	struct job *job = NULL;
	struct job_progress pr = {0};
	const struct job_result *res;
	const struct holder *lh;
	struct plan p = {0};
	char id[64], dest[4096], dir[4096], lines[AFTER_MAX][AFTER_LEN];
	struct after_facts af = {0};
	bool stream = strcmp(o->to, "-") == 0, resume = false, ok = false, live_sync = false;
	bool tty = isatty(STDERR_FILENO);
	long idx;
	int rc = 1, err;
	size_t nlines;
	struct entry *e;
	FILE *out = stream ? stderr : stdout;

	if (stream && isatty(STDOUT_FILENO)) {
		fprintf(stderr,
		        "%s: --to - writes the file to standard output, which is a "
		        "terminal: redirect it (> FILE, | ssh HOST 'cat > FILE')\n",
		        prog);
		return 2;
	}
	if (!o->yes && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s: no terminal to confirm on: add --yes to run without asking\n",
		        prog);
		return 2;
	}
	err = scan_run(&so, &r);
	if (err < 0) {
		fprintf(stderr, "%s: cannot scan for held deleted files: %s\n", prog,
		        strerror(-err));
		return 1;
	}
	idx = scan_select(&r, o->sel);
	if (idx < 0) {
		char *s = shown(o->sel, strlen(o->sel));
		if (idx == -ENOTUNIQ) {
			fprintf(stderr, "%s: several held files were named %s; choose one by id:\n",
			        prog, s);
			for (size_t i = 0; i < r.n; i++)
				if (r.v[i].path_len == strlen(o->sel) &&
				    memcmp(r.v[i].path, o->sel, r.v[i].path_len) == 0)
					fprintf(stderr, "  %s\n",
					        scan_entry_id(&r.v[i], id, sizeof(id)));
		} else {
			fprintf(stderr,
			        "%s: no held deleted file matches %s (an id, PID:FD, loopN or its "
			        "original path; see %s --list)\n",
			        prog, s, prog);
		}
		free(s);
		scan_free(&r);
		return 1;
	}
	e = &r.v[idx];
	scan_entry_id(e, id, sizeof(id));
	/* Sample only this file, and only when the method is left to us; the free signals
	 * (nobody can write it) count either way. */
	one = (struct scan_result){.v = e, .n = 1};
	(void)rate_sample_all(&one, strcmp(o->method, "auto") == 0 ? o->sample : 0, 64ull << 20);
	a.fsid = adv_fsid(e);
	err = target_list_read(&tl, geteuid() == 0);
	if (err < 0) {
		fprintf(stderr, "%s: cannot read the mount table: %s\n", prog, strerror(-err));
		goto out;
	}
	if (!stream) {
		err = dest_resolve_ours(o->to, e->path, e->path_len, e->ino, journal_is_ours, e,
		                        dest, sizeof(dest), &resume);
		if (err < 0) {
			char *s = shown(o->to, strlen(o->to));
			if (err == -EEXIST)
				fprintf(stderr,
				        "%s: %s exists; rescuetui never overwrites: choose a "
				        "new name or a directory\n",
				        prog, s);
			else
				fprintf(stderr, "%s: cannot write to %s: %s\n", prog, s,
				        strerror(-err));
			free(s);
			rc = err == -EEXIST ? 1 : 1;
			goto out;
		}
		dir_of(dest, dir, sizeof(dir));
		err = dest_target(dir, &tl, &stand_in, &t);
		if (err < 0) {
			fprintf(stderr, "%s: cannot use %s: %s\n", prog, dir, strerror(-err));
			goto out;
		}
	}
	rc = choose(o, e, &a, t, stream, &p, prog);
	if (rc != 0)
		goto out;
	rc = 1;
	lh = loop_holder(e);
	spec = (struct job_spec){
	    .method = p.method,
	    .src = &e->pin,
	    .dev = e->dev,
	    .ino = e->ino,
	    .src_name = e->path,
	    .dest = stream ? NULL : dest,
	    .stream_fd = stream ? STDOUT_FILENO : -1,
	    .max_rate = o->max_rate,
	    .writers = writers,
	    .nwriters = job_writers_of(e, writers, sizeof(writers) / sizeof(writers[0])),
	    .sync_after_reflink = p.method == REC_REFLINK && scan_entry_writable(e),
	    .src_static = !scan_entry_writable(e),
	    .freeze = o->freeze,
	    .freeze_fs = o->freeze && lh ? lh->loop_mountpoint : NULL,
	};
	if (o->freeze && (p.method == REC_FOLLOW || p.method == REC_RELINK || stream)) {
		fprintf(stderr,
		        "%s: --freeze goes with copy, sync and reflink (writers stopped for the "
		        "copy or its final pass), not with %s\n",
		        prog, stream ? "--to -" : rec_method_name(p.method));
		rc = 2;
		goto out;
	}
	{
		char *src = shown(e->path, e->path_len);
		char *dst = stream ? strdup("standard output") : shown(dest, strlen(dest));
		fprintf(stderr, "%s %s (%s) -> %s%s\n  %s\n", rec_method_name(p.method), src, id,
		        dst ? dst : "?", resume ? " (continuing an interrupted run)" : "",
		        p.reason);
		if (o->freeze)
			fprintf(stderr,
			        "  --freeze: the writers are stopped (SIGSTOP) for the final "
			        "pass and resumed (SIGCONT) afterwards, whatever happens.\n");
		free(src);
		free(dst);
	}
	if (!o->yes && !confirm()) {
		fprintf(stderr, "%s: nothing done\n", prog);
		rc = 1;
		goto out;
	}
	err = job_start(&spec, &job);
	if (err < 0) {
		char *s = stream ? strdup("-") : shown(dest, strlen(dest));
		fprintf(stderr, "%s: cannot start %s to %s: %s\n", prog, rec_method_name(p.method),
		        s ? s : "?",
		        err == -EPERM && o->freeze ? "refusing to stop pid 1 or an ancestor of ours"
		                                   : strerror(-err));
		free(s);
		log_action(o->log, prog, rec_method_name(p.method), id, e, stream ? "-" : dest, 0,
		           strerror(-err));
		goto out;
	}
	g_job = job;
	catch_signals();
	while ((err = job_step(job, 100)) > 0)
		if (tty)
			progress_line(job);
	if (tty) {
		progress_line(job);
		fputc('\n', stderr);
	}
	g_job = NULL;
	job_progress(job, &pr);
	res = job_result(job);
	/* A sync of a live file without --freeze cannot equal a source that keeps
	 * changing: converged passes are its success (a crash-consistent copy). */
	live_sync = (p.method == REC_SYNC || spec.sync_after_reflink) && !o->freeze;
	ok = err == 0 && (res->verified || p.method == REC_RELINK || live_sync);
	rc = ok ? 0 : 1;
	af = (struct after_facts){
	    .method = p.method,
	    .result = res->final_path[0] ? res->final_path : NULL,
	    .content = ok && res->final_path[0] ? after_detect(res->final_path) : CONTENT_UNKNOWN,
	    .ok = ok,
	    .verified = res->verified,
	    .live = spec.nwriters > 0 || (lh && !lh->readonly),
	    .source_changed = res->source_changed,
	    .frozen = res->nfrozen > 0,
	    .resumed = res->frozen,
	    .nresumed = res->nfrozen,
	    .loop_dev = lh ? lh->loop_dev : NULL,
	    .loop_mountpoint = lh ? lh->loop_mountpoint : NULL,
	    .loop_autoclear = lh && lh->autoclear,
	    .unreadable = e->pin.kind == PIN_LOOPDEV ? (long long)res->unreadable : 0,
	};
	nlines = after_checks(&af, lines);
	if (!ok)
		fprintf(stderr, "%s: %s failed: %s\n", prog, rec_method_name(p.method),
		        pr.message[0] ? pr.message : strerror(err < 0 ? -err : EIO));
	print_summary(out, o->json, &p, id, e, res, &pr, ok, lines, nlines);
	log_action(o->log, prog, rec_method_name(p.method), id, e,
	           res->final_path[0] ? res->final_path : (stream ? "-" : dest), res->bytes_written,
	           ok ? "ok" : (pr.message[0] ? pr.message : "failed"));
	if (fflush(out) != 0)
		rc = 1;
out:
	if (job)
		job_free(job);
	target_list_free(&tl);
	scan_free(&r);
	return rc;
}
