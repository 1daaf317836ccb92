/* rescue: the views that plan a rescue: the picker (method and target, with a
 * field to type a directory or a new file name) and the confirmation. The
 * decisions are rescue/plan.h's and decide/'s, as for --recover; these views only
 * show them and ask. All functions run on the main thread with the model's mutex
 * held. */
#ifndef RT_CONSOLE_RESCUE_H
#define RT_CONSOLE_RESCUE_H

#include "console/ui.h"

/* Open the picker for the selected file with METHOD preselected (-1: the
 * recommended one), the field holding the default directory (rescued-YYYYMMDD/
 * under the recommended target's mountpoint). Returns ui flags (0 when no file is
 * selected or it cannot be read through a pin: the message says why). */
int rescue_open(struct ui *u, int method);

/* A key the picker's field takes (printable characters, Backspace, Ctrl-U, Tab
 * completing a directory name); -1 when the key is not the field's. */
int rescue_field_key(struct ui *u, int ch);

/* Choose the method DELTA rows down (up when negative) in the picker. */
int rescue_pick_move(struct ui *u, long delta);

/* Enter in the picker: check the method and the target (a directory that does not
 * exist, is read-only or a name that would overwrite is refused with a message);
 * then the confirmation. Returns ui flags. */
int rescue_pick_enter(struct ui *u);

/* y on the confirmation: start the job, or (extra risk) ask for ! first. */
int rescue_confirm_yes(struct ui *u);

/* ! after the question on extra risk: start the job. */
int rescue_confirm_risk(struct ui *u);

/* n, Esc, q on the confirmation (and any other answer to the risk question):
 * nothing is done; a directory made for the default target is removed again. */
int rescue_confirm_no(struct ui *u);

/* z on the confirmation: stop the writers for the copy or the final pass, or not. */
int rescue_toggle_freeze(struct ui *u);

/* Make the picker's field, when it still holds the default directory and that is
 * not there yet, a new directory (mode 0700), remembered to be removed again on
 * no. 0 or a negative errno of mkdir. (The offline picker shares it.) */
int rescue_make_default_dir(struct ui *u);

/* Remove the directory rescue_make_default_dir made, if any. */
void rescue_unmake_default_dir(struct ui *u);

void rescue_pick_draw(struct ui *u);
void rescue_confirm_draw(struct ui *u);

#endif
