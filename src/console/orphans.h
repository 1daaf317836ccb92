/* orphans: the offline console's source of entries (rescuetui --offline DEV), without
 * curses.
 *
 * The list, detail, picker, confirmation and job views show these instead of the
 * held files of the live system: the orphan inodes off_scan found on the unmounted
 * device, read once before the console starts (and again after a relink). One
 * action runs at a time, in a thread of its own: a copy out (off_recover, one
 * blocking call whose progress callback publishes bytes done and takes the cancel
 * request) or a relink (off_relink, then e2fsck -fn, then a fresh scan). The thread
 * opens the device itself, judges the outcome, gathers the reminders and writes the
 * log line with the same calls as --offline --recover/--relink (offline/words.h),
 * pokes the console's wake fd, and publishes the end by an atomic phase (release);
 * the main thread reads the result only after seeing it (acquire).
 */
#ifndef RT_CONSOLE_ORPHANS_H
#define RT_CONSOLE_ORPHANS_H

#include "console/model.h"
#include "decide/after.h"
#include "offline/extract.h"
#include "offline/orphan.h"
#include "offline/relink.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ojob_kind { OJOB_COPY, OJOB_RELINK };
enum ojob_phase { OJOB_RUNNING, OJOB_ENDED };

struct ojob {
	/* Set before the thread starts, read-only afterwards. */
	pthread_t th;
	enum ojob_kind kind;
	uint32_t ino;
	const char *dev, *log;
	char dest[PATH_MAX]; /* copy: the new file; relink: the name from the root, "" for
	                      * lost+found/rescued-INO */
	int wake_fd;
	long t0_ms;
	/* Shared while it runs. */
	atomic_int phase;
	atomic_bool cancel;
	_Atomic uint64_t done, total;
	long last_poke_ms; /* the thread's own */
	/* Valid once OJOB_ENDED. */
	int err;
	bool ok;
	long t1_ms;
	struct off_copy_result copy;
	struct off_relink_result rel;
	int fsck; /* e2fsck -fn's status after a relink; negative: it could not run */
	char fsck_out[OFF_FSCK_OUT_LEN];
	char fsck_cmd[PATH_MAX + 64]; /* "e2fsck -f DEV", quoted */
	char why[OFF_WHY_LEN];        /* why it failed, "" */
	char lines[AFTER_MAX][AFTER_LEN];
	size_t nlines;
	int log_err;
	struct off_scan after; /* a relink's fresh scan, taken by orph_news */
	bool have_after;
};

struct orphans {
	const char *dev; /* as given */
	bool deep;
	const char *log; /* --log, or NULL for the default */
	struct off_scan s;
	struct ojob *job; /* the one action running, or the last one ended; NULL */
};

/* Read the orphans of DEV into O (before the console starts: nothing is drawn
 * yet). Returns 0; 1 when DEV is mounted (WHY names where); or a negative errno
 * with WHY: DEV cannot be looked at, or opened as an ext filesystem (off_open's
 * errors), or the walk ran out of memory. */
int orph_load(struct orphans *o, const char *dev, bool deep, const char *log, char *why,
              size_t len);

/* Start an action on inode INO: a copy to the file DEST, or a relink (DEST "" for
 * lost+found). WAKE_FD is poked as it goes and at its end. Returns 0, -EBUSY while
 * another action runs, or the errno of pthread_create. */
int orph_start(struct orphans *o, enum ojob_kind kind, uint32_t ino, const char *dest, int wake_fd);

/* Has J's thread finished (result, reminders and log line ready)? */
bool orph_ended(const struct ojob *j);

/* Is an action running? */
bool orph_running(const struct orphans *o);

/* Ask the running copy to stop (a relink is not stopped: it is short, and
 * half of one is worse than all of it). Returns false when there is nothing to
 * cancel. */
bool orph_cancel(struct orphans *o);

/* After an action ended: take a relink's fresh scan into O->s and V (the
 * selection stays on its inode). Main thread, MU held. Returns true when the list
 * changed. */
bool orph_news(struct orphans *o, struct view *v);

/* Make V show every entry of O in order (identity rows), the selection kept on
 * inode V->sel_ino when it is still there. Returns 0 or -ENOMEM. */
int orph_view(const struct orphans *o, struct view *v);

/* Move V's selection to ROW (clamped) and remember its inode. */
void orph_select(const struct orphans *o, struct view *v, long row);

/* The entry selected in V, or NULL. */
const struct off_entry *orph_selected(const struct orphans *o, const struct view *v);

/* Cancel what runs, wait for it, and free everything. */
void orph_free(struct orphans *o);

#endif
