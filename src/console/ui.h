/* ui: the console's main-thread state, shared by the views and the key table.
 *
 * Rescue from the keyboard: the picker (method and target) and the confirmation
 * are rescue.c's, the progress and result of a job progress.c's; the jobs run in
 * threads of their own (jobs.c) and poke the model's wake fd.
 */
#ifndef RT_CONSOLE_UI_H
#define RT_CONSOLE_UI_H

#include "console/console.h"
#include "console/jobs.h"
#include "console/model.h"
#include "console/orphans.h"
#include "console/term.h"

#include <limits.h>
#include <stdbool.h>

enum ui_screen {
	SCREEN_LIST,
	SCREEN_DETAIL,
	SCREEN_TARGETS,
	SCREEN_HELP,
	SCREEN_PICK,    /* method and target of a rescue */
	SCREEN_CONFIRM, /* what will happen: y starts it */
	SCREEN_JOB,     /* a job's progress, then its result */
	SCREEN_RECLAIM, /* truncate a file to give its space back: confirm, then freed */
	SCREEN_NAME,    /* offline relink: the name the inode gets on the device */
	SCREEN_N
};

/* What an action asks of the main loop (htop's model). */
enum ui_flags {
	UI_REDRAW = 1,  /* draw again */
	UI_REBUILD = 2, /* filter and sort again (the view changed) */
	UI_QUIT = 4,
};

/* A question on the bottom line waiting for y (anything else is no). */
enum ui_ask {
	ASK_NONE,
	ASK_RELEASE_FILE,
	ASK_RELEASE_FS,
	ASK_CANCEL_JOB, /* y cancels the job shown */
	ASK_QUIT_JOBS,  /* w waits for the jobs, c cancels them, else stay */
	ASK_RISK,       /* ! starts a rescue with extra risk */
	ASK_FREEZE_JOB, /* ! freezes the writers of the job shown for its final pass */
};

/* The reclaim being confirmed (decide/reclaim.h judged it), then its outcome. */
struct ui_reclaim {
	dev_t dev;
	ino_t ino;
	char id[64];
	int verdict; /* enum reclaim_verdict */
	char why[400];
	bool rescued;
	uint64_t rescued_size;
	long long rescued_when;
	bool done; /* truncated (or failed): RESULT says how */
	bool ok;
	char result[320];
};

/* The rescue being planned in the picker and the confirmation. */
struct ui_pick {
	dev_t dev;
	ino_t ino;
	enum rec_method want; /* the method chosen */
	size_t sel;           /* its row among the ranked options, found again after each scan */
	char field[PATH_MAX]; /* the target as typed (a directory or a new file name); an
	                       * offline relink: the name on the device, from its root */
	bool typed;           /* the user changed the field (else: the default directory) */
	char err[640];        /* why the field or the method cannot be used */
	/* Filled when the picker's Enter accepted them. */
	enum rec_method method;
	struct rec_option opt;
	char dest[PATH_MAX]; /* an offline relink: the name from the root, "" the default */
	bool resume;
	char made[PATH_MAX]; /* a directory we created for it (removed again on no), or "" */
	char tmount[PATH_MAX], tfstype[32];
	uint64_t tsize, tavail, need;
	bool same_fs, low_space, ram, network;
	bool freeze; /* stop the writers (z on the confirmation) */
	size_t nwriters;
	bool relink; /* offline: relink inode INO (else copy it out) */
};

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
	struct ui_pick pick;
	struct ui_reclaim rc;
	struct jobs jobs;
	size_t job;                  /* the job SCREEN_JOB shows */
	bool quit_when_done;         /* quit once no job runs any more */
	long frozen_since[JOBS_MAX]; /* when each job was first seen frozen, 0 when not */
	struct orphans *off;         /* --offline DEV: the entries are its orphans; else NULL */
};

#endif
