/* rescuetui --recover: one file, in five steps that share one struct: select the
 * file, plan the method and target, confirm, run the job with a progress line, and
 * report (summary, what to check next, the action log). The copying itself is the
 * job's (rescue/job.h); this face only drives it. */
#include "cli/cli.h"

#include "decide/advise.h"
#include "decide/after.h"
#include "decide/dest.h"
#include "find/parse.h"
#include "find/rate.h"
#include "find/scan.h"
#include "find/target.h"
#include "rescue/job.h"
#include "rescue/log.h"
#include "rescue/plan.h"
#include "text/fmt.h"
#include "text/json.h"
#include "text/shq.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bytes the change sampling of the one file may read. */
#define RECOVER_SAMPLE_BUDGET (64ull << 20)
/* How long one job step may take before the progress line is drawn again. */
#define RECOVER_STEP_MS 100
/* The exit status of a rescue that left ranges of the source unread. */
#define RECOVER_INCOMPLETE 3

struct plan {
	enum rec_method method;
	char reason[400];
};

/* Everything the steps of one --recover share. */
struct recover {
	const struct recover_opts *o;
	bool stream; /* --to - */
	FILE *out;   /* the summary: stdout, or stderr when stdout carries the data */
	struct scan_result r;
	struct entry *e;
	char id[64];
	struct target_list tl;
	struct target stand_in;
	const struct target *t; /* where DEST lands (NULL when streaming) */
	struct advice a;
	char dest[PATH_MAX], dir[PATH_MAX];
	bool resume; /* DEST.partial is this file's interrupted rescue */
	struct plan p;
	struct job_writer *writers;
	struct job_spec spec;
	struct job *job;
	int err; /* the job's end: 0, or a negative errno */
	char retry[PATH_MAX + 256]; /* readerr: the command that reads unread ranges again */
};

/* The job a signal should cancel. job_cancel() only sets a flag. */
static struct job *volatile g_job;
/* Signals to end the program seen during the job, and a Ctrl-Z put off. */
static volatile sig_atomic_t g_ends, g_tstp;

static void on_signal(int sig)
{
	if (!g_job)
		return;
	if (++g_ends == 1) {
		job_cancel(g_job);
		return;
	}
	/* A second one: the user means it. Resume what the job stopped, then go. */
	job_emergency_resume(g_job);
	_exit(128 + sig);
}

/* Ctrl-Z while writers are frozen would leave them stopped as long as we are: the
 * stop is put off until they run again (run() checks g_tstp after each step). */
static void on_tstp(int sig)
{
	(void)sig;
	g_tstp = 1;
}

static const int end_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void catch_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	g_ends = g_tstp = 0;
	for (size_t i = 0; i < sizeof(end_signals) / sizeof(end_signals[0]); i++)
		sigaction(end_signals[i], &sa, NULL);
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, NULL);
	/* A closed pipe while streaming is an error to report, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
}

/* After the job: Ctrl-C, SIGTERM, SIGHUP and Ctrl-Z do what they always do. */
static void release_signals(void)
{
	for (size_t i = 0; i < sizeof(end_signals) / sizeof(end_signals[0]); i++)
		signal(end_signals[i], SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	if (g_tstp) {
		g_tstp = 0;
		raise(SIGTSTP);
	}
}

/* A Ctrl-Z that was put off: take it now, unless writers are stopped. */
static void maybe_stop(struct job *j)
{
	struct job_progress p;
	struct sigaction sa = {.sa_handler = on_tstp};

	if (!g_tstp)
		return;
	job_progress(j, &p);
	if (p.frozen)
		return;
	g_tstp = 0;
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP); /* stopped here until SIGCONT */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTSTP, &sa, NULL);
}

static void progress_line(struct job *j)
{
	struct job_progress p;
	char done[16], total[16], rate[16], eta[32] = "";

	job_progress(j, &p);
	fmt_size(done, sizeof(done), p.done);
	fmt_size(total, sizeof(total), p.total);
	char left[16];

	fmt_size(rate, sizeof(rate), fmt_u64_of(p.rate_bps));
	if (p.eta_s >= 0)
		snprintf(eta, sizeof(eta), " ETA %s", fmt_eta(left, sizeof(left), p.eta_s));
	/* done * 100 overflows past 184 PB; a fraction of doubles does not. */
	fprintf(stderr, "\r\033[K  %-12s %6s / %-6s %3u%%  %6s/s%s", p.phase, done, total,
	        p.total && p.done <= p.total ? (unsigned)((double)p.done / (double)p.total * 100)
	                                     : 0,
	        rate, eta);
	if (p.unread_bytes) { /* readerr */
		char unread[16];
		fprintf(stderr, "  unread %s in %u", fmt_size(unread, sizeof(unread), p.unread_bytes),
		        p.unread_ranges);
	}
	fflush(stderr);
}

/* The log line of R's job (or its refusal) with RESULT; RES when the job ran. */
static void log_it(const struct recover *rc, const char *target, uint64_t bytes, const char *result,
                   const struct job_result *res)
{
	int err = plan_log(rc->o->log, rc->p.method, rc->id, rc->e->path, rc->e->path_len,
	                   rc->e->size, target, bytes, result, res);

	if (err < 0) {
		char def[PATH_MAX];
		const char *path = rc->o->log;
		char *s;
		if (!path)
			path = rlog_default_path(def, sizeof(def)) == 0
			           ? def
			           : "(none: no home directory)";
		s = cli_shown(path, strlen(path));
		cli_say("cannot append to the action log %s: %s", s,
		        err == -EINVAL ? "not a regular file" : strerror(-err));
		free(s);
	}
}

/* Refuse a method name we do not know (2), or the one wanted into *WANT (-1: auto). */
static int wanted_method(const struct recover_opts *o, int *want)
{
	*want = -1;
	if (strcmp(o->method, "auto") == 0)
		return 0;
	*want = rec_method_parse(o->method);
	if (*want < 0 || *want == REC_DEBUGFS) {
		char *s = cli_shown(o->method, strlen(o->method));
		cli_usage("--method wants auto, copy, follow, sync, reflink or relink, not '%s'",
		          s);
		free(s);
		return 2;
	}
	return 0;
}

/* Decide the method for the file written to the target --to points at. */
static int choose(struct recover *rc)
{
	struct rec_option opt;
	char warning[sizeof(((struct rec_result *)0)->warning)];
	char logwhy[sizeof(opt.reason) + 16];
	int want, r;

	if ((r = wanted_method(rc->o, &want)) != 0)
		return r;
	if (rc->stream) {
		if (want >= 0 && want != REC_COPY)
			return cli_usage("--to - streams a copy; %s needs a file to write to",
			                 rec_method_name((enum rec_method)want));
		if (rc->e->pin.fd < 0) {
			cli_say("the file is not pinned: there is nothing to read");
			return 1;
		}
		rc->p.method = REC_COPY;
		snprintf(rc->p.reason, sizeof(rc->p.reason), "a copy streamed to standard output");
		return 0;
	}
	r = plan_choose(rc->e, &rc->a, rc->t, want, &opt, warning, sizeof(warning));
	if (r == 2) {
		/* Whatever the method: what is written there is lost, or never written. */
		char *m = cli_shown(rc->t->mountpoint, strlen(rc->t->mountpoint));
		char *why = cli_shown(warning, strlen(warning));
		cli_say("refusing to write to %s: %s", m, why);
		free(m);
		free(why);
		return 1;
	}
	if (r == 1) {
		char *m = cli_shown(rc->t->mountpoint, strlen(rc->t->mountpoint));
		char *why = cli_shown(opt.reason, strlen(opt.reason));
		cli_say("%s to %s is not possible: %s", rec_method_name(opt.method), m, why);
		free(m);
		free(why);
		if (warning[0])
			cli_say_shown("", warning);
		/* A refusal is an action the admin may look for later too. */
		rc->p.method = opt.method;
		snprintf(logwhy, sizeof(logwhy), "refused: %s", opt.reason);
		log_it(rc, rc->dest, 0, logwhy, NULL);
		return 1;
	}
	if (r < 0)
		return 1;
	rc->p.method = opt.method;
	snprintf(rc->p.reason, sizeof(rc->p.reason), "%s", opt.reason);
	return 0;
}

/* readerr: the symbolic name of a read error, for machines. */
static const char *errno_name(int e)
{
	switch (e) {
	case EIO:
		return "EIO";
	case ENXIO:
		return "ENXIO";
	case EREMOTEIO:
		return "EREMOTEIO";
	case ENODATA:
		return "ENODATA";
	case EBADMSG:
		return "EBADMSG";
	case EUCLEAN:
		return "EUCLEAN";
	default:
		return "other";
	}
}

/* readerr: "unread": {"bytes", "ranges": [{"start", "length", "error"}], "map",
 * "retry"}. */
static void json_unread(struct json *j, const struct job_result *res, const struct badmap *bad,
                        const char *retry)
{
	json_key(j, "unread");
	json_obj_begin(j);
	json_key(j, "bytes");
	json_uint(j, res->unread_bytes);
	json_key(j, "ranges");
	json_arr_begin(j);
	for (size_t i = 0; bad && i < bad->n; i++) {
		json_obj_begin(j);
		json_key(j, "start");
		json_uint(j, bad->v[i].start);
		json_key(j, "length");
		json_uint(j, bad->v[i].len);
		json_key(j, "error");
		json_str(j, errno_name(bad->v[i].err));
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "map");
	json_str(j, res->unread_map[0] ? res->unread_map : NULL);
	json_key(j, "retry");
	json_str(j, retry && retry[0] ? retry : NULL);
	json_obj_end(j);
}

/* readerr: the first unread ranges and the command that reads them again. */
static void print_unread(FILE *out, const struct job_result *res, const struct badmap *bad,
                         const char *retry)
{
	char line[PLAN_RANGE_LEN];

	fprintf(out, "Unread (holes in the result):\n");
	for (size_t i = 0; bad && i < bad->n && i < PLAN_UNREAD_SHOWN; i++)
		fprintf(out, "  %s\n", plan_unread_range(&bad->v[i], line, sizeof(line)));
	if (bad && bad->n > PLAN_UNREAD_SHOWN) {
		char *m = cli_shown(res->unread_map, strlen(res->unread_map));
		fprintf(out, "  ... and %zu more, listed in %s\n", bad->n - PLAN_UNREAD_SHOWN, m);
		free(m);
	}
	if (retry && retry[0]) {
		char *c = cli_shown(retry, strlen(retry));
		fprintf(out, "To read them again: %s\n", c);
		free(c);
	}
}

static void print_summary(FILE *out, bool json, const struct plan *p, const char *id,
                          const struct entry *e, const struct job_result *res,
                          const struct job_progress *pr, bool ok, char lines[][AFTER_LEN], size_t n,
                          const struct badmap *bad, const char *retry)
{
	char sz[16];

	if (json) {
		struct json j;
		cli_json_result_begin(&j, out, ok, rec_method_name(p->method));
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
		json_key(&j, "fs_frozen");
		json_bool(&j, res->fs_frozen);
		json_key(&j, "unreadable");
		json_int(&j, res->unreadable);
		json_unread(&j, res, bad, retry);
		json_key(&j, "seconds_copy");
		json_double(&j, res->seconds_copy);
		json_key(&j, "seconds_verify");
		json_double(&j, res->seconds_verify);
		json_key(&j, "message");
		json_str(&j, pr->message);
		json_obj_end(&j);
		cli_json_checks(&j, lines, n);
		return;
	}
	fprintf(out, "%s: %s",
	        ok                   ? "Rescued"
	        : res->unread_bytes ? "Rescued incompletely"
	                             : "Not rescued",
	        rec_method_name(p->method));
	if (res->final_path[0]) {
		char *t = cli_shown(res->final_path, strlen(res->final_path));
		fprintf(out, " -> %s", t);
		free(t);
	}
	fprintf(out, " (%s", fmt_size(sz, sizeof(sz), res->size));
	if (res->passes > 1)
		fprintf(out, ", %u passes", res->passes);
	if (res->resumed)
		fprintf(out, ", resumed");
	if (res->unread_bytes)
		fprintf(out, ", %" PRIu64 " bytes unread in %u range(s)", res->unread_bytes,
		        res->unread_ranges);
	fprintf(out, ", %s)\n",
	        res->verified       ? "verified"
	        : ok                ? "a live copy: crash-consistent at best"
	        : res->unread_bytes ? "incomplete, not verified"
	                            : "NOT verified");
	if (pr->message[0])
		cli_put_shown(out, "  ", pr->message);
	if (res->unread_bytes)
		print_unread(out, res, bad, retry);
	if (n)
		fprintf(out, "Next:\n");
	for (size_t i = 0; i < n; i++)
		cli_put_shown(out, "  - ", lines[i]);
}

/* Refusals that need no scan: where the data and the questions would go. */
static int preflight(const struct recover *rc)
{
	if (rc->stream && isatty(STDOUT_FILENO))
		return cli_usage(
		    "--to - writes the file to standard output, which is a terminal: redirect it (> FILE, | ssh HOST 'cat > FILE')");
	if (!rc->o->yes && !isatty(STDIN_FILENO))
		return cli_usage("no terminal to confirm on: add --yes to run without asking");
	return 0;
}

/* Say why SEL names no file, or which files it could mean. */
static void say_no_match(const struct recover *rc, long idx)
{
	const char *sel = rc->o->sel;
	char *s = cli_shown(sel, strlen(sel)), id[64];

	if (idx == -ENOTUNIQ) {
		cli_say("several held files were named %s; choose one by id:", s);
		for (size_t i = 0; i < rc->r.n; i++)
			if (rc->r.v[i].path_len == strlen(sel) &&
			    memcmp(rc->r.v[i].path, sel, rc->r.v[i].path_len) == 0)
				fprintf(stderr, "  %s\n",
				        scan_entry_id(&rc->r.v[i], id, sizeof(id)));
	} else {
		cli_say(
		    "no held deleted file matches %s (an id, PID:FD, loopN or its original path; see %s --list)",
		    s, program_invocation_short_name);
	}
	free(s);
}

/* Step 1: scan, find the one file, sample how it changes, read the targets. */
static int select_file(struct recover *rc)
{
	struct scan_opts so = {.all = true, .proc = "/proc", .sys = "/sys", .method = rc->o->scan};
	struct scan_result one;
	long idx;

	cli_filter_apply(rc->o->filter, &so);
	if (cli_scan(&so, &rc->r) < 0)
		return 1;
	idx = scan_select(&rc->r, rc->o->sel);
	if (idx < 0) {
		say_no_match(rc, idx);
		return 1;
	}
	rc->e = &rc->r.v[idx];
	scan_entry_id(rc->e, rc->id, sizeof(rc->id));
	/* Sample only this file, and only when the method is left to us; the free signals
	 * (nobody can write it) count either way. */
	one = (struct scan_result){.v = rc->e, .n = 1};
	(void)rate_sample_all(&one, strcmp(rc->o->method, "auto") == 0 ? rc->o->sample : 0,
	                      RECOVER_SAMPLE_BUDGET);
	rc->a.fsid = adv_fsid(rc->e);
	return cli_read_targets(&rc->tl) < 0 ? 1 : 0;
}

/* Where the result goes: DEST (never an existing name) and the target it lands on. */
static int place_result(struct recover *rc)
{
	const struct recover_opts *o = rc->o;
	struct entry *e = rc->e;
	int err;

	err = dest_resolve_ours(o->to, e->path, e->path_len, e->ino, plan_journal_is_ours, e,
	                        rc->dest, sizeof(rc->dest), &rc->resume);
	if (err < 0) {
		char *s = cli_shown(o->to, strlen(o->to));
		if (err == -EEXIST)
			cli_say(
			    "%s exists; rescuetui never overwrites: choose a new name or a directory",
			    s);
		else
			cli_say("cannot write to %s: %s", s, strerror(-err));
		free(s);
		return 1;
	}
	plan_dir_of(rc->dest, rc->dir, sizeof(rc->dir));
	err = plan_dest_target(rc->dir, &rc->tl, &rc->stand_in, &rc->t);
	if (err < 0) {
		char *s = cli_shown(rc->dir, strlen(rc->dir));
		cli_say("cannot use %s: %s", s, strerror(-err));
		free(s);
		return 1;
	}
	return 0;
}

/* Step 2: the target, the method and the job's spec. */
static int plan(struct recover *rc)
{
	const struct recover_opts *o = rc->o;
	struct entry *e = rc->e;
	int r;

	if (!rc->stream && (r = place_result(rc)) != 0)
		return r;
	if ((r = choose(rc)) != 0)
		return r;
	if (o->freeze && (rc->p.method == REC_FOLLOW || rc->p.method == REC_RELINK || rc->stream))
		return cli_usage(
		    "--freeze goes with copy, sync and reflink (writers stopped for the copy or its final pass), not with %s",
		    rc->stream ? "--to -" : rec_method_name(rc->p.method));
	/* Every holder with write access: no fixed limit (a freeze must stop them all). */
	rc->writers = calloc(e->nholders ? e->nholders : 1, sizeof(*rc->writers));
	if (!rc->writers) {
		cli_say("out of memory");
		return 1;
	}
	plan_spec(e, &e->pin, rc->p.method, rc->stream ? NULL : rc->dest,
	          rc->stream ? STDOUT_FILENO : -1, o->max_rate, o->freeze, rc->writers, &rc->spec);
	rc->spec.retries = o->retries < 0 ? 0 : o->retries == 0 ? -1 : o->retries;
	return 0;
}

/* Step 3: say what will happen; ask unless --yes. */
static int confirm_plan(const struct recover *rc)
{
	const struct entry *e = rc->e;
	char *src = cli_shown(e->path, e->path_len);
	char *dst = rc->stream ? strdup("standard output") : cli_shown(rc->dest, strlen(rc->dest));
	char *why = cli_shown(rc->p.reason, strlen(rc->p.reason));

	fprintf(stderr, "%s %s (%s) -> %s%s\n  %s\n", rec_method_name(rc->p.method), src, rc->id,
	        dst ? dst : "?",
	        !rc->resume                   ? ""
	        : access(rc->dest, F_OK) == 0 ? " (reading again only what its map lists as unread)"
	                                      : " (continuing an interrupted run)",
	        why);
	free(why);
	if (rc->o->freeze)
		fprintf(
		    stderr,
		    "  --freeze: the writers are stopped (SIGSTOP) for the final pass and resumed (SIGCONT) afterwards, whatever happens.\n");
	free(src);
	free(dst);
	if (!rc->o->yes && !cli_ask("Proceed?")) {
		cli_say("nothing done");
		return 1;
	}
	return 0;
}

/* Step 4: start the job and step it to its end, drawing progress on a terminal. */
static int run(struct recover *rc)
{
	bool tty = isatty(STDERR_FILENO);
	int err = job_start(&rc->spec, &rc->job);

	if (err < 0) {
		const char *why = err == -EPERM && rc->o->freeze
		                      ? "refusing to stop pid 1 or an ancestor of ours"
		                      : strerror(-err);
		char *s = rc->stream ? strdup("-") : cli_shown(rc->dest, strlen(rc->dest));
		cli_say("cannot start %s to %s: %s", rec_method_name(rc->p.method), s ? s : "?",
		        why);
		free(s);
		log_it(rc, rc->stream ? "-" : rc->dest, 0, strerror(-err), NULL);
		return 1;
	}
	g_job = rc->job;
	catch_signals();
	while ((err = job_step(rc->job, RECOVER_STEP_MS)) > 0) {
		if (tty)
			progress_line(rc->job);
		maybe_stop(rc->job);
	}
	if (tty) {
		progress_line(rc->job);
		fputc('\n', stderr);
	}
	g_job = NULL;
	release_signals();
	rc->err = err;
	return 0;
}

/* readerr: the command that reads the unread ranges of RES again, into RC->retry
 * (empty when there are none, or for a stream). */
static void retry_command(struct recover *rc, const struct job_result *res)
{
	rc->retry[0] = '\0';
	if (!res->unread_bytes || rc->stream || !res->final_path[0])
		return;
	/* too long a name: no command rather than a cut one */
	(void)plan_retry_command(program_invocation_short_name, rc->id, res->final_path,
	                         rc->p.method, rc->o->retries, rc->retry, sizeof(rc->retry));
}

/* Step 5: verdict, what to check next, the summary and the log line. */
static int report(struct recover *rc)
{
	const struct job_result *res = job_result(rc->job);
	char lines[AFTER_MAX][AFTER_LEN];
	struct job_progress pr;
	struct plan_facts pf;
	struct after_facts af;
	bool ok, incomplete;
	char logres[128];
	size_t n;

	job_progress(rc->job, &pr);
	plan_facts_of(rc->e, &rc->spec, &pf);
	ok = plan_outcome(&pf, rc->err, res, &af);
	/* readerr: ranges left unread: the best copy there is, never a success */
	incomplete = rc->err == 0 && res->unread_bytes > 0;
	retry_command(rc, res);
	af.retry = rc->retry[0] ? rc->retry : NULL;
	n = after_checks(&af, lines);
	if (!ok && !incomplete) {
		const char *why = pr.message[0] ? pr.message : strerror(rc->err < 0 ? -rc->err : EIO);
		char *s = cli_shown(why, strlen(why));
		cli_say("%s failed: %s", rec_method_name(rc->p.method), s);
		free(s);
	}
	print_summary(rc->out, rc->o->json, &rc->p, rc->id, rc->e, res, &pr, ok, lines, n,
	              job_unread(rc->job), rc->retry);
	snprintf(logres, sizeof(logres), "incomplete: %" PRIu64 " bytes unread in %u range(s)",
	         res->unread_bytes, res->unread_ranges);
	log_it(rc, res->final_path[0] ? res->final_path : (rc->stream ? "-" : rc->dest),
	       res->bytes_written,
	       ok ? "ok" : incomplete ? logres : (pr.message[0] ? pr.message : "failed"), res);
	if (fflush(rc->out) != 0)
		return 1;
	return ok ? 0 : incomplete ? RECOVER_INCOMPLETE : 1;
}

int cli_recover(const struct recover_opts *o)
{
	struct recover rc = {.o = o, .stream = strcmp(o->to, "-") == 0};
	int status;

	rc.out = rc.stream ? stderr : stdout;
	if ((status = preflight(&rc)) != 0)
		return status;
	if ((status = select_file(&rc)) != 0) {
		scan_free(&rc.r);
		target_list_free(&rc.tl);
		return status;
	}
	if ((status = plan(&rc)) == 0 && (status = confirm_plan(&rc)) == 0 &&
	    (status = run(&rc)) == 0)
		status = report(&rc);
	job_free(rc.job);
	free(rc.writers);
	target_list_free(&rc.tl);
	scan_free(&rc.r);
	return status;
}
