/* ui: the console's main-thread state, shared by the views and the key table.
 *
 * Hooks for part 2 (rescue from the keyboard): a screen per job (SCREEN_PROGRESS,
 * SCREEN_CONFIRM would join enum ui_screen), an action in keys.c that starts a job
 * with the selected file's advice, and the model's worker (or a second one) that
 * steps jobs and pokes the same wake fd.
 */
#ifndef RT_CONSOLE_UI_H
#define RT_CONSOLE_UI_H

#include "console/console.h"
#include "console/model.h"
#include "console/term.h"

#include <stdbool.h>

enum ui_screen { SCREEN_LIST, SCREEN_DETAIL, SCREEN_TARGETS, SCREEN_HELP, SCREEN_N };

/* What an action asks of the main loop (htop's model). */
enum ui_flags {
	UI_REDRAW = 1,  /* draw again */
	UI_REBUILD = 2, /* filter and sort again (the view changed) */
	UI_QUIT = 4,
};

/* A question on the bottom line waiting for y (anything else is no). */
enum ui_ask { ASK_NONE, ASK_RELEASE_FILE, ASK_RELEASE_FS };

struct ui {
	const struct console_opts *o;
	const char *prog;
	struct tty term;
	struct model m;
	struct view v;
	enum ui_screen screen, back; /* BACK: where help returns to */
	size_t scroll;               /* first line shown by the detail, targets and help pages */
	size_t page_rows;            /* lines the page had room for at the last draw */
	bool all;                    /* memfd/shm shown */
	bool editing;                /* the filter line has the keys */
	enum ui_ask ask;
	struct model_key ask_key;
	char msg[256]; /* the bottom message, until the next key */
};

#endif
