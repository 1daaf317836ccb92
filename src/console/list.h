/* list: the home screen, one row per held deleted file under a header that says
 * how much they hold and what must not be done. */
#ifndef RT_CONSOLE_LIST_H
#define RT_CONSOLE_LIST_H

#include "console/ui.h"

#include <stddef.h>

struct entry;
struct model_meta;

/* Draw the list screen (the model's mutex held). */
void list_draw(struct ui *u);

/* "random 2.0M/s", "append 40K/s", or the class ("sampling" before the first
 * reading of a file with a writer). */
void list_change_text(char *buf, size_t len, const struct ui *u, const struct entry *e);

/* A short, escaped description of who holds E: "comm[pid] fd3 rw +1", "loop0",
 * "(exited)" for a file only our pin keeps. */
void list_holder_text(char *buf, size_t len, const struct entry *e, const struct model_meta *mm);

#endif
