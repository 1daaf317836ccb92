/* model: what the console shows, without curses.
 *
 * A worker thread owns every pin: it scans (at start, on request, and every few
 * seconds), samples how the files change, advises, and publishes the result here
 * under the mutex; the main thread reads it under the same mutex and never touches
 * a pin fd. Files that no holder keeps any more but our pin still does stay listed
 * ("kept by the pin"); files that went away entirely stay, marked gone, until the
 * main thread forgets them (at the next key). A view (sort, filter, selection by
 * file id) is the main thread's own and is rebuilt from the model.
 */
#ifndef RT_CONSOLE_MODEL_H
#define RT_CONSOLE_MODEL_H

#include "decide/advise.h"
#include "find/scan.h"
#include "find/target.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Readings of the change rate kept per file for the detail view. */
#define MODEL_HIST 12

struct model_meta {
	bool gone;     /* not found by the last scan and not pinned: the data may be lost */
	bool orphan;   /* no holder left; our pin alone keeps the data */
	bool released; /* the user let go of our pin */
	double hist[MODEL_HIST]; /* bytes per second, oldest first */
	unsigned nhist;
};

struct model_key {
	dev_t dev;
	ino_t ino; /* 0: every file on DEV */
};

/* The scan filter (find/scan.h, struct scan_opts): original paths, holder pids. */
struct model_filter {
	const char *const *only;
	size_t nonly;
	const int *pids;
	size_t npids;
};

struct model {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	bool started;
	atomic_bool hurry; /* a request waits: cut long loops of reads short */
	int wake_fd;       /* eventfd: the worker pokes it when the model changed */
	/* Read under MU by the main thread; written under MU by the worker. */
	struct scan_result r;
	struct model_meta *meta; /* r.n of them */
	struct advice *adv;      /* r.n of them, NULL when r.n is 0 */
	struct target_list tl;
	unsigned long gen; /* bumped on every change worth a redraw */
	bool ready;        /* the first scan is done */
	int err;           /* the last scan's error (negative errno), else 0 */
	time_t scanned;    /* wall clock of the last scan */
	unsigned rounds;   /* change-sampling rounds done */
	/* Settings and requests of the main thread, under MU. */
	bool all, quit, want_rescan, want_release, probe_reflink;
	double sample;         /* seconds per sampling round, 0 off */
	unsigned rescan_s;     /* seconds between automatic rescans */
	struct model_key *rel; /* pins the user released: files, or whole filesystems */
	struct model_filter filter; /* what the scan looks at */
	size_t nrel;
};

/* Set up M (nothing scanned yet) and start the worker. ALL shows memfd/shm, SAMPLE is
 * the sampling round in seconds (0: off), FILTER (NULL for everything) is the scan's
 * (find/scan.h: --only PATH, --pid): files it leaves out are never pinned. What
 * FILTER points to must outlive M. Returns 0 or a negative errno. */
int model_start(struct model *m, bool all, double sample, const struct model_filter *filter);

/* Set up M without a worker: nothing is scanned or pinned (the offline console
 * shows orphan inodes instead), but the mutex, the wake fd and the target list
 * (read once) are there for the views. Returns 0 or a negative errno (the target
 * list could not be read: M is usable, with no targets). model_stop frees it. */
int model_start_idle(struct model *m);

/* Stop the worker and free everything, releasing every pin. */
void model_stop(struct model *m);

/* Ask for a rescan now (with memfd/shm when ALL); probes reflink again. MU held
 * (the keys are handled under it). */
void model_rescan(struct model *m, bool all);

/* Let go of our pin of the file K names (K.ino 0: of every file on K.dev), now and
 * after later scans, so that its filesystem can be unmounted; the data then lives
 * only as long as its holders. MU held. Returns 0 or -ENOMEM. */
int model_release(struct model *m, struct model_key k);

/* Pin the file again at the next scan (undo model_release of that file or of its
 * filesystem). MU held. */
void model_repin(struct model *m, struct model_key k);

/* Is K's file (or filesystem) released? Call with MU held. */
bool model_is_released(const struct model *m, dev_t dev, ino_t ino);

/* Drop the entries marked gone. Call with MU held. Returns true when any was. */
bool model_forget_gone(struct model *m);

/* The index of the entry with DEV/INO, or -1. Call with MU held. */
long model_find(const struct model *m, dev_t dev, ino_t ino);

/* The rate that matters for a file: interior rewrites when written at random, growth
 * when appended, else 0. */
double model_rate(const struct entry *e);

enum view_sort { SORT_SIZE, SORT_RATE, SORT_PATH, SORT_HOLDER, SORT_N };

#define VIEW_FILTER_MAX 128

/* The list as the main thread shows it: indexes into the model's entries. */
struct view {
	size_t *idx;
	size_t n, cap;
	enum view_sort sort;
	bool rev;
	char filter[VIEW_FILTER_MAX];
	bool have_sel;
	dev_t sel_dev; /* the selected file, kept across rescans and sorts */
	ino_t sel_ino;
	size_t sel, top; /* row of the selection, first row shown */
};

/* Rebuild V from M (MU held): filter, sort, and find the selected file again (when it
 * is not there any more, the row nearest its old position). Returns 0 or -ENOMEM. */
int view_rebuild(struct view *v, const struct model *m);

/* Move the selection to row ROW (clamped) and remember its file. */
void view_select(struct view *v, const struct model *m, long row);

/* Move V's selection to row ROW clamped to its V->n rows; false when there is none
 * (selection and top at 0). The faces then remember which file it is. */
bool view_move(struct view *v, long row);

/* Keep the selection on screen in a window of ROWS rows. */
void view_scroll(struct view *v, size_t rows);

/* "size", "rate", "path", "holder". */
const char *view_sort_name(enum view_sort s);

void view_free(struct view *v);

#endif
