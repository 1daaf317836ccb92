/* reclaim: truncate a held deleted file from the console. See reclaim.h. */
#include "console/reclaim.h"

#include "console/keys.h"
#include "console/page.h"
#include "decide/reclaim.h"
#include "rescue/reclaim.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Judge the entry I again into u->rc. */
static void judge(struct ui *u, long i)
{
	const struct entry *e = &u->m.r.v[i];
	struct reclaim_facts f;

	scan_entry_id(e, u->rc.id, sizeof(u->rc.id));
	reclaim_gather(e, u->rc.id, u->o->log, &f);
	u->rc.verdict = (int)reclaim_judge(&f, u->rc.why, sizeof(u->rc.why));
	u->rc.rescued = f.rescued;
	u->rc.rescued_size = f.rescued_size;
	u->rc.rescued_when = f.rescued_when;
}

int reclaim_open(struct ui *u)
{
	long i = u->v.n && u->v.sel < u->v.n ? (long)u->v.idx[u->v.sel] : -1;

	if (u->o->readonly || i < 0 || u->m.meta[i].gone)
		return 0;
	u->rc = (struct ui_reclaim){.dev = u->m.r.v[i].dev, .ino = u->m.r.v[i].ino};
	judge(u, i);
	if (u->rc.verdict == RECLAIM_REFUSED) {
		snprintf(u->msg, sizeof(u->msg), "will not reclaim: %.200s", u->rc.why);
		return UI_REDRAW;
	}
	u->screen = SCREEN_RECLAIM;
	u->scroll = 0;
	return UI_REDRAW;
}

int reclaim_answer(struct ui *u, bool discard)
{
	long i = model_find(&u->m, u->rc.dev, u->rc.ino);
	struct reclaim_result res;
	char a[16], b[16], c[16];
	int err;

	if (u->rc.done)
		return 0;
	if (i < 0) {
		snprintf(u->msg, sizeof(u->msg), "the file is gone: nothing to reclaim");
		return UI_REDRAW;
	}
	judge(u, i); /* a job may have started meanwhile */
	if (u->rc.verdict == RECLAIM_REFUSED ||
	    (u->rc.verdict == RECLAIM_NEEDS_DISCARD && !discard)) {
		snprintf(u->msg, sizeof(u->msg), "nothing done: %.200s", u->rc.why);
		return UI_REDRAW;
	}
	err = reclaim_truncate(&u->m.r.v[i], &res);
	u->rc.done = true;
	u->rc.ok = err == 0;
	if (err < 0)
		snprintf(u->rc.result, sizeof(u->rc.result), "cannot truncate: %s",
		         err == -ESTALE   ? "the holder's fd no longer is this deleted file"
		         : err == -ENOENT ? "no holder has it open any more"
		                          : strerror(-err));
	else
		snprintf(u->rc.result, sizeof(u->rc.result),
		         "Reclaimed: %s freed (free space %s -> %s); %d keeps its fd %d",
		         fmt_size(a, sizeof(a), res.freed), fmt_size(b, sizeof(b), res.free_before),
		         fmt_size(c, sizeof(c), res.free_after), (int)res.pid, res.fd);
	if (reclaim_log(u->o->log, &u->m.r.v[i], u->rc.id, err == 0 ? res.freed : 0,
	                err == 0 ? "ok" : u->rc.result + strlen("cannot truncate: ")) < 0)
		snprintf(u->msg, sizeof(u->msg), "cannot append to the action log");
	return UI_REDRAW;
}

static void add_holders(struct page *pg, const struct entry *e)
{
	for (size_t k = 0; k < e->nholders; k++) {
		const struct holder *h = &e->holders[k];
		char *c;

		if (h->type != HOLDER_FD || h->others_pin)
			continue;
		c = esc_display(h->comm ? h->comm : "?", h->comm ? strlen(h->comm) : 1);
		page_add(pg, ROLE_NORMAL, "holder   %s[%d] fd %d%s", c ? c : "?", (int)h->pid, h->fd,
		         h->append ? " (appends: goes on writing from 0)" : "");
		free(c);
	}
}

void reclaim_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	int rows = LINES - 3;
	long i = model_find(&u->m, u->rc.dev, u->rc.ino);
	char a[16], b[16], when[32] = "?";

	term_cell(&u->term, 0, 0, COLS, " rescuetui | reclaim: give the space back", false,
	          ROLE_TITLE);
	if (u->rc.done) {
		page_add(&pg, u->rc.ok ? ROLE_GOOD : ROLE_BAD, "%s", u->rc.result);
	} else if (u->rc.verdict == RECLAIM_OK) {
		page_add(&pg, ROLE_HEAD, "Truncate this file to 0 bytes?  y: yes   n, Esc: no (the default)");
	} else {
		page_add(&pg, ROLE_WARN,
		         "Truncate this file to 0 bytes? It was NOT rescued: D discards its data; n, Esc: no");
	}
	if (i >= 0) {
		const struct entry *e = &u->m.r.v[i];
		page_add_raw(&pg, ROLE_NORMAL, "file     ", e->path ? e->path : "",
		             e->path ? e->path_len : 0);
		page_add(&pg, ROLE_NORMAL, "id       %s", u->rc.id);
		page_add(&pg, ROLE_NORMAL, "size     %s, %s allocated", fmt_size(a, sizeof(a), e->size),
		         fmt_size(b, sizeof(b), e->allocated));
		add_holders(&pg, e);
	}
	if (u->rc.rescued) {
		time_t t = (time_t)u->rc.rescued_when;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
		page_add(&pg, ROLE_GOOD, "rescued  yes, verified, %s (%s)", when,
		         fmt_size(a, sizeof(a), u->rc.rescued_size));
	} else {
		page_add(&pg, ROLE_WARN, "rescued  no verified rescue in the action log");
	}
	page_add_raw(&pg, ROLE_NORMAL, "         ", u->rc.why, strlen(u->rc.why));
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &pg, 1, rows, &u->scroll);
	page_free(&pg);
	keys_draw_bottom(u);
}
