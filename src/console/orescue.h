/* orescue: the rescue views of the offline console (--offline DEV): the target
 * picker and the confirmation of a copy out, the confirmation of a relink, and the
 * action's progress and result. The picker's field (typing, Tab completion, the
 * default directory) is rescue.c's; the work is orphans.c's thread. Main thread,
 * model's mutex held. */
#ifndef RT_CONSOLE_ORESCUE_H
#define RT_CONSOLE_ORESCUE_H

#include "console/ui.h"

/* R, c (copy) or l (relink) on the list or the detail: the picker for a copy, the
 * confirmation for a relink. Returns ui flags (a message says why not: read-only
 * console, an action running, a relink the journal or the block map forbids). */
int orescue_open(struct ui *u, bool relink);

/* Enter in the picker: the target is checked as --offline --recover checks it (a
 * new name, a writable directory, not on the device itself, room for the data);
 * then the confirmation. */
int orescue_pick_enter(struct ui *u);

/* y on the confirmation: a copy starts (a target left nearly full asks for !
 * first); a relink always asks for ! (it writes to the device). */
int orescue_confirm_yes(struct ui *u);

/* ! after that question: start. */
int orescue_confirm_go(struct ui *u);

/* No: nothing is done (back to the picker, or to where a relink was asked). */
int orescue_confirm_no(struct ui *u);

/* x on the job view: ask to cancel a copy. */
int orescue_ask_cancel(struct ui *u);

/* y to that question: cancel. */
int orescue_cancel(struct ui *u);

/* p: the action's view, when the selected inode has one. */
int orescue_show_job(struct ui *u);

/* The list's short state of inode INO's action ("copy 42%", "verified",
 * "relinked", "failed") into BUF, or "". */
void orescue_tag(const struct ui *u, uint32_t ino, char *buf, size_t len);

void orescue_pick_draw(struct ui *u);
void orescue_confirm_draw(struct ui *u);
void orescue_job_draw(struct ui *u);

#endif
