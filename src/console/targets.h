/* targets: the filesystems a copy could go to, judged for the selected file. */
#ifndef RT_CONSOLE_TARGETS_H
#define RT_CONSOLE_TARGETS_H

#include "console/ui.h"

/* Draw the targets page (the model's mutex held). */
void targets_draw(struct ui *u);

#endif
