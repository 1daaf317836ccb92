/* page: lines of text for the views that scroll (detail, targets, help). A page is
 * built anew on every draw, from the model as it is then. */
#ifndef RT_CONSOLE_PAGE_H
#define RT_CONSOLE_PAGE_H

#include "console/term.h"

#include <stddef.h>

struct page_line {
	enum term_role role;
	char *text; /* escaped: safe to draw */
};

struct page {
	struct page_line *v;
	size_t n, cap;
	size_t width; /* columns to wrap at */
};

/* Add a line from a printf format. Everything FMT inserts must already be escaped
 * (esc_display) or be the program's own text. Long lines are wrapped at P->width,
 * the rest indented by two columns. Out of memory drops the line. */
void page_add(struct page *p, enum term_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add PREFIX (own text) followed by LEN raw bytes from the system, escaped, wrapped. */
void page_add_raw(struct page *p, enum term_role role, const char *prefix, const char *raw,
                  size_t len);

/* Draw ROWS lines from *SCROLL (clamped so the page never scrolls past its end) at
 * line Y. */
void page_draw(const struct tty *t, const struct page *p, int y, int rows, size_t *scroll);

void page_free(struct page *p);

#endif
