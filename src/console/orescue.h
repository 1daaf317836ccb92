/* orescue: the rescue views of the offline console (--offline DEV): the target
 * picker and the confirmation of a copy out, the confirmation of a relink, and the
 * action's progress and result, and the name a relink gives the inode. The picker's
 * field (typing, Tab completion, the default directory) is rescue.c's, and the
 * relink's name field edits the same way; the work is orphans.c's thread. Main
 * thread, model's mutex held. */
#ifndef RT_CONSOLE_ORESCUE_H
#define RT_CONSOLE_ORESCUE_H

#include "console/ui.h"

/* R, c (copy) or l (relink) on the list or the detail: the picker for a copy, the
 * name field for a relink (holding the name off_relink would give it,
 * lost+found/rescued-INO). Returns ui flags (a message says why not: read-only
 * console, an action running, a relink the journal or the block map forbids). */
int orescue_open(struct ui *u, bool relink);

/* A key the relink's name field takes: as the picker's field (printable
 * characters, Backspace, Ctrl-U) but no Tab completion, since the name is on the
 * device, not on this system. -1 when the key is not the field's. */
int orescue_name_key(struct ui *u, int ch);

/* Enter on the name: checked as --relink --name checks it (off_relink_check, on
 * the device opened read-only: an empty name, . or .., a missing directory, a name
 * that exists are refused in the field's error line); then the confirmation. */
int orescue_name_enter(struct ui *u);

/* Enter in the picker: the target is checked as --offline --recover checks it (a
 * new name, a writable directory, not on the device itself, room for the data);
 * then the confirmation. */
int orescue_pick_enter(struct ui *u);

/* y on the confirmation: a copy starts (a target left nearly full asks for !
 * first); a relink always asks for ! (it writes to the device). */
int orescue_confirm_yes(struct ui *u);

/* ! after that question: start. */
int orescue_confirm_go(struct ui *u);

/* No: nothing is done (back to the picker, or to the relink's name). */
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
void orescue_name_draw(struct ui *u);
void orescue_confirm_draw(struct ui *u);
void orescue_job_draw(struct ui *u);

#endif
