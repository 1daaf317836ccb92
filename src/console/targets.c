/* targets: where a copy could go. See targets.h. */
#include "console/targets.h"

#include "console/keys.h"
#include "console/page.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What T is, in words: "read-only RAM network". */
static void notes(char *buf, size_t len, const struct target *t)
{
	snprintf(buf, len, "%s%s%s", t->readonly ? "read-only " : "", t->ram ? "RAM " : "",
	         t->network ? "network " : "");
}

/* For the selected file E: fits or not and why, same filesystem, reflink. */
static void add_fit(struct ui *u, struct page *p, const struct target *t, const struct entry *e,
                    const struct advice *a)
{
	struct rec_fit fit;
	bool same = adv_same_fs(t, e, a ? a->fsid : 0);
	bool reflink = same && t->reflink == 1 && e->pin.fd >= 0 && e->pin.kind != PIN_LOOPDEV;

	(void)u;
	adv_fit(e, a ? a->fsid : 0, t, REC_COPY_BPS_DEFAULT, &fit);
	page_add(p, fit.fits && !t->readonly ? ROLE_GOOD : ROLE_BAD, "    %s%s%s%s",
	         t->readonly ? "cannot be written (read-only)"
	         : fit.fits  ? "fits"
	                     : "does not fit",
	         same ? "; the file's own filesystem" : "",
	         reflink ? "; reflink possible (instant, no space)" : "",
	         t->ram ? "; RAM: gone at power-off" : "");
	page_add_raw(p, ROLE_NORMAL, "    ", fit.why, strlen(fit.why));
}

static void build(struct ui *u, struct page *p)
{
	const struct target_list *tl = &u->m.tl;
	long i = u->v.n && u->v.sel < u->v.n ? (long)u->v.idx[u->v.sel] : -1;
	const struct entry *e = i >= 0 && !u->m.meta[i].gone ? &u->m.r.v[i] : NULL;

	if (e)
		page_add_raw(p, ROLE_HEAD, "For: ", e->path ? e->path : "(no name)",
		             e->path ? e->path_len : strlen("(no name)"));
	else
		page_add(p, ROLE_HEAD, "No file selected: the filesystems alone");
	page_add(p, ROLE_COLHEAD, "%-10s %7s %7s %-8s %-18s %s", "FSTYPE", "SIZE", "FREE",
	         "REFLINK", "NOTES", "MOUNTPOINT");
	if (tl->n == 0)
		page_add(p, ROLE_NORMAL, "No filesystem is mounted that a copy could go to.");
	for (size_t k = 0; k < tl->n; k++) {
		const struct target *t = &tl->v[k];
		char sz[16], fr[16], nt[64];
		char *mp = esc_display(t->mountpoint, strlen(t->mountpoint));

		notes(nt, sizeof(nt), t);
		page_add(p, ROLE_NORMAL, "%-10.10s %7s %7s %-8s %-18s %s",
		         t->fstype ? t->fstype : "?", fmt_size(sz, sizeof(sz), t->size),
		         fmt_size(fr, sizeof(fr), t->avail),
		         t->reflink == 1   ? "yes"
		         : t->reflink == 0 ? "no"
		                           : "untested",
		         nt, mp ? mp : "?");
		free(mp);
		if (e)
			add_fit(u, p, t, e, u->m.adv ? &u->m.adv[i] : NULL);
	}
}

void targets_draw(struct ui *u)
{
	struct page p = {.width = (size_t)COLS};
	int rows = LINES - 3;

	term_cell(&u->term, 0, 0, COLS, " rescuetui | targets: where a copy could go", false,
	          ROLE_TITLE);
	build(u, &p);
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &p, 1, rows, &u->scroll);
	page_free(&p);
	keys_draw_bottom(u);
}
