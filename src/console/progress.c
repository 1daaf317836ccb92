/* progress: a job's progress and result. See progress.h. */
#include "console/progress.h"

#include "console/keys.h"
#include "console/page.h"
#include "rescue/log.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Cells of the progress bar at most. */
#define BAR_MAX 60

static int percent(const struct job_progress *p)
{
	return p->total ? (int)(p->done * 100 / p->total) : 0;
}

void progress_tag(struct ui *u, dev_t dev, ino_t ino, char *buf, size_t len)
{
	struct cjob *c = jobs_of(&u->jobs, dev, ino);
	struct job_progress p;

	buf[0] = 0;
	if (!c)
		return;
	if (cjob_ended(c))
		snprintf(buf, len, "[%s] ",
		         c->ok                  ? (c->verified ? "verified" : "rescued")
		         : c->unread_bytes      ? "incomplete"
		         : c->err == -ECANCELED ? "cancelled"
		                                : "failed");
	else if (cjob_progress(c, &p))
		snprintf(buf, len, "[%s %d%%] ", rec_method_name(c->spec.method), percent(&p));
	else
		snprintf(buf, len, "[%s starting] ", rec_method_name(c->spec.method));
}

long progress_job_of_selected(const struct ui *u)
{
	long i = u->v.n && u->v.sel < u->v.n ? (long)u->v.idx[u->v.sel] : -1;
	const struct entry *e;

	if (i < 0)
		return -1;
	e = &u->m.r.v[i];
	for (size_t k = u->jobs.n; k-- > 0;)
		if (u->jobs.v[k]->dev == e->dev && u->jobs.v[k]->ino == e->ino)
			return (long)k;
	return -1;
}

static void add_bar(struct page *pg, const struct job_progress *p)
{
	char bar[BAR_MAX + 3];
	int w = (int)pg->width - 10, fill;

	if (w > BAR_MAX)
		w = BAR_MAX;
	if (w < 10)
		w = 10;
	fill = p->total ? (int)((double)p->done / (double)p->total * w) : 0;
	bar[0] = '[';
	for (int k = 0; k < w; k++)
		bar[1 + k] = k < fill ? '#' : '.';
	bar[w + 1] = ']';
	bar[w + 2] = 0;
	page_add(pg, ROLE_GOOD, "%s %3d%%", bar, percent(p));
}

static void add_running(struct ui *u, struct page *pg, struct cjob *c)
{
	struct job_progress p;
	char a[16], b[16], r[16];

	if (!cjob_progress(c, &p)) {
		page_add(pg, ROLE_NORMAL, "starting...");
		return;
	}
	add_bar(pg, &p);
	page_add(pg, ROLE_NORMAL, "phase    %s", p.phase);
	page_add(pg, ROLE_NORMAL, "bytes    %s / %s", fmt_size(a, sizeof(a), p.done),
	         fmt_size(b, sizeof(b), p.total));
	if (p.eta_s >= 0)
		page_add(pg, ROLE_NORMAL, "rate     %s/s   ETA %lld:%02lld",
		         fmt_size(r, sizeof(r), (uint64_t)(p.rate_bps > 0 ? p.rate_bps : 0)),
		         (long long)p.eta_s / 60, (long long)p.eta_s % 60);
	else
		page_add(pg, ROLE_NORMAL, "rate     %s/s",
		         fmt_size(r, sizeof(r), (uint64_t)(p.rate_bps > 0 ? p.rate_bps : 0)));
	if (c->spec.method == REC_SYNC || c->spec.sync_after_reflink)
		page_add(pg, ROLE_NORMAL, "pass     %u; the last pass rewrote %s", p.pass,
		         fmt_size(a, sizeof(a), p.pass_changed));
	if (c->spec.method == REC_FOLLOW && !strcmp(p.phase, "following") && p.done >= p.total)
		page_add(
		    pg, ROLE_NORMAL,
		    "waiting for the writer: the copy ends when the last writer closes the file");
	if (p.frozen) {
		long since = u->frozen_since[u->job];
		page_add(pg, ROLE_WARN,
		         "FROZEN   writers stopped for %.1f s (resumed whatever happens)",
		         since ? (double)(jobs_now_ms() - since) / 1000.0 : 0.0);
	} else if (p.freeze_req == JOB_FREEZE_ASKED) {
		page_add(pg, ROLE_WARN, "freeze   requested: at the end of this pass");
	} else if (p.freeze_req == JOB_FREEZE_TOO_LATE) {
		page_add(
		    pg, ROLE_WARN,
		    "freeze   asked too late: the passes had ended; the copy is live, not frozen");
	}
	if (p.message[0]) {
		char *m = esc_display(p.message, strlen(p.message));
		page_add(pg, ROLE_NORMAL, "         %s", m ? m : "");
		free(m);
	}
	page_add(pg, ROLE_NORMAL, "%s", "");
	/* z only where a freeze can still be asked: a sync not frozen nor asked yet */
	page_add(pg, ROLE_NORMAL,
	         "x: cancel (asks)   b, Esc: to the background (the list shows its state)%s",
	         (c->spec.method == REC_SYNC || c->spec.sync_after_reflink) && !c->spec.freeze &&
	                 p.freeze_req == JOB_FREEZE_NONE && p.state == JOB_RUNNING
	             ? "   z: freeze now (asks)"
	             : "");
}

/* readerr: the unread ranges (the first ones), the map and the retry command, as
 * --recover prints them. */
static void add_unread(struct page *pg, const struct cjob *c)
{
	char *s;

	page_add(pg, ROLE_HEAD, "Unread (holes in the result)");
	for (size_t k = 0; k < c->unread_shown; k++)
		page_add(pg, ROLE_NORMAL, "  %s", c->unread[k]);
	if (c->unread_ranges > c->unread_shown)
		page_add(pg, ROLE_NORMAL, "  ... and %zu more, listed in the map",
		         c->unread_ranges - c->unread_shown);
	if (c->unread_map[0]) {
		s = esc_display(c->unread_map, strlen(c->unread_map));
		page_add(pg, ROLE_NORMAL, "map      %s", s ? s : "?");
		free(s);
	}
	if (c->retry[0]) {
		/* names from the system inside: escaped for display, like the reminders */
		s = esc_display(c->retry, strlen(c->retry));
		page_add(pg, ROLE_NORMAL, "retry    %s", s ? s : "?");
		free(s);
	}
}

static void add_result(struct page *pg, struct cjob *c, const char *log)
{
	char *s;
	char sz[16], def[PATH_MAX];

	if (c->ok)
		page_add(pg, ROLE_GOOD, "Rescued: %s%s",
		         c->verified ? "verified (the result equals the source)"
		         : c->spec.method == REC_RELINK
		             ? "the very inode, linked"
		             : "NOT verified: a live copy, crash-consistent at best",
		         c->frozen_pass && c->verified ? ", frozen for the final pass" : "");
	else if (c->unread_bytes)
		page_add(pg, ROLE_BAD,
		         "Rescued incompletely: %" PRIu64 " bytes in %zu range(s) could not be read",
		         c->unread_bytes, c->unread_ranges);
	else
		page_add(pg, ROLE_BAD, "Not rescued (%s)",
		         c->err == -ECANCELED ? "cancelled" : "failed");
	if (c->why[0]) {
		s = esc_display(c->why, strlen(c->why));
		page_add(pg, c->ok ? ROLE_NORMAL : ROLE_BAD, c->ok ? "note     %s" : "why      %s",
		         s ? s : "");
		free(s);
	}
	s = esc_display(c->final[0] ? c->final : c->dest, strlen(c->final[0] ? c->final : c->dest));
	page_add(pg, ROLE_NORMAL, "result   %s%s", s ? s : "?",
	         c->ok             ? ""
	         : c->unread_bytes ? " (holes, zeros, where unread)"
	                           : " (kept for a resume)");
	free(s);
	if (c->rsize || c->ok)
		page_add(pg, ROLE_NORMAL, "size     %s", fmt_size(sz, sizeof(sz), c->rsize));
	if (c->passes > 1)
		page_add(pg, ROLE_NORMAL, "passes   %u", c->passes);
	page_add(pg, ROLE_NORMAL, "time     %.1f s", (double)(c->t1_ms - c->t0_ms) / 1000.0);
	if (c->unread_bytes)
		add_unread(pg, c);
	if (c->nlines)
		page_add(pg, ROLE_HEAD, "Next");
	for (size_t k = 0; k < c->nlines; k++) {
		s = esc_display(c->lines[k], strlen(c->lines[k]));
		page_add(pg, ROLE_NORMAL, "  - %s", s ? s : "");
		free(s);
	}
	if (!log)
		log = rlog_default_path(def, sizeof(def)) == 0 ? def : "(none: no home directory)";
	s = esc_display(log, strlen(log));
	page_add(pg, c->log_err ? ROLE_BAD : ROLE_NORMAL, "log      %s%s", s ? s : "?",
	         c->log_err ? " (could not be written)" : "");
	free(s);
}

void progress_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	int rows = LINES - 3;
	struct cjob *c = u->job < u->jobs.n ? u->jobs.v[u->job] : NULL;
	char title[PATH_MAX + 64];

	if (!c) {
		keys_draw_bottom(u);
		return;
	}
	snprintf(title, sizeof(title), " rescuetui | %s: %s", rec_method_name(c->spec.method),
	         cjob_ended(c) ? "result" : "progress");
	term_cell(&u->term, 0, 0, COLS, title, false, ROLE_TITLE);
	page_add_raw(&pg, ROLE_HEAD, "File:   ", c->src_name, c->src_len);
	page_add_raw(&pg, ROLE_HEAD, "To:     ", c->dest, strlen(c->dest));
	if (cjob_ended(c))
		add_result(&pg, c, u->o->log);
	else
		add_running(u, &pg, c);
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &pg, 1, rows, &u->scroll);
	page_free(&pg);
	keys_draw_bottom(u);
}
