/* page: scrolled lines for the detail, targets and help views. See page.h. */
#include "console/page.h"

#include "text/esc.h"

#include <curses.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* Columns a wrapped line's continuation is indented by, past the first line's own
 * indentation. */
#define WRAP_INDENT 2

static void push(struct page *p, enum term_role role, char *text)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct page_line *v = realloc(p->v, cap * sizeof(*v));
		if (!v) {
			free(text);
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct page_line){role, text};
}

/* Bytes of S that fit in WIDTH columns, at a character boundary (at least one
 * character, so a line always moves on). */
static size_t fit_bytes(const char *s, size_t width)
{
	mbstate_t st;
	size_t off = 0, cols = 0;

	memset(&st, 0, sizeof(st));
	while (s[off]) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s + off, strlen(s + off), &st);
		int w;

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			n = 1;
			w = 1;
			memset(&st, 0, sizeof(st));
		} else {
			w = wcwidth(wc);
			w = w < 0 ? 1 : w;
		}
		if (cols + (size_t)w > width && off > 0)
			break;
		cols += (size_t)w;
		off += n;
	}
	return off;
}

/* Where to break S within its first N bytes: after the last space in the second
 * half, so that words stay whole; N when there is none (or the rest fits). */
static size_t break_at(const char *s, size_t n)
{
	if (!s[n])
		return n;
	for (size_t i = n; i > n / 2; i--)
		if (s[i - 1] == ' ')
			return i;
	return n;
}

/* Split escaped TEXT (taken over) into lines of P->width columns. */
static void add_wrapped(struct page *p, enum term_role role, char *text)
{
	const char *s = text;
	size_t lead = strspn(text, " "), ind = 0;

	if (!p->width || esc_width(text) <= p->width) {
		push(p, role, text);
		return;
	}
	/* Continuation lines go under the text of the first, a little further in. */
	if (lead + WRAP_INDENT < p->width / 2)
		lead += WRAP_INDENT;
	else
		lead = WRAP_INDENT;
	while (*s) {
		size_t n = break_at(s, fit_bytes(s, p->width - ind));
		char *line = malloc(n + ind + 1);

		if (line) {
			memset(line, ' ', ind);
			memcpy(line + ind, s, n);
			line[ind + n] = 0;
			push(p, role, line);
		}
		s += n;
		s += strspn(s, " "); /* no blank at the start of a line */
		ind = lead;
	}
	free(text);
}

void page_add(struct page *p, enum term_role role, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n >= 0)
		add_wrapped(p, role, s);
}

void page_add_raw(struct page *p, enum term_role role, const char *prefix, const char *raw,
                  size_t len)
{
	char *e = esc_display(raw ? raw : "", raw ? len : 0);

	if (e)
		page_add(p, role, "%s%s", prefix, e);
	free(e);
}

void page_draw(const struct tty *t, const struct page *p, int y, int rows, size_t *scroll)
{
	if (rows <= 0)
		return;
	if (*scroll + (size_t)rows > p->n)
		*scroll = p->n > (size_t)rows ? p->n - (size_t)rows : 0;
	for (int i = 0; i < rows; i++) {
		size_t k = *scroll + (size_t)i;
		term_cell(t, y + i, 0, COLS, k < p->n ? p->v[k].text : "", false,
		          k < p->n ? p->v[k].role : ROLE_NORMAL);
	}
}

void page_free(struct page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].text);
	free(p->v);
	memset(p, 0, sizeof(*p));
}
