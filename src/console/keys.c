/* keys: key table and actions. See keys.h. */
#include "console/keys.h"

#include "console/list.h"
#include "console/orescue.h"
#include "console/page.h"
#include "console/progress.h"
#include "console/reclaim.h"
#include "console/rescue.h"
#include "text/esc.h"

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTRL(c) ((c)&0x1f)
#define KEY_ESC 27
#define KEY_DEL 127

enum {
	ON_LIST = 1u << SCREEN_LIST,
	ON_DETAIL = 1u << SCREEN_DETAIL,
	ON_TARGETS = 1u << SCREEN_TARGETS,
	ON_HELP = 1u << SCREEN_HELP,
	ON_PICK = 1u << SCREEN_PICK,
	ON_CONFIRM = 1u << SCREEN_CONFIRM,
	ON_JOB = 1u << SCREEN_JOB,
	ON_RECLAIM = 1u << SCREEN_RECLAIM,
	ON_NAME = 1u << SCREEN_NAME,
	ON_PAGES = ON_DETAIL | ON_TARGETS | ON_HELP,
	ON_ALL = ON_LIST | ON_PAGES | ON_PICK | ON_CONFIRM | ON_JOB | ON_RECLAIM | ON_NAME
};

typedef int (*action_fn)(struct ui *u);

/* The selected entry's index in the model, or -1. */
static long selected(const struct ui *u)
{
	if (u->v.n == 0 || u->v.sel >= u->v.n)
		return -1;
	return (long)u->v.idx[u->v.sel];
}

static int move_by(struct ui *u, long delta)
{
	if (u->screen == SCREEN_LIST && u->off) {
		orph_select(u->off, &u->v, (long)u->v.sel + delta);
	} else if (u->screen == SCREEN_LIST) {
		view_select(&u->v, &u->m, (long)u->v.sel + delta);
	} else if (u->screen == SCREEN_PICK) {
		return rescue_pick_move(u, delta);
	} else if (delta < 0) {
		u->scroll = (size_t)-delta > u->scroll ? 0 : u->scroll - (size_t)-delta;
	} else {
		u->scroll += (size_t)delta; /* page_draw clamps at the end */
	}
	return UI_REDRAW;
}

static long page_step(const struct ui *u)
{
	return u->page_rows > 1 ? (long)u->page_rows - 1 : 1;
}

static int act_up(struct ui *u)
{
	return move_by(u, -1);
}
static int act_down(struct ui *u)
{
	return move_by(u, 1);
}
static int act_pgup(struct ui *u)
{
	return move_by(u, -page_step(u));
}
static int act_pgdn(struct ui *u)
{
	return move_by(u, page_step(u));
}
static int act_home(struct ui *u)
{
	return move_by(u, -(long)(u->v.n + u->scroll + 1));
}
static int act_end(struct ui *u)
{
	return move_by(u, (long)u->v.n + 100000);
}

static int act_quit(struct ui *u)
{
	size_t n = jobs_running(&u->jobs) + (u->off && orph_running(u->off));

	if (n == 0)
		return UI_QUIT;
	snprintf(
	    u->msg, sizeof(u->msg),
	    "%zu job%s running; jobs run inside the console and cannot outlive it. w: wait for them, then quit; c: cancel them and quit; else: stay",
	    n, n == 1 ? " is" : "s are");
	u->ask = ASK_QUIT_JOBS;
	return UI_REDRAW;
}

static int act_rescue(struct ui *u)
{
	return rescue_open(u, -1);
}
static int act_copy(struct ui *u)
{
	return rescue_open(u, REC_COPY);
}
static int act_sync(struct ui *u)
{
	return rescue_open(u, REC_SYNC);
}
static int act_follow(struct ui *u)
{
	return rescue_open(u, REC_FOLLOW);
}
static int act_relink(struct ui *u)
{
	return rescue_open(u, REC_RELINK);
}
static int act_pick_enter(struct ui *u)
{
	return rescue_pick_enter(u);
}
static int act_reclaim(struct ui *u)
{
	return reclaim_open(u);
}
static int act_reclaim_yes(struct ui *u)
{
	return reclaim_answer(u, false);
}
static int act_reclaim_discard(struct ui *u)
{
	return reclaim_answer(u, true);
}
static int act_complete(struct ui *u)
{
	return rescue_field_key(u, '\t');
}
static int act_yes(struct ui *u)
{
	return rescue_confirm_yes(u);
}
static int act_no(struct ui *u)
{
	return rescue_confirm_no(u);
}
static int act_freeze(struct ui *u)
{
	return rescue_toggle_freeze(u);
}

/* p: the progress or result of the selected file's newest job. */
static int act_show_job(struct ui *u)
{
	long k = progress_job_of_selected(u);

	if (k < 0) {
		snprintf(u->msg, sizeof(u->msg), "no job for this file (R starts one)");
		return UI_REDRAW;
	}
	u->job = (size_t)k;
	u->screen = SCREEN_JOB;
	u->scroll = 0;
	return UI_REDRAW;
}

static struct cjob *shown_job(struct ui *u)
{
	return u->job < u->jobs.n ? u->jobs.v[u->job] : NULL;
}

static int act_cancel_job(struct ui *u)
{
	struct cjob *c = shown_job(u);

	if (!c || cjob_ended(c))
		return 0;
	snprintf(u->msg, sizeof(u->msg),
	         "Cancel this %s? The .partial and its journal stay for a resume. y/N",
	         rec_method_name(c->spec.method));
	u->ask = ASK_CANCEL_JOB;
	return UI_REDRAW;
}

/* Why the job shown cannot be frozen now, or NULL when it can be asked. */
static const char *no_freeze(const struct cjob *c)
{
	struct job_progress p;

	if (c->spec.freeze)
		return "the writers are stopped for the final pass already (z on the confirmation)";
	switch (c->spec.method) {
	case REC_COPY:
		return "a copy has no short last pass; frozen, the writers would stop for a whole copy again (sync has one)";
	case REC_FOLLOW:
		return "follow waits for the writer to close the file; stopped, it never would (x ends the follow)";
	case REC_RELINK:
		return "a relink is the very inode: nothing to freeze";
	case REC_REFLINK:
		if (!c->spec.sync_after_reflink)
			return "a clone is an atomic snapshot already: nothing to freeze";
		break;
	default:
		break;
	}
	if (c->spec.nwriters == 0 && !c->spec.freeze_fs_on_request)
		return "nothing writes the file: nothing to freeze";
	if (cjob_progress((struct cjob *)c, &p) && p.freeze_req != JOB_FREEZE_NONE)
		return "a freeze was asked already";
	return NULL;
}

/* z on a running job: ask first; the second key (!, never Enter) asks the engine. */
static int act_freeze_now(struct ui *u)
{
	struct cjob *c = shown_job(u);
	const char *why;

	if (!c || cjob_ended(c))
		return 0;
	if ((why = no_freeze(c))) {
		snprintf(u->msg, sizeof(u->msg), "cannot freeze now: %s", why);
		return UI_REDRAW;
	}
	snprintf(
	    u->msg, sizeof(u->msg),
	    "Freeze now? Press ! (not Enter; else no): writers stopped at the end of this pass, resumed after");
	u->ask = ASK_FREEZE_JOB;
	return UI_REDRAW;
}

/* The second key said yes: ask the engine, and say what it answered. */
static int freeze_job(struct ui *u, struct cjob *c)
{
	int r = c ? cjob_request_freeze(c) : -EAGAIN;

	switch (r) {
	case 0:
		snprintf(u->msg, sizeof(u->msg),
		         "freeze requested: the writers are stopped at the end of this pass");
		break;
	case -EPERM:
		snprintf(
		    u->msg, sizeof(u->msg),
		    "not frozen: a writer is pid 1 or an ancestor of this console: never stopped");
		break;
	case -EBUSY:
	case -EAGAIN:
		snprintf(u->msg, sizeof(u->msg),
		         "not frozen: the passes are over (the job verifies or has ended)");
		break;
	case -EALREADY:
		snprintf(u->msg, sizeof(u->msg), "a freeze was asked already");
		break;
	default:
		snprintf(u->msg, sizeof(u->msg), "not frozen: %s", strerror(-r));
		break;
	}
	return UI_REDRAW;
}

static int act_background(struct ui *u)
{
	struct cjob *c = shown_job(u);

	if (c && !cjob_ended(c))
		snprintf(u->msg, sizeof(u->msg),
		         "the job goes on in the background: p shows it again");
	u->screen = SCREEN_LIST;
	u->scroll = 0;
	return UI_REDRAW;
}

static int act_back(struct ui *u)
{
	u->screen = u->screen == SCREEN_HELP ? u->back : SCREEN_LIST;
	u->scroll = 0;
	return UI_REDRAW;
}

static int act_help(struct ui *u)
{
	if (u->screen != SCREEN_HELP)
		u->back = u->screen;
	u->screen = SCREEN_HELP;
	u->scroll = 0;
	return UI_REDRAW;
}

static int act_detail(struct ui *u)
{
	if (selected(u) < 0)
		return 0;
	u->screen = SCREEN_DETAIL;
	u->scroll = 0;
	return UI_REDRAW;
}

static int act_targets(struct ui *u)
{
	u->screen = SCREEN_TARGETS;
	u->scroll = 0;
	return UI_REDRAW;
}

static int act_filter(struct ui *u)
{
	u->editing = true;
	return UI_REDRAW;
}

static int act_clear_filter(struct ui *u)
{
	if (!u->v.filter[0])
		return 0;
	u->v.filter[0] = 0;
	return UI_REBUILD | UI_REDRAW;
}

static int act_sort(struct ui *u)
{
	u->v.sort = (u->v.sort + 1) % SORT_N;
	snprintf(u->msg, sizeof(u->msg), "sorted by %s%s (s: next, I: reverse)",
	         view_sort_name(u->v.sort), u->v.rev ? ", reversed" : "");
	return UI_REBUILD | UI_REDRAW;
}

static int act_reverse(struct ui *u)
{
	u->v.rev = !u->v.rev;
	return UI_REBUILD | UI_REDRAW;
}

static int act_rescan(struct ui *u)
{
	model_rescan(&u->m, u->all);
	snprintf(u->msg, sizeof(u->msg), "rescanning...");
	return UI_REDRAW;
}

static int act_all(struct ui *u)
{
	u->all = !u->all;
	model_rescan(&u->m, u->all);
	snprintf(u->msg, sizeof(u->msg), "%s memfd and shared-memory objects; rescanning...",
	         u->all ? "showing" : "hiding");
	return UI_REDRAW;
}

/* u / U: let go of our pin (after a y), or take it again when already released. */
static int ask_release(struct ui *u, bool whole_fs)
{
	long i = selected(u);
	const struct entry *e;
	char *mp;

	if (i < 0)
		return 0;
	e = &u->m.r.v[i];
	u->ask_key = (struct model_key){e->dev, whole_fs ? 0 : e->ino};
	if (model_is_released(&u->m, e->dev, whole_fs ? 0 : e->ino) &&
	    (!whole_fs || model_is_released(&u->m, e->dev, 0))) {
		model_repin(&u->m, u->ask_key);
		snprintf(u->msg, sizeof(u->msg), "pinning again at the next scan");
		return UI_REDRAW;
	}
	mp = esc_display(e->mountpoint ? e->mountpoint : "?",
	                 strlen(e->mountpoint ? e->mountpoint : "?"));
	if (whole_fs)
		snprintf(
		    u->msg, sizeof(u->msg),
		    "Release the pins of every file on %s so it can be unmounted? Files no process holds are then lost. y/N",
		    mp ? mp : "?");
	else
		snprintf(u->msg, sizeof(u->msg), "Release the pin of this file?%s y/N",
		         u->m.meta[i].orphan ? " Nothing else holds it: it is then LOST." : "");
	free(mp);
	u->ask = whole_fs ? ASK_RELEASE_FS : ASK_RELEASE_FILE;
	return UI_REDRAW;
}

static int act_release(struct ui *u)
{
	return ask_release(u, false);
}
static int act_release_fs(struct ui *u)
{
	return ask_release(u, true);
}

static int act_redraw(struct ui *u)
{
	(void)u;
	clearok(curscr, TRUE);
	return UI_REDRAW;
}

struct binding {
	int key;
	unsigned on;
	action_fn fn;
	const char *name; /* for help; NULL: an alternative of the line above */
	const char *what;
	bool acts; /* changes something: absent under --readonly */
};

static const struct binding table[] = {
    {KEY_UP, ON_ALL, act_up, "Up, k", "previous file / scroll up", false},
    {'k', ON_ALL, act_up, NULL, NULL, false},
    {KEY_DOWN, ON_ALL, act_down, "Down, j", "next file / scroll down", false},
    {'j', ON_ALL, act_down, NULL, NULL, false},
    {KEY_PPAGE, ON_ALL, act_pgup, "PgUp, PgDn", "a screen up or down", false},
    {KEY_NPAGE, ON_ALL, act_pgdn, NULL, NULL, false},
    {KEY_HOME, ON_ALL, act_home, "Home, End", "first or last", false},
    {'g', ON_ALL, act_home, NULL, NULL, false},
    {KEY_END, ON_ALL, act_end, NULL, NULL, false},
    {'G', ON_ALL, act_end, NULL, NULL, false},
    {'\r', ON_LIST, act_detail, "Enter", "every fact of the selected file", false},
    {'\n', ON_LIST, act_detail, NULL, NULL, false},
    {KEY_ENTER, ON_LIST, act_detail, NULL, NULL, false},
    {KEY_RIGHT, ON_LIST, act_detail, NULL, NULL, false},
    {'t', ON_LIST | ON_DETAIL, act_targets, "t", "targets: where a copy could go, for this file",
     false},
    {'/', ON_LIST, act_filter, "/", "filter by text (path, command, pid); Enter keeps it", false},
    {KEY_F(4), ON_LIST, act_filter, NULL, NULL, false},
    {'\\', ON_LIST, act_filter, NULL, NULL, false},
    {KEY_ESC, ON_LIST, act_clear_filter, "Esc", "clear the filter (on a page: back)", false},
    {'s', ON_LIST, act_sort, "s, F6", "sort by size, rate, path, holder in turn", false},
    {KEY_F(6), ON_LIST, act_sort, NULL, NULL, false},
    {'I', ON_LIST, act_reverse, "I", "reverse the sort", false},
    {'a', ON_LIST, act_all, "a", "show or hide memfd and shared-memory objects", false},
    {'r', ON_LIST | ON_DETAIL | ON_TARGETS, act_rescan, "r, F5",
     "rescan now (the selection stays on its file)", false},
    {KEY_F(5), ON_LIST | ON_DETAIL | ON_TARGETS, act_rescan, NULL, NULL, false},
    {'R', ON_LIST | ON_DETAIL, act_rescue, "R",
     "rescue with the recommended method (then target, confirm)", true},
    {'\r', ON_DETAIL, act_rescue, "Enter", "rescue: the method picker, recommendation chosen",
     true},
    {'\n', ON_DETAIL, act_rescue, NULL, NULL, true},
    {KEY_ENTER, ON_DETAIL, act_rescue, NULL, NULL, true},
    {'c', ON_LIST | ON_DETAIL, act_copy, "c, f, l", "rescue by copy, follow or relink", true},
    {'f', ON_LIST | ON_DETAIL, act_follow, NULL, NULL, true},
    {'l', ON_LIST | ON_DETAIL, act_relink, NULL, NULL, true},
    {'s', ON_DETAIL, act_sync, "s", "rescue by sync (on the list s sorts)", true},
    {'X', ON_LIST | ON_DETAIL, act_reclaim, "X", "reclaim: truncate the file to give its space back (asks)", true},
    {'y', ON_RECLAIM, act_reclaim_yes, "y", "truncate a file that was rescued", true},
    {'D', ON_RECLAIM, act_reclaim_discard, "D", "truncate one that was not: its data is discarded", true},
    {'p', ON_LIST, act_show_job, "p", "the progress or result of this file's job", false},
    {'\r', ON_PICK, act_pick_enter, "Enter", "check the method and the target, then confirm", true},
    {'\n', ON_PICK, act_pick_enter, NULL, NULL, true},
    {KEY_ENTER, ON_PICK, act_pick_enter, NULL, NULL, true},
    {'\t', ON_PICK, act_complete, "Tab", "complete a directory name; Ctrl-U clears the field",
     true},
    {'y', ON_CONFIRM, act_yes, "y", "start (extra risk: then !, never Enter)", true},
    {'n', ON_CONFIRM, act_no, "n, Enter, Esc", "no (the default): back to the picker", true},
    {'\r', ON_CONFIRM, act_no, NULL, NULL, true},
    {'\n', ON_CONFIRM, act_no, NULL, NULL, true},
    {KEY_ENTER, ON_CONFIRM, act_no, NULL, NULL, true},
    {KEY_ESC, ON_CONFIRM, act_no, NULL, NULL, true},
    {'q', ON_CONFIRM, act_no, NULL, NULL, true},
    {'z', ON_CONFIRM, act_freeze, "z",
     "freeze the writers (SIGSTOP) for the copy or final pass, or not", true},
    {'x', ON_JOB, act_cancel_job, "x", "cancel the job (asks)", true},
    {'z', ON_JOB, act_freeze_now, "z",
     "sync: freeze now (then !): writers stopped for a final pass at the end of this one", true},
    {'b', ON_JOB, act_background, "b, q, Esc",
     "back to the list; a running job goes on in the background", false},
    {'q', ON_JOB, act_background, NULL, NULL, false},
    {KEY_ESC, ON_JOB, act_background, NULL, NULL, false},
    {KEY_LEFT, ON_JOB, act_background, NULL, NULL, false},
    {KEY_ESC, ON_PICK | ON_NAME, act_back, "Esc", "back to the list", false},
    {'u', ON_LIST | ON_DETAIL, act_release, "u", "release (or take again) the pin of this file",
     false},
    {'U', ON_LIST | ON_DETAIL, act_release_fs, "U",
     "release (or take again) the pins of every file on its filesystem", false},
    {'?', ON_ALL, act_help, "?, h, F1", "this help", false},
    {'h', ON_ALL, act_help, NULL, NULL, false},
    {KEY_F(1), ON_ALL, act_help, NULL, NULL, false},
    {CTRL('l'), ON_ALL, act_redraw, "Ctrl-L", "draw the screen again", false},
    {'q', ON_PAGES | ON_RECLAIM, act_back, "q, Esc, Left", "back (closes this help too)", false},
    {KEY_ESC, ON_PAGES | ON_RECLAIM, act_back, NULL, NULL, false},
    {KEY_LEFT, ON_PAGES | ON_RECLAIM, act_back, NULL, NULL, false},
    {'n', ON_RECLAIM, act_back, "n", "no (the default)", false},
    {KEY_BACKSPACE, ON_PAGES, act_back, NULL, NULL, false},
    {'q', ON_LIST, act_quit, "q, F10", "quit (from the list); the pins go with it", false},
    {KEY_F(10), ON_ALL, act_quit, NULL, NULL, false},
    {'Q', ON_JOB, act_quit, "Q, F10", "quit (asks when jobs run)", false},
};

/* The offline console (--offline DEV): its own actions first, then the ones of
 * the table above that only move, show or leave (shared()). */
static int act_off_copy(struct ui *u)
{
	return orescue_open(u, false);
}
static int act_off_relink(struct ui *u)
{
	return orescue_open(u, true);
}
static int act_off_enter(struct ui *u)
{
	return orescue_pick_enter(u);
}
static int act_off_name(struct ui *u)
{
	return orescue_name_enter(u);
}
static int act_off_yes(struct ui *u)
{
	return orescue_confirm_yes(u);
}
static int act_off_no(struct ui *u)
{
	return orescue_confirm_no(u);
}
static int act_off_cancel(struct ui *u)
{
	return orescue_ask_cancel(u);
}
static int act_off_show(struct ui *u)
{
	return orescue_show_job(u);
}

static const struct binding off_table[] = {
    {'R', ON_LIST | ON_DETAIL, act_off_copy, "R, c",
     "copy the inode out to another filesystem (target, then confirm); the device is only read",
     true},
    {'c', ON_LIST | ON_DETAIL, act_off_copy, NULL, NULL, true},
    {'\r', ON_DETAIL, act_off_copy, "Enter", "copy out: the target picker", true},
    {'\n', ON_DETAIL, act_off_copy, NULL, NULL, true},
    {KEY_ENTER, ON_DETAIL, act_off_copy, NULL, NULL, true},
    {'l', ON_LIST | ON_DETAIL, act_off_relink, "l",
     "relink: its name on the device (lost+found/rescued-INO unless typed), then y, then !: WRITES to the device; then e2fsck -fn",
     true},
    {'p', ON_LIST, act_off_show, "p", "the progress or result of the last action", false},
    {'\r', ON_PICK, act_off_enter, "Enter", "check the target, then confirm", true},
    {'\n', ON_PICK, act_off_enter, NULL, NULL, true},
    {KEY_ENTER, ON_PICK, act_off_enter, NULL, NULL, true},
    {'\r', ON_NAME, act_off_name, "Enter",
     "check the name as --relink --name does (no . or .., its directory there, the name not yet), then confirm; Backspace, Ctrl-U edit",
     true},
    {'\n', ON_NAME, act_off_name, NULL, NULL, true},
    {KEY_ENTER, ON_NAME, act_off_name, NULL, NULL, true},
    {'y', ON_CONFIRM, act_off_yes, "y", "go ahead (a relink: then !, never Enter)", true},
    {'n', ON_CONFIRM, act_off_no, "n, Enter, Esc", "no (the default)", true},
    {'\r', ON_CONFIRM, act_off_no, NULL, NULL, true},
    {'\n', ON_CONFIRM, act_off_no, NULL, NULL, true},
    {KEY_ENTER, ON_CONFIRM, act_off_no, NULL, NULL, true},
    {KEY_ESC, ON_CONFIRM, act_off_no, NULL, NULL, true},
    {'q', ON_CONFIRM, act_off_no, NULL, NULL, true},
    {'x', ON_JOB, act_off_cancel, "x", "cancel a copy (asks); the .partial is removed", true},
};

/* Actions of the online table that mean the same offline: moving, showing, leaving. */
static bool shared(action_fn fn)
{
	static const action_fn ok[] = {
	    act_up,   act_down, act_pgup,   act_pgdn,       act_home, act_end,     act_detail,
	    act_help, act_back, act_redraw, act_background, act_quit, act_complete};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == fn)
			return true;
	return false;
}

/* The binding of key CH on screen bit ON, or NULL. */
static const struct binding *find(const struct ui *u, int ch, unsigned on)
{
	if (u->off)
		for (size_t i = 0; i < sizeof(off_table) / sizeof(off_table[0]); i++)
			if (off_table[i].key == ch && (off_table[i].on & on) &&
			    !(off_table[i].acts && u->o->readonly))
				return &off_table[i];
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].key == ch && (table[i].on & on) &&
		    !(table[i].acts && u->o->readonly) && (!u->off || shared(table[i].fn)))
			return &table[i];
	return NULL;
}

/* A key while the filter line is open. */
static int edit_filter(struct ui *u, int ch)
{
	size_t n = strlen(u->v.filter);

	if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
		u->editing = false;
	} else if (ch == KEY_ESC) {
		u->editing = false;
		u->v.filter[0] = 0;
	} else if (ch == CTRL('u')) {
		u->v.filter[0] = 0;
	} else if (ch == KEY_BACKSPACE || ch == KEY_DEL || ch == CTRL('h')) {
		/* Remove a whole UTF-8 character: continuation bytes first. */
		while (n > 0 && ((unsigned char)u->v.filter[n - 1] & 0xc0) == 0x80)
			u->v.filter[--n] = 0;
		if (n > 0)
			u->v.filter[--n] = 0;
	} else if (ch >= ' ' && ch <= 0xff && ch != KEY_DEL && n + 1 < sizeof(u->v.filter)) {
		u->v.filter[n] = (char)ch;
		u->v.filter[n + 1] = 0;
	} else {
		return 0;
	}
	return UI_REBUILD | UI_REDRAW;
}

/* The answer to a question about jobs. */
static int answer_job(struct ui *u, enum ui_ask a, int ch)
{
	struct cjob *c = shown_job(u);

	if (a == ASK_RISK && u->off)
		return ch == '!' ? orescue_confirm_go(u) : orescue_confirm_no(u);
	if (a == ASK_RISK)
		return ch == '!' ? rescue_confirm_risk(u) : rescue_confirm_no(u);
	if (a == ASK_CANCEL_JOB && u->off && (ch == 'y' || ch == 'Y'))
		return orescue_cancel(u);
	if (a == ASK_FREEZE_JOB) {
		if (ch == '!')
			return freeze_job(u, c);
		snprintf(u->msg, sizeof(u->msg), "not frozen: the job goes on as it was");
		return UI_REDRAW;
	}
	if (a == ASK_CANCEL_JOB) {
		if ((ch == 'y' || ch == 'Y') && c) {
			cjob_cancel(c);
			snprintf(u->msg, sizeof(u->msg), "cancelling...");
		} else {
			snprintf(u->msg, sizeof(u->msg), "the job goes on");
		}
		return UI_REDRAW;
	}
	if (ch == 'c') {
		jobs_cancel_all(&u->jobs);
		if (u->off)
			orph_cancel(u->off);
		return UI_QUIT;
	}
	if (ch == 'w') {
		u->quit_when_done = true;
		snprintf(u->msg, sizeof(u->msg),
		         "waiting for the jobs; the console quits when they end");
		return UI_REDRAW;
	}
	snprintf(u->msg, sizeof(u->msg), "still here");
	return UI_REDRAW;
}

static int answer(struct ui *u, int ch)
{
	enum ui_ask a = u->ask;

	u->ask = ASK_NONE;
	if (a == ASK_RISK || a == ASK_CANCEL_JOB || a == ASK_QUIT_JOBS || a == ASK_FREEZE_JOB)
		return answer_job(u, a, ch);
	if (ch != 'y' && ch != 'Y') {
		snprintf(u->msg, sizeof(u->msg), "nothing released");
		return UI_REDRAW;
	}
	if (model_release(&u->m, u->ask_key) < 0)
		snprintf(u->msg, sizeof(u->msg), "out of memory: nothing released");
	else
		snprintf(u->msg, sizeof(u->msg), "%s released; u/U takes %s again",
		         a == ASK_RELEASE_FS ? "pins on that filesystem" : "pin",
		         a == ASK_RELEASE_FS ? "them" : "it");
	return UI_REDRAW;
}

int keys_handle(struct ui *u, int ch)
{
	unsigned on = 1u << u->screen;

	u->msg[0] = 0;
	if (u->ask != ASK_NONE)
		return answer(u, ch);
	if (u->editing)
		return edit_filter(u, ch);
	if (ch == KEY_RESIZE)
		return UI_REDRAW;
	if (u->screen == SCREEN_PICK || u->screen == SCREEN_NAME) {
		int f =
		    u->screen == SCREEN_NAME ? orescue_name_key(u, ch) : rescue_field_key(u, ch);
		if (f >= 0)
			return f;
	}
	const struct binding *b = find(u, ch, on);
	if (b)
		return b->fn(u);
	return UI_REDRAW; /* the message went away */
}

/* The message line: the filter being typed, a question, a message, or the
 * recommendation of the selected file. */
static void draw_message(struct ui *u, int y)
{
	long i = selected(u);
	char line[512];

	if (u->editing) {
		char *f = esc_display(u->v.filter, strlen(u->v.filter));
		snprintf(line, sizeof(line), "Filter: %s_   (Enter keeps it, Esc clears it)",
		         f ? f : "");
		free(f);
		term_cell(&u->term, y, 0, COLS, line, false, ROLE_HEAD);
	} else if (u->ask != ASK_NONE || u->msg[0]) {
		term_cell(&u->term, y, 0, COLS, u->msg, false,
		          u->ask != ASK_NONE ? ROLE_WARN : ROLE_HEAD);
	} else if (u->screen == SCREEN_LIST && u->off && !u->o->readonly &&
	           orph_selected(u->off, &u->v)) {
		snprintf(line, sizeof(line),
		         "%s c copies inode %" PRIu32 " out (the device is only read)%s",
		         term_marker(&u->term), orph_selected(u->off, &u->v)->ino,
		         u->off->s.info.needs_recovery
		             ? "; no relink until the journal is replayed"
		             : "; l relinks it under a name on the device (writes to it)");
		term_cell(&u->term, y, 0, COLS, line, false, ROLE_NORMAL);
	} else if (u->screen == SCREEN_LIST && i >= 0 && u->m.adv && !u->m.meta[i].gone) {
		const struct rec_result *rec = &u->m.adv[i].rec;
		const struct rec_option *o = &rec->opt[0];
		snprintf(line, sizeof(line), "%s %s: %s", term_marker(&u->term),
		         rec->recommended ? rec_method_name(o->method) : "nothing can run now",
		         o->reason);
		/* The reason may name a mountpoint: bytes from the system. */
		term_raw(&u->term, y, 0, COLS, line, strlen(line), false, ROLE_NORMAL);
	} else if (u->screen == SCREEN_LIST && u->v.filter[0]) {
		char *f = esc_display(u->v.filter, strlen(u->v.filter));
		snprintf(line, sizeof(line), "Filter: %s   (/ changes it, Esc clears it)",
		         f ? f : "");
		free(f);
		term_cell(&u->term, y, 0, COLS, line, false, ROLE_NORMAL);
	}
}

/* Key, word: the key bar of each screen. */
#define BAR_MAX 18
static const char *const bar[SCREEN_N][BAR_MAX] = {
    [SCREEN_LIST] = {"F1", "Help", "Enter", "Detail", "R", "Rescue", "t", "Targets", "/", "Filter",
                     "s", "Sort", "r", "Rescan", "u", "Unpin", "q", "Quit"},
    [SCREEN_DETAIL] = {"F1", "Help", "Up/Dn", "Scroll", "t", "Targets", "u", "Unpin", "r", "Rescan",
                       "q/Esc", "Back"},
    [SCREEN_TARGETS] = {"F1", "Help", "Up/Dn", "Scroll", "r", "Rescan", "q/Esc", "Back"},
    [SCREEN_HELP] = {"Up/Dn", "Scroll", "q/Esc", "Close", "F10", "Quit"},
    [SCREEN_PICK] = {"F1", "Help", "Up/Dn", "Method", "Tab", "Complete", "^U", "Clear", "Enter",
                     "Confirm", "Esc", "Back"},
    [SCREEN_CONFIRM] = {"y", "Start", "n/Esc", "No", "z", "Freeze", "F1", "Help"},
    [SCREEN_RECLAIM] = {"y", "Yes", "D", "Discard", "n/Esc", "No", "F1", "Help"},
    [SCREEN_JOB] = {"x", "Cancel", "b/Esc", "Background", "z", "Freeze", "F1", "Help", "Q", "Quit"},
};

/* The offline console's bars. */
static const char *const off_bar[SCREEN_N][BAR_MAX] = {
    [SCREEN_LIST] = {"F1", "Help", "Enter", "Detail", "c", "Copy out", "l", "Relink", "p", "Action",
                     "q", "Quit"},
    [SCREEN_DETAIL] = {"F1", "Help", "Up/Dn", "Scroll", "c", "Copy out", "l", "Relink", "q/Esc",
                       "Back"},
    [SCREEN_HELP] = {"Up/Dn", "Scroll", "q/Esc", "Close", "F10", "Quit"},
    [SCREEN_PICK] = {"F1", "Help", "Tab", "Complete", "^U", "Clear", "Enter", "Confirm", "Esc",
                     "Back"},
    [SCREEN_CONFIRM] = {"y", "Yes", "n/Esc", "No", "F1", "Help"},
    [SCREEN_JOB] = {"x", "Cancel", "b/Esc", "Background", "F1", "Help", "Q", "Quit"},
    [SCREEN_NAME] = {"F1", "Help", "^U", "Clear", "Enter", "Confirm", "Esc", "Back"},
};

/* The job view once its job ended: nothing left to cancel or freeze. */
static const char *const result_bar[BAR_MAX] = {"q/Esc", "Back", "F1", "Help", "F10", "Quit"};

void keys_draw_bottom(struct ui *u)
{
	struct cjob *c = shown_job(u);
	bool ended = u->off ? u->off->job && orph_ended(u->off->job) : c && cjob_ended(c);
	const char *const *b = u->screen == SCREEN_JOB && ended ? result_bar
	                       : u->off                         ? off_bar[u->screen]
	                                                        : bar[u->screen];
	int x = 0;

	move(LINES - 2, 0);
	clrtoeol();
	draw_message(u, LINES - 2);
	move(LINES - 1, 0);
	clrtoeol();
	for (size_t i = 0; i < BAR_MAX && b[i] && x < COLS; i += 2) {
		char word[32];
		int kw = (int)strlen(b[i]), ww;

		if (u->o->readonly &&
		    (!strcmp(b[i + 1], "Rescue") || !strcmp(b[i + 1], "Copy out") ||
		     !strcmp(b[i + 1], "Relink")))
			continue;
		snprintf(word, sizeof(word), " %s ", b[i + 1]);
		ww = (int)strlen(word);
		term_cell(&u->term, LINES - 1, x, kw, b[i], false, ROLE_KEY);
		x += kw;
		if (x < COLS)
			term_cell(&u->term, LINES - 1, x, ww > COLS - x ? COLS - x : ww, word,
			          false, ROLE_NORMAL);
		x += ww;
	}
}

void keys_help(const struct ui *u, struct page *p)
{
	static const char *const screens[] = {"The list",
	                                      "Detail",
	                                      "Targets",
	                                      "Help",
	                                      "Rescue: method and target (type the target; Enter)",
	                                      "Rescue: confirmation",
	                                      "A job: progress, then result",
	                                      "Reclaim: confirm, then the space freed",
	                                      NULL};

	static const char *const off_screens[] = {
	    "The orphan inodes",
	    "Detail",
	    NULL,
	    "Help",
	    "Copy out: the target (type it; Enter)",
	    "Copy out or relink: confirmation",
	    "The action: progress, then result",
	    NULL,
	    "Relink: the name on the device (type it; Enter)"};

	for (int s = 0; s < SCREEN_N; s++) {
		const char *name = u->off ? off_screens[s] : screens[s];
		if (!name || (u->o->readonly &&
		              (s == SCREEN_PICK || s == SCREEN_CONFIRM || s == SCREEN_JOB ||
		               s == SCREEN_RECLAIM || s == SCREEN_NAME)))
			continue;
		page_add(p, ROLE_HEAD, "%s", name);
		for (size_t i = 0; u->off && i < sizeof(off_table) / sizeof(off_table[0]); i++)
			if (off_table[i].name && (off_table[i].on & (1u << s)) &&
			    !(off_table[i].acts && u->o->readonly))
				page_add(p, ROLE_NORMAL, "  %-14s %s", off_table[i].name,
				         off_table[i].what);
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (table[i].name && (table[i].on & (1u << s)) &&
			    !(table[i].acts && u->o->readonly) && (!u->off || shared(table[i].fn)))
				page_add(p, ROLE_NORMAL, "  %-14s %s", table[i].name,
				         table[i].what);
		page_add(p, ROLE_NORMAL, "%s", "");
	}
}
