/* console: the main loop. See console.h.
 *
 * poll() waits for a key, the worker's wake fd, or a tick; keys are drained with
 * getch() in nodelay mode; the screen is drawn at most every FRAME_MS for the
 * worker's and the jobs' news (KEY_FRAME_MS after a key: typing is echoed at once)
 * and only when
 * something changed. Only this thread calls curses.
 */
#include "console/console.h"

#include "console/detail.h"
#include "console/help.h"
#include "console/keys.h"
#include "console/list.h"
#include "console/orescue.h"
#include "console/progress.h"
#include "console/reclaim.h"
#include "console/rescue.h"
#include "console/targets.h"
#include "console/ui.h"
#include "text/esc.h"

#include <curses.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_MS          250 /* longest wait without news */
#define FRAME_MS         100 /* news: at most ten redraws a second */
#define KEY_FRAME_MS     15  /* a key's answer waits for no more than this since the last frame */
#define GETCH_ERRORS_MAX 100 /* getch failing this often in a row: the terminal is gone */

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void draw(struct ui *u)
{
	pthread_mutex_lock(&u->m.mu);
	erase();
	if (term_too_small())
		term_draw_too_small(&u->term);
	else if (u->screen == SCREEN_DETAIL)
		detail_draw(u);
	else if (u->screen == SCREEN_TARGETS)
		targets_draw(u);
	else if (u->screen == SCREEN_HELP)
		help_draw(u);
	else if (u->screen == SCREEN_PICK)
		(u->off ? orescue_pick_draw : rescue_pick_draw)(u);
	else if (u->screen == SCREEN_CONFIRM)
		(u->off ? orescue_confirm_draw : rescue_confirm_draw)(u);
	else if (u->screen == SCREEN_JOB)
		(u->off ? orescue_job_draw : progress_draw)(u);
	else if (u->screen == SCREEN_RECLAIM)
		reclaim_draw(u);
	else if (u->screen == SCREEN_NAME)
		orescue_name_draw(u);
	else
		list_draw(u);
	pthread_mutex_unlock(&u->m.mu);
	refresh();
}

/* A key: a file marked gone goes at the first key after it was marked (the
 * admin has had the chance to see it), then the key table. Returns ui flags. */
static int on_key(struct ui *u, int ch)
{
	int f;

	pthread_mutex_lock(&u->m.mu);
	if (ch != KEY_RESIZE && model_forget_gone(&u->m))
		view_rebuild(&u->v, &u->m);
	if (ch == KEY_RESIZE || !term_too_small())
		f = keys_handle(u, ch);
	else
		f = ch == 'q' || ch == KEY_F(10) ? UI_QUIT : UI_REDRAW;
	if (f & UI_REBUILD)
		view_rebuild(&u->v, &u->m);
	pthread_mutex_unlock(&u->m.mu);
	return f;
}

/* Take the worker's news: rebuild the view when the model changed. */
static bool take_news(struct ui *u, unsigned long *seen)
{
	bool changed;

	pthread_mutex_lock(&u->m.mu);
	changed = u->m.gen != *seen;
	if (changed) {
		*seen = u->m.gen;
		view_rebuild(&u->v, &u->m);
	}
	if (u->off && orph_news(u->off, &u->v))
		changed = true;
	pthread_mutex_unlock(&u->m.mu);
	return changed;
}

/* Remember when each job was first seen with its writers stopped. */
static void note_frozen(struct ui *u)
{
	for (size_t k = 0; k < u->jobs.n; k++) {
		struct job_progress p;
		bool frozen =
		    !cjob_ended(u->jobs.v[k]) && cjob_progress(u->jobs.v[k], &p) && p.frozen;

		if (!frozen)
			u->frozen_since[k] = 0;
		else if (!u->frozen_since[k])
			u->frozen_since[k] = now_ms();
	}
}

static void loop(struct ui *u)
{
	unsigned long turns = 0, seen = 0;
	long last = 0;
	int errors = 0;
	bool dirty = true, keyed = false;

	while (!term_signal) {
		int timeout = TICK_MS, got, ch;
		bool keys = false;

		if (dirty) {
			long since = now_ms() - last, frame = keyed ? KEY_FRAME_MS : FRAME_MS;
			if (since >= frame) {
				draw(u);
				last = now_ms();
				dirty = keyed = false;
			} else {
				timeout = (int)(frame - since);
			}
		}
		if (u->o->max_iterations && ++turns >= u->o->max_iterations)
			return;
		got = term_wait(u->m.wake_fd, timeout);
		dirty |= take_news(u, &seen);
		/* Jobs poke the same fd: their progress is news too. */
		if ((got & TERM_WOKEN) && (u->jobs.n || (u->off && u->off->job)))
			dirty = true;
		note_frozen(u);
		if (u->quit_when_done && jobs_running(&u->jobs) == 0 &&
		    !(u->off && orph_running(u->off)))
			return;
		while ((ch = getch()) != ERR) {
			int f = on_key(u, ch);
			keys = true;
			errors = 0;
			if (f & UI_QUIT)
				return;
			dirty |= (f & (UI_REDRAW | UI_REBUILD)) != 0;
			keyed |= (f & (UI_REDRAW | UI_REBUILD)) != 0;
		}
		/* Input ready yet nothing read, again and again: the terminal is gone. */
		if ((got & TERM_INPUT) && !keys && ++errors >= GETCH_ERRORS_MAX)
			return;
	}
}

/* --offline DEV: read its orphans before the screen is touched, so that a mounted
 * or damaged device is a message on a plain terminal (exit 1). */
static int load_offline(struct ui *u, struct orphans *off)
{
	char why[4400];
	char *d, *w;
	int rc = orph_load(off, u->o->offline, u->o->deep, u->o->log, why, sizeof(why));

	if (rc == 0) {
		u->off = off;
		return 0;
	}
	d = esc_display(u->o->offline, strlen(u->o->offline));
	w = esc_display(why, strlen(why));
	if (rc == 1)
		fprintf(stderr,
		        "%s: %s is mounted (%s): the offline mode is for unmounted filesystems. "
		        "Its held deleted files are for the online mode: %s\n",
		        u->prog, d ? d : "?", w ? w : "?", u->prog);
	else
		fprintf(stderr, "%s: cannot open %s as an ext2/3/4 filesystem: %s\n", u->prog,
		        d ? d : "?", w ? w : "?");
	free(d);
	free(w);
	orph_free(off);
	return 1;
}

/* The source of entries: the live system's held files (the worker), or DEV's
 * orphans (no worker; the target list read once). 0 or a negative errno. */
static int start_source(struct ui *u)
{
	int err;

	if (!u->off)
		return model_start(&u->m, u->o->all, u->o->sample,
		                   &(struct model_filter){.only = u->o->only,
		                                          .nonly = u->o->nonly,
		                                          .pids = u->o->pids,
		                                          .npids = u->o->npids});
	err = model_start_idle(&u->m);
	if (u->m.wake_fd < 0)
		return err;
	return orph_view(u->off, &u->v);
}

int console_main(const struct console_opts *o, const char *prog)
{
	struct ui u = {.o = o, .prog = prog, .all = o->all};
	struct orphans off;
	const char *term = getenv("TERM");
	int err, sig;

	if (o->offline && load_offline(&u, &off))
		return 1;
	err = term_start(&u.term, o->no_color, o->ascii);
	if (err < 0) {
		char why[64];

		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
			snprintf(why, sizeof(why), "not a tty");
		else
			snprintf(why, sizeof(why), "TERM=%.40s", term ? term : "");
		fprintf(stderr, "%s: no terminal for the console (%s); use %s %s\n", prog, why,
		        prog, o->offline ? "--offline DEVICE --list" : "--list");
		if (u.off)
			orph_free(u.off);
		return 2;
	}
	if (o->filter)
		snprintf(u.v.filter, sizeof(u.v.filter), "%s", o->filter);
	err = start_source(&u);
	if (err < 0) {
		term_stop(&u.term);
		fprintf(stderr, "%s: cannot start the scan: %s\n", prog, strerror(-err));
		if (u.off)
			orph_free(u.off);
		return 1;
	}
	loop(&u);
	/* The terminal first: stopping the worker can wait for a scan to finish. */
	term_stop(&u.term);
	/* Jobs cannot outlive the console: cancel what still runs (a signal, or the
	 * answer to the quit question); freeing resumes any stopped writer. */
	jobs_cancel_all(&u.jobs);
	jobs_free(&u.jobs);
	if (u.off)
		orph_free(u.off);
	model_stop(&u.m);
	view_free(&u.v);
	sig = term_signal;
	if (sig) {
		/* Die of the signal, as the shell expects, now that all is restored. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	return 0;
}
