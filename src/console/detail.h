/* detail: every fact of the selected file, as a scrolled page. */
#ifndef RT_CONSOLE_DETAIL_H
#define RT_CONSOLE_DETAIL_H

#include "console/ui.h"

/* Draw the detail of the selected file (the model's mutex held). */
void detail_draw(struct ui *u);

#endif
