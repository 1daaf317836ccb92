/* help: the whole key map and what the methods do. */
#ifndef RT_CONSOLE_HELP_H
#define RT_CONSOLE_HELP_H

#include "console/ui.h"

/* Draw the help page. */
void help_draw(struct ui *u);

#endif
