/* reclaim: the console's X: give back the space of a held deleted file by
 * truncating it through its holder, with the same checks and log line as
 * --reclaim (decide/reclaim.h, rescue/reclaim.h). Main thread, model's mutex held. */
#ifndef RT_CONSOLE_RECLAIM_H
#define RT_CONSOLE_RECLAIM_H

#include "console/ui.h"

/* X: judge the selected file; a refusal is said on the message line, else the
 * confirmation opens (naming file, size, holders, and whether it was rescued).
 * Returns ui flags. */
int reclaim_open(struct ui *u);

/* y (a rescued file) or D (DISCARD: one that was not): judge again, truncate, and
 * show what was freed. Any other key: no. Returns ui flags. */
int reclaim_answer(struct ui *u, bool discard);

void reclaim_draw(struct ui *u);

#endif
