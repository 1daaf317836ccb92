/* rescue: the picker and the confirmation. See rescue.h. */
#include "console/rescue.h"

#include "console/keys.h"
#include "console/page.h"
#include "decide/dest.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CTRL(c) ((c)&0x1f)
#define KEY_DEL 127
/* A target left with less than this share free asks for the second key. */
#define LOW_FREE_PERCENT 5
/* Names a Tab lists when several directories match. */
#define COMPLETE_SHOWN 6

/* The entry and advice the picker is about, or -1 (the message says why). */
static long pick_entry(struct ui *u)
{
	long i = model_find(&u->m, u->pick.dev, u->pick.ino);

	if (i < 0 || u->m.meta[i].gone || !u->m.adv) {
		snprintf(u->pick.err, sizeof(u->pick.err), "the file is gone: nothing to rescue");
		return -1;
	}
	for (size_t k = 0; k < u->m.adv[i].rec.n; k++)
		if (u->m.adv[i].rec.opt[k].method == u->pick.want)
			u->pick.sel = k;
	return i;
}

static const struct rec_result *options(struct ui *u, long i)
{
	return &u->m.adv[i].rec;
}

/* The default target: rescued-YYYYMMDD under the mountpoint of option O's target. */
static void default_field(struct ui *u, const struct rec_option *o)
{
	char day[16];
	time_t now = time(NULL);
	struct tm tm;

	u->pick.field[0] = 0;
	if (o->target < 0 || (size_t)o->target >= u->m.tl.n)
		return;
	localtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(u->pick.field, sizeof(u->pick.field), "%s%srescued-%s",
	         u->m.tl.v[o->target].mountpoint,
	         strcmp(u->m.tl.v[o->target].mountpoint, "/") ? "/" : "", day);
}

int rescue_open(struct ui *u, int method)
{
	long i = u->v.n && u->v.sel < u->v.n ? (long)u->v.idx[u->v.sel] : -1;
	const struct rec_result *rr;
	const struct entry *e;

	if (u->o->readonly || i < 0 || !u->m.adv)
		return 0;
	e = &u->m.r.v[i];
	if (u->m.meta[i].gone || e->pin.fd < 0) {
		snprintf(
		    u->msg, sizeof(u->msg),
		    "this file is not pinned (u takes the pin again): nothing to read it through");
		return UI_REDRAW;
	}
	rr = options(u, i);
	u->pick = (struct ui_pick){.dev = e->dev, .ino = e->ino};
	u->pick.want = rr->opt[0].method;
	for (size_t k = 0; k < rr->n; k++)
		if (method < 0 ? k == 0 : (int)rr->opt[k].method == method)
			u->pick.want = rr->opt[k].method;
	(void)pick_entry(u);
	default_field(u, &rr->opt[0]);
	u->screen = SCREEN_PICK;
	u->scroll = 0;
	return UI_REDRAW;
}

int rescue_pick_move(struct ui *u, long delta)
{
	long i = pick_entry(u), sel;
	const struct rec_result *rr;

	if (i < 0)
		return UI_REDRAW;
	rr = options(u, i);
	sel = (long)u->pick.sel + delta;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)rr->n)
		sel = (long)rr->n - 1;
	/* debugfs is listed to say why never: skip it. */
	if (rr->opt[sel].method == REC_DEBUGFS)
		sel = delta > 0 && sel > 0 ? sel - 1 : sel;
	u->pick.sel = (size_t)sel;
	u->pick.want = rr->opt[sel].method;
	u->pick.err[0] = 0;
	return UI_REDRAW;
}

/* Tab: complete the last part of the field to the directories that start with it. */
static void complete(struct ui *u)
{
	char *f = u->pick.field, dir[PATH_MAX], common[NAME_MAX + 1] = "", *slash = strrchr(f, '/');
	const char *part = slash ? slash + 1 : f;
	size_t plen = strlen(part), nmatch = 0, used, nl;
	char shown[200] = "";
	struct dirent *d;
	DIR *dp;

	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", slash == f ? 1 : (int)(slash - f), f);
	else
		snprintf(dir, sizeof(dir), ".");
	dp = opendir(dir);
	if (!dp) {
		snprintf(u->pick.err, sizeof(u->pick.err), "no such directory to complete in");
		return;
	}
	while ((d = readdir(dp))) {
		struct stat st;
		if (strncmp(d->d_name, part, plen) || !strcmp(d->d_name, ".") ||
		    !strcmp(d->d_name, "..") || fstatat(dirfd(dp), d->d_name, &st, 0) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (nmatch++ == 0) {
			snprintf(common, sizeof(common), "%s", d->d_name);
		} else {
			size_t k = 0;
			while (common[k] && common[k] == d->d_name[k])
				k++;
			common[k] = 0;
		}
		used = strlen(shown);
		nl = strlen(d->d_name);
		/* the names that fit, two spaces apart (checked: no cut name) */
		if (nmatch <= COMPLETE_SHOWN && used + nl + 3 < sizeof(shown)) {
			if (used) {
				memcpy(shown + used, "  ", 2);
				used += 2;
			}
			memcpy(shown + used, d->d_name, nl + 1);
		}
	}
	closedir(dp);
	if (nmatch == 0) {
		snprintf(u->pick.err, sizeof(u->pick.err), "no directory starts with that");
		return;
	}
	snprintf(f + (part - f), sizeof(u->pick.field) - (size_t)(part - f), "%s%s", common,
	         nmatch == 1 ? "/" : "");
	if (nmatch > 1)
		snprintf(u->pick.err, sizeof(u->pick.err), "%zu directories: %s%s", nmatch, shown,
		         nmatch > COMPLETE_SHOWN ? " ..." : "");
}

int rescue_field_key(struct ui *u, int ch)
{
	char *f = u->pick.field;
	size_t n = strlen(f);

	if (ch == '\t') {
		u->pick.err[0] = 0;
		complete(u);
	} else if (ch == CTRL('u')) {
		f[0] = 0;
	} else if (ch == KEY_BACKSPACE || ch == KEY_DEL || ch == CTRL('h')) {
		while (n > 0 && ((unsigned char)f[n - 1] & 0xc0) == 0x80)
			f[--n] = 0;
		if (n > 0)
			f[--n] = 0;
	} else if (ch >= ' ' && ch <= 0xff && ch != KEY_DEL) {
		if (n + 1 >= sizeof(u->pick.field))
			return UI_REDRAW;
		f[n] = (char)ch;
		f[n + 1] = 0;
	} else {
		return -1;
	}
	u->pick.typed = true;
	if (ch != '\t')
		u->pick.err[0] = 0;
	return UI_REDRAW;
}

int rescue_make_default_dir(struct ui *u)
{
	struct stat st;

	u->pick.made[0] = 0;
	if (u->pick.typed || stat(u->pick.field, &st) == 0)
		return 0;
	if (mkdir(u->pick.field, 0700) < 0)
		return -errno;
	snprintf(u->pick.made, sizeof(u->pick.made), "%s", u->pick.field);
	return 0;
}

void rescue_unmake_default_dir(struct ui *u)
{
	if (u->pick.made[0])
		(void)rmdir(u->pick.made);
	u->pick.made[0] = 0;
}

/* Where the result goes: DEST, never an existing name, and a writable target. */
static int place(struct ui *u, const struct entry *e, const struct target **t,
                 struct target *stand_in, char *dir, size_t dlen)
{
	struct ui_pick *p = &u->pick;
	const char *s = p->field;
	char to[PATH_MAX];
	size_t n;
	int err;

	/* "dir/" is "dir": the name is added with a slash of its own. */
	snprintf(to, sizeof(to), "%s", p->field);
	for (n = strlen(to); n > 1 && to[n - 1] == '/'; n--)
		to[n - 1] = 0;
	err = rescue_make_default_dir(u);
	if (err == 0)
		err = dest_resolve_ours(to, e->path, e->path_len, e->ino, plan_journal_is_ours,
		                        (void *)e, p->dest, sizeof(p->dest), &p->resume);
	if (err == 0) {
		plan_dir_of(p->dest, dir, dlen);
		err = plan_dest_target(dir, &u->m.tl, stand_in, t);
	}
	if (err == -EEXIST)
		snprintf(p->err, sizeof(p->err),
		         "%.400s exists; rescuetui never overwrites: type a new name or a directory",
		         s);
	else if (err == -ENOENT)
		snprintf(p->err, sizeof(p->err), "%.400s: no such directory", s);
	else if (err < 0)
		snprintf(p->err, sizeof(p->err), "cannot write to %.400s: %s", s,
		         strerror(-err));
	else if ((*t)->readonly || access(dir, W_OK) < 0)
		snprintf(p->err, sizeof(p->err), "%.400s cannot be written (read-only)", s),
		    err = -EROFS;
	if (err < 0)
		rescue_unmake_default_dir(u);
	return err;
}

/* The facts the confirmation shows, taken now (the target and the method there). */
static void take_facts(struct ui *u, long i, const struct target *t)
{
	struct ui_pick *p = &u->pick;
	const struct entry *e = &u->m.r.v[i];
	const struct advice *a = &u->m.adv[i];
	struct rec_fit fit;
	struct job_writer *w = calloc(e->nholders ? e->nholders : 1, sizeof(*w));

	adv_fit(e, a->fsid, t, REC_COPY_BPS_DEFAULT, &fit);
	snprintf(p->tmount, sizeof(p->tmount), "%s", t->mountpoint);
	snprintf(p->tfstype, sizeof(p->tfstype), "%s", t->fstype ? t->fstype : "?");
	p->tsize = t->size;
	p->tavail = t->avail;
	/* relink and reflink take no space of their own. */
	p->need = p->method == REC_RELINK || p->method == REC_REFLINK ? 0 : fit.need;
	p->same_fs = adv_same_fs(t, e, a->fsid);
	p->ram = t->ram;
	p->network = t->network;
	p->low_space = t->size && (t->avail < p->need ||
	                           (t->avail - p->need) * 100 < t->size * LOW_FREE_PERCENT);
	p->nwriters = w ? job_writers_of(e, w, e->nholders) : 0;
	p->freeze = false;
	free(w);
}

int rescue_pick_enter(struct ui *u)
{
	struct ui_pick *p = &u->pick;
	const struct target *t;
	struct target stand_in;
	char dir[PATH_MAX], warning[400];
	long i = pick_entry(u);
	const struct rec_option *o;
	int r;

	if (i < 0)
		return UI_REDRAW;
	o = &options(u, i)->opt[p->sel];
	if (!o->feasible || o->method == REC_DEBUGFS) {
		snprintf(p->err, sizeof(p->err), "%s cannot run: %s", rec_method_name(o->method),
		         o->reason);
		return UI_REDRAW;
	}
	if (!p->field[0]) {
		snprintf(p->err, sizeof(p->err), "type a directory or a new file name");
		return UI_REDRAW;
	}
	p->method = o->method;
	if (place(u, &u->m.r.v[i], &t, &stand_in, dir, sizeof(dir)) < 0)
		return UI_REDRAW;
	r = plan_choose(&u->m.r.v[i], &u->m.adv[i], t, (int)p->method, &p->opt, warning,
	                sizeof(warning));
	if (r != 0) {
		const char *m = t->mountpoint;
		if (r == 2)
			snprintf(p->err, sizeof(p->err), "refusing to write to %s: %.300s", m ? m : "?",
			         warning);
		else
			snprintf(p->err, sizeof(p->err), "%s to %s is not possible: %s",
			         rec_method_name(p->method), m ? m : "?",
			         r > 0 ? p->opt.reason : "not offered there");
		rescue_unmake_default_dir(u);
		return UI_REDRAW;
	}
	take_facts(u, i, t);
	u->screen = SCREEN_CONFIRM;
	u->scroll = 0;
	return UI_REDRAW;
}

static bool can_freeze(const struct ui_pick *p)
{
	return (p->method == REC_COPY || p->method == REC_SYNC || p->method == REC_REFLINK) &&
	       p->nwriters > 0;
}

/* Why this rescue needs the second key, in words, or NULL. */
static const char *extra_risk(const struct ui_pick *p)
{
	if (p->freeze)
		return "the writers will be stopped (SIGSTOP) while the copy is frozen";
	if (p->same_fs && p->method != REC_RELINK && p->method != REC_REFLINK)
		return "the result is written onto the file's own filesystem, taking room its holders may need";
	if (p->low_space)
		return "the target is left with less than 5% free";
	return NULL;
}

int rescue_toggle_freeze(struct ui *u)
{
	if (!can_freeze(&u->pick)) {
		snprintf(u->msg, sizeof(u->msg),
		         "freezing is for copy, sync and reflink of a file some process writes");
		return UI_REDRAW;
	}
	u->pick.freeze = !u->pick.freeze;
	return UI_REDRAW;
}

static int start(struct ui *u)
{
	struct ui_pick *p = &u->pick;
	long i = pick_entry(u);
	struct job_writer *w;
	struct job_spec spec;
	int k;

	if (i < 0) {
		snprintf(u->msg, sizeof(u->msg), "%.250s", p->err);
		u->screen = SCREEN_LIST;
		return UI_REDRAW;
	}
	w = calloc(u->m.r.v[i].nholders ? u->m.r.v[i].nholders : 1, sizeof(*w));
	if (!w) {
		snprintf(u->msg, sizeof(u->msg), "out of memory: nothing started");
		return UI_REDRAW;
	}
	plan_spec(&u->m.r.v[i], &u->m.r.v[i].pin, p->method, p->dest, -1, u->o->max_rate, p->freeze,
	          w, &spec);
	k = jobs_start(&u->jobs, &u->m.r.v[i], &spec, u->o->log, u->m.wake_fd);
	free(w);
	if (k < 0) {
		snprintf(u->msg, sizeof(u->msg), "cannot start the job: %s",
		         k == -ENOSPC ? "too many jobs in this console" : strerror(-k));
		return UI_REDRAW;
	}
	u->job = (size_t)k;
	u->frozen_since[k] = 0;
	u->screen = SCREEN_JOB;
	u->scroll = 0;
	return UI_REDRAW;
}

int rescue_confirm_yes(struct ui *u)
{
	const char *why = extra_risk(&u->pick);

	if (!why)
		return start(u);
	snprintf(u->msg, sizeof(u->msg),
	         "Press ! to go ahead (not Enter; anything else: no). Extra risk: %s.", why);
	u->ask = ASK_RISK;
	return UI_REDRAW;
}

int rescue_confirm_risk(struct ui *u)
{
	return start(u);
}

int rescue_confirm_no(struct ui *u)
{
	rescue_unmake_default_dir(u);
	snprintf(u->msg, sizeof(u->msg), "nothing done");
	u->screen = SCREEN_PICK;
	return UI_REDRAW;
}

static void add_methods(struct ui *u, struct page *pg, const struct rec_result *rr)
{
	page_add(pg, ROLE_HEAD, "Method (Up/Down chooses; a greyed one cannot run here)");
	for (size_t k = 0; k < rr->n; k++) {
		const struct rec_option *o = &rr->opt[k];
		enum term_role role = k == u->pick.sel ? ROLE_SEL
		                      : o->feasible    ? ROLE_GOOD
		                                       : ROLE_GONE;

		if (o->method == REC_DEBUGFS)
			continue;
		page_add(pg, role, "%s %-8s %-12s risk %-6s", k == u->pick.sel ? ">" : " ",
		         rec_method_name(o->method), o->feasible ? "feasible" : "cannot run",
		         rec_risk_name(o->risk));
		page_add_raw(pg, o->feasible ? ROLE_NORMAL : ROLE_GONE, "      ", o->reason,
		             strlen(o->reason));
	}
}

static void add_target(struct page *pg, const struct target *t, const struct entry *e,
                       const struct advice *a)
{
	struct rec_fit fit;
	bool same = adv_same_fs(t, e, a->fsid);
	char fr[16];
	char *mp = esc_display(t->mountpoint, strlen(t->mountpoint));

	adv_fit(e, a->fsid, t, REC_COPY_BPS_DEFAULT, &fit);
	page_add(pg, fit.fits && !t->readonly ? ROLE_GOOD : ROLE_BAD,
	         "  %s (%s, %s free): %s%s%s%s%s", mp ? mp : "?", t->fstype ? t->fstype : "?",
	         fmt_size(fr, sizeof(fr), t->avail),
	         t->readonly ? "read-only"
	         : fit.fits  ? "fits"
	                     : "does not fit",
	         t->reflink == 1 ? "; reflink" : "",
	         same ? "; the file's own filesystem: a copy takes room from the live writer" : "",
	         t->ram ? "; RAM-backed: gone at power-off" : "",
	         t->network ? "; network: slow, and it may go away" : "");
	page_add_raw(pg, ROLE_NORMAL, "      ", fit.why, strlen(fit.why));
	free(mp);
}

void rescue_pick_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	int rows = LINES - 6;
	long i = pick_entry(u);
	char line[PATH_MAX + 64];

	term_cell(&u->term, 0, 0, COLS, " rescuetui | rescue: method and target", false,
	          ROLE_TITLE);
	if (i >= 0) {
		const struct entry *e = &u->m.r.v[i];
		char id[64], sz[16];

		page_add_raw(&pg, ROLE_HEAD, "File: ", e->path ? e->path : "",
		             e->path ? e->path_len : 0);
		page_add(&pg, ROLE_NORMAL, "      %s, %s", scan_entry_id(e, id, sizeof(id)),
		         fmt_size(sz, sizeof(sz), e->size));
		add_methods(u, &pg, options(u, i));
		page_add(&pg, ROLE_HEAD, "Targets (free space, fits or not and why)");
		for (size_t k = 0; k < u->m.tl.n; k++)
			add_target(&pg, &u->m.tl.v[k], e, &u->m.adv[i]);
	}
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &pg, 1, rows, &u->scroll);
	page_free(&pg);
	term_cell(
	    &u->term, LINES - 5, 0, COLS,
	    "Target: a directory or a new file name (Tab completes, Ctrl-U clears, Enter goes on)",
	    false, ROLE_HEAD);
	snprintf(line, sizeof(line), "> %s_", u->pick.field);
	term_raw(&u->term, LINES - 4, 0, COLS, line, strlen(line), true, ROLE_NORMAL);
	/* Raw: the message holds names from the user and the system. */
	term_raw(&u->term, LINES - 3, 0, COLS, u->pick.err, strlen(u->pick.err), false, ROLE_BAD);
	keys_draw_bottom(u);
}

static const char *holders_fate(const struct ui_pick *p)
{
	if (p->nwriters == 0)
		return "nothing writes the file: its holders are not touched";
	if (p->freeze)
		return p->method == REC_COPY
		           ? "the writers are stopped (SIGSTOP) for the whole copy, then resumed (SIGCONT) whatever happens"
		           : "the writers are stopped (SIGSTOP) for the final pass, then resumed (SIGCONT) whatever happens";
	if (p->method == REC_FOLLOW)
		return "the writers keep running; the copy follows them until the last one closes the file";
	return "the writers keep running: the result is crash-consistent at best (z freezes them)";
}

void rescue_confirm_draw(struct ui *u)
{
	struct ui_pick *p = &u->pick;
	struct page pg = {.width = (size_t)COLS};
	int rows = LINES - 3;
	long i = pick_entry(u);
	char a[16], b[16], c[16];
	const char *risk = extra_risk(p);
	char *dst = esc_display(p->dest, strlen(p->dest));

	term_cell(&u->term, 0, 0, COLS, " rescuetui | rescue: confirm", false, ROLE_TITLE);
	page_add(&pg, ROLE_HEAD, "Start this rescue?  y: yes   n, Esc: no (the default)%s",
	         risk ? "   (extra risk: y, then !)" : "");
	page_add(&pg, ROLE_NORMAL, "method   %s%s", rec_method_name(p->method),
	         p->resume ? " (continuing an interrupted run)" : "");
	if (i >= 0) {
		const struct entry *e = &u->m.r.v[i];
		char id[64];
		page_add(&pg, ROLE_NORMAL, "source   %s, %s", scan_entry_id(e, id, sizeof(id)),
		         fmt_size(a, sizeof(a), e->size));
		page_add_raw(&pg, ROLE_NORMAL, "         ", e->path ? e->path : "",
		             e->path ? e->path_len : 0);
	}
	page_add(&pg, ROLE_NORMAL, "target   %s", dst ? dst : "?");
	page_add(&pg, p->low_space ? ROLE_WARN : ROLE_NORMAL,
	         "space    needs %s; %s free now, %s left after", fmt_size(a, sizeof(a), p->need),
	         fmt_size(b, sizeof(b), p->tavail),
	         fmt_size(c, sizeof(c), p->tavail > p->need ? p->tavail - p->need : 0));
	page_add(&pg, ROLE_NORMAL, "risk     %s", rec_risk_name(p->opt.risk));
	page_add_raw(&pg, ROLE_NORMAL, "         ", p->opt.reason, strlen(p->opt.reason));
	page_add(&pg, p->freeze ? ROLE_WARN : ROLE_NORMAL, "holders  %s", holders_fate(p));
	if (can_freeze(p))
		page_add(&pg, ROLE_NORMAL, "         z: %s",
		         p->freeze ? "do not freeze" : "freeze the writers for a consistent copy");
	if (p->ram)
		page_add(&pg, ROLE_WARN,
		         "warning  the target is RAM-backed: the result is gone at power-off");
	if (p->network)
		page_add(&pg, ROLE_WARN, "warning  the target is a network filesystem");
	if (risk)
		page_add(&pg, ROLE_WARN, "EXTRA RISK: %s", risk);
	free(dst);
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &pg, 1, rows, &u->scroll);
	page_free(&pg);
	keys_draw_bottom(u);
}
