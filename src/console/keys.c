/* keys: key table and actions. See keys.h. */
#include "console/keys.h"

#include "console/list.h"
#include "console/page.h"
#include "text/esc.h"

#include <curses.h>
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
	ON_PAGES = ON_DETAIL | ON_TARGETS | ON_HELP,
	ON_ALL = ON_LIST | ON_PAGES
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
	if (u->screen == SCREEN_LIST) {
		view_select(&u->v, &u->m, (long)u->v.sel + delta);
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
	(void)u;
	return UI_QUIT;
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
};

static const struct binding table[] = {
    {KEY_UP, ON_ALL, act_up, "Up, k", "previous file / scroll up"},
    {'k', ON_ALL, act_up, NULL, NULL},
    {KEY_DOWN, ON_ALL, act_down, "Down, j", "next file / scroll down"},
    {'j', ON_ALL, act_down, NULL, NULL},
    {KEY_PPAGE, ON_ALL, act_pgup, "PgUp, PgDn", "a screen up or down"},
    {KEY_NPAGE, ON_ALL, act_pgdn, NULL, NULL},
    {KEY_HOME, ON_ALL, act_home, "Home, End", "first or last"},
    {'g', ON_ALL, act_home, NULL, NULL},
    {KEY_END, ON_ALL, act_end, NULL, NULL},
    {'G', ON_ALL, act_end, NULL, NULL},
    {'\r', ON_LIST, act_detail, "Enter", "every fact of the selected file"},
    {'\n', ON_LIST, act_detail, NULL, NULL},
    {KEY_ENTER, ON_LIST, act_detail, NULL, NULL},
    {KEY_RIGHT, ON_LIST, act_detail, NULL, NULL},
    {'t', ON_LIST | ON_DETAIL, act_targets, "t", "targets: where a copy could go, for this file"},
    {'/', ON_LIST, act_filter, "/", "filter by text (path, command, pid); Enter keeps it"},
    {KEY_F(4), ON_LIST, act_filter, NULL, NULL},
    {'\\', ON_LIST, act_filter, NULL, NULL},
    {KEY_ESC, ON_LIST, act_clear_filter, "Esc", "clear the filter (on a page: back)"},
    {'s', ON_LIST, act_sort, "s, F6", "sort by size, rate, path, holder in turn"},
    {KEY_F(6), ON_LIST, act_sort, NULL, NULL},
    {'I', ON_LIST, act_reverse, "I", "reverse the sort"},
    {'a', ON_LIST, act_all, "a", "show or hide memfd and shared-memory objects"},
    {'r', ON_LIST | ON_DETAIL | ON_TARGETS, act_rescan, "r, F5",
     "rescan now (the selection stays on its file)"},
    {KEY_F(5), ON_LIST | ON_DETAIL | ON_TARGETS, act_rescan, NULL, NULL},
    {'u', ON_LIST | ON_DETAIL, act_release, "u", "release (or take again) the pin of this file"},
    {'U', ON_LIST | ON_DETAIL, act_release_fs, "U",
     "release (or take again) the pins of every file on its filesystem"},
    {'?', ON_ALL, act_help, "?, h, F1", "this help"},
    {'h', ON_ALL, act_help, NULL, NULL},
    {KEY_F(1), ON_ALL, act_help, NULL, NULL},
    {CTRL('l'), ON_ALL, act_redraw, "Ctrl-L", "draw the screen again"},
    {'q', ON_PAGES, act_back, "q, Esc, Left", "back (closes this help too)"},
    {KEY_ESC, ON_PAGES, act_back, NULL, NULL},
    {KEY_LEFT, ON_PAGES, act_back, NULL, NULL},
    {KEY_BACKSPACE, ON_PAGES, act_back, NULL, NULL},
    {'q', ON_LIST, act_quit, "q, F10", "quit (from the list); the pins go with it"},
    {KEY_F(10), ON_ALL, act_quit, NULL, NULL},
};

/* A key while the filter line is open. */
static int edit_filter(struct ui *u, int ch)
{
	size_t n = strlen(u->v.filter);

	if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
		u->editing = false;
	} else if (ch == KEY_ESC) {
		u->editing = false;
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

static int answer(struct ui *u, int ch)
{
	enum ui_ask a = u->ask;

	u->ask = ASK_NONE;
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
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].key == ch && (table[i].on & on))
			return table[i].fn(u);
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
static const char *const bar[SCREEN_N][16] = {
    [SCREEN_LIST] = {"F1", "Help", "Enter", "Detail", "t", "Targets", "/", "Filter", "s", "Sort",
                     "r", "Rescan", "u", "Unpin", "q", "Quit"},
    [SCREEN_DETAIL] = {"F1", "Help", "Up/Dn", "Scroll", "t", "Targets", "u", "Unpin", "r", "Rescan",
                       "q/Esc", "Back"},
    [SCREEN_TARGETS] = {"F1", "Help", "Up/Dn", "Scroll", "r", "Rescan", "q/Esc", "Back"},
    [SCREEN_HELP] = {"Up/Dn", "Scroll", "q/Esc", "Close", "F10", "Quit"},
};

void keys_draw_bottom(struct ui *u)
{
	const char *const *b = bar[u->screen];
	int x = 0;

	move(LINES - 2, 0);
	clrtoeol();
	draw_message(u, LINES - 2);
	move(LINES - 1, 0);
	clrtoeol();
	for (size_t i = 0; i < 16 && b[i] && x < COLS; i += 2) {
		char word[32];
		int kw = (int)strlen(b[i]), ww;

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

void keys_help(struct page *p)
{
	static const char *const screens[] = {"The list", "Detail", "Targets", "Help"};

	for (int s = 0; s < SCREEN_N; s++) {
		page_add(p, ROLE_HEAD, "%s", screens[s]);
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (table[i].name && (table[i].on & (1u << s)))
				page_add(p, ROLE_NORMAL, "  %-14s %s", table[i].name,
				         table[i].what);
		page_add(p, ROLE_NORMAL, "%s", "");
	}
}
