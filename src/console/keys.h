/* keys: the key map. A table maps each key, per screen, to a small action that
 * returns enum ui_flags (htop's model); the help screen and the key bar are made
 * from the same table, so they cannot disagree with it. */
#ifndef RT_CONSOLE_KEYS_H
#define RT_CONSOLE_KEYS_H

#include "console/ui.h"

/* Handle key CH (from getch) on the current screen. The model's mutex is held.
 * Returns enum ui_flags. */
int keys_handle(struct ui *u, int ch);

/* Draw the bottom two lines: the message (or the filter being typed, or a question)
 * and the key bar of the current screen. */
void keys_draw_bottom(struct ui *u);

/* Add the whole key map, screen by screen, to the help page. */
struct page;
void keys_help(const struct ui *u, struct page *p);

#endif
