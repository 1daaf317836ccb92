/* progress: one job's view: its progress while it runs (bar, bytes, rate, ETA,
 * phase, sync's passes, follow's waiting, how long writers have been stopped),
 * then its result (verified or not and why, where, time taken, the reminders with
 * exact commands, the action log). Main thread, model's mutex held. */
#ifndef RT_CONSOLE_PROGRESS_H
#define RT_CONSOLE_PROGRESS_H

#include "console/ui.h"

#include <stddef.h>

/* Draw the job u->job. */
void progress_draw(struct ui *u);

/* The list's short state of the file's newest job ("copy 42%", "verified",
 * "failed") into BUF, or "" when the file has none. */
void progress_tag(struct ui *u, dev_t dev, ino_t ino, char *buf, size_t len);

/* The index of the newest job of the selected file, or -1. */
long progress_job_of_selected(const struct ui *u);

#endif
