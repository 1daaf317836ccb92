/* detail: one file, every fact. See detail.h. */
#include "console/detail.h"

#include "console/keys.h"
#include "console/list.h"
#include "console/page.h"
#include "find/parse.h"
#include "offline/words.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

/* Sparkline levels, lowest first, in characters every console font has. */
static const char spark_levels[] = " .:-=+*#";

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

static void add_pin(struct page *p, const struct entry *e, const struct model_meta *mm)
{
	char a[16], b[16];

	if (mm->released)
		page_add(
		    p, ROLE_WARN,
		    "pin      released by you (u takes it again): the data lives only as long as its holders");
	else if (e->pin.fd < 0)
		page_add(p, ROLE_WARN, "pin      none: the data goes when the last holder lets go");
	else if (e->pin.kind == PIN_LOOPDEV && e->unreadable > 0)
		page_add(
		    p, ROLE_WARN,
		    "pin      loop device only: it shows %s; %lld bytes (the offset before it and the tail past the last whole sector) cannot be read",
		    fmt_size(a, sizeof(a), e->pin.dev_size), (long long)e->unreadable);
	else if (e->pin.kind == PIN_LOOPDEV && (e->unreadable < 0 || !e->size_known))
		page_add(
		    p, ROLE_WARN,
		    "pin      loop device only: it shows %s; the file could not be opened, so its real size is not known: a tail past the last whole sector (up to 511 bytes) cannot be read",
		    fmt_size(a, sizeof(a), e->pin.dev_size));
	else if (e->pin.kind == PIN_LOOPDEV)
		page_add(p, ROLE_NORMAL, "pin      loop device only: it shows %s of %s",
		         fmt_size(a, sizeof(a), e->pin.dev_size), fmt_size(b, sizeof(b), e->size));
	else
		page_add(p, ROLE_GOOD,
		         "pin      %s: the whole file can be read, even after every holder exits",
		         pin_kind_name(e->pin.kind));
	if (mm->orphan)
		page_add(
		    p, ROLE_WARN,
		    "         no holder is left: only this console's pin keeps the data (quitting lets it go)");
	if (mm->gone)
		page_add(p, ROLE_BAD, "         GONE: no scan finds it any more");
}

static void add_holder(struct page *p, const struct holder *h)
{
	char *c = esc_display(h->comm ? h->comm : "?", strlen(h->comm ? h->comm : "?"));
	char *usr = esc_display(h->user ? h->user : "?", strlen(h->user ? h->user : "?"));
	char *mp;

	switch (h->type) {
	case HOLDER_FD:
		page_add(p, ROLE_NORMAL,
		         "  fd    %s[%d] fd %d  access %s%s  position %llu  user %s%s", c ? c : "?",
		         (int)h->pid, h->fd,
		         h->access == PARSE_ACC_R   ? "r"
		         : h->access == PARSE_ACC_W ? "w"
		                                    : "rw",
		         h->append ? " (append)" : "", (unsigned long long)h->pos, usr ? usr : "?",
		         h->other_mntns ? "  (other mount namespace)" : "");
		break;
	case HOLDER_MMAP:
		page_add(p, ROLE_NORMAL, "  mmap  %s[%d] %s%s, %llu bytes mapped  user %s%s",
		         c ? c : "?", (int)h->pid, h->exe ? "its executable" : "mapped",
		         h->map_write ? " shared writable" : "", (unsigned long long)h->map_bytes,
		         usr ? usr : "?", h->other_mntns ? "  (other mount namespace)" : "");
		break;
	case HOLDER_LOOP:
		mp = h->loop_mountpoint
		         ? esc_display(h->loop_mountpoint, strlen(h->loop_mountpoint))
		         : NULL;
		page_add(p, ROLE_NORMAL,
		         "  loop  %s  offset %llu  sizelimit %llu  autoclear %s  %s", h->loop_dev,
		         (unsigned long long)h->offset, (unsigned long long)h->sizelimit,
		         yes(h->autoclear), h->readonly ? "read-only" : "writable");
		if (mp)
			page_add(p, ROLE_WARN,
			         "        its filesystem (%s) is mounted on %s: never detach %s%s",
			         h->loop_fstype ? h->loop_fstype : "?", mp, h->loop_dev,
			         h->autoclear ? " nor unmount it (autoclear detaches it)" : "");
		free(mp);
		break;
	}
	if (h->type != HOLDER_LOOP)
		page_add_raw(p, ROLE_NORMAL,
		             "        command line: ", h->cmdline ? h->cmdline : "(gone)",
		             h->cmdline ? strlen(h->cmdline) : strlen("(gone)"));
	free(c);
	free(usr);
}

static void add_change(struct ui *u, struct page *p, const struct entry *e,
                       const struct model_meta *mm)
{
	const struct rate_result *c = &e->change;
	char chg[32], num[16], line[256] = "", spark[MODEL_HIST + 1] = "";
	double max = 0;

	list_change_text(chg, sizeof(chg), u, e);
	page_add(p, ROLE_HEAD, "Change");
	if (c->seconds > 0)
		page_add(p, ROLE_NORMAL,
		         "  %s  (last sample: %.1f s, %u of %u blocks changed, %llu bytes read)",
		         chg, c->seconds, c->changed, c->k, (unsigned long long)c->bytes_read);
	else
		page_add(p, ROLE_NORMAL, "  %s%s", chg,
		         u->m.sample > 0 ? "" : "  (sampling is off: --sample)");
	for (unsigned k = 0; k < mm->nhist; k++)
		max = mm->hist[k] > max ? mm->hist[k] : max;
	for (unsigned k = 0; k < mm->nhist; k++) {
		size_t lv =
		    max > 0 ? (size_t)(mm->hist[k] / max * (sizeof(spark_levels) - 2) + 0.5) : 0;
		size_t n = strlen(line);
		spark[k] = spark_levels[lv];
		snprintf(line + n, sizeof(line) - n, "%s%s", k ? " " : "",
		         fmt_size(num, sizeof(num), (uint64_t)(mm->hist[k] > 0 ? mm->hist[k] : 0)));
	}
	spark[mm->nhist] = 0;
	if (mm->nhist)
		page_add(p, ROLE_NORMAL, "  last readings, oldest first (bytes/s): %s  [%s]", line,
		         spark);
	page_add(p, ROLE_NORMAL, "%s", "");
}

static void add_methods(struct ui *u, struct page *p, const struct entry *e, const struct advice *a)
{
	const struct target_list *tl = &u->m.tl;
	const struct rec_result *rec = &a->rec;

	page_add(p, ROLE_HEAD, "Methods, best first");
	for (size_t k = 0; k < rec->n; k++) {
		const struct rec_option *o = &rec->opt[k];
		char *mp = o->target >= 0 ? esc_display(tl->v[o->target].mountpoint,
		                                        strlen(tl->v[o->target].mountpoint))
		                          : NULL;
		page_add(p, o->feasible ? ROLE_GOOD : ROLE_NORMAL,
		         "  %zu. %-8s %-13s risk %-6s %s%s", k + 1, rec_method_name(o->method),
		         o->feasible ? "feasible" : "not feasible", rec_risk_name(o->risk),
		         mp ? "to " : "", mp ? mp : "");
		page_add_raw(p, ROLE_NORMAL, "     ", o->reason, strlen(o->reason));
		free(mp);
	}
	if (rec->recommended && rec->opt[0].target >= 0) {
		const struct target *t = &tl->v[rec->opt[0].target];
		struct rec_fit fit;
		char fr[16], af[16], nd[16];
		char *mp = esc_display(t->mountpoint, strlen(t->mountpoint));

		adv_fit(e, a->fsid, t, REC_COPY_BPS_DEFAULT, &fit);
		page_add(p, ROLE_HEAD, "Recommended target");
		page_add(
		    p, ROLE_NORMAL, "  %s (%s): free %s now, about %s after the copy (it needs %s)",
		    mp ? mp : "?", t->fstype ? t->fstype : "?", fmt_size(fr, sizeof(fr), t->avail),
		    fmt_size(af, sizeof(af), t->avail > e->allocated ? t->avail - e->allocated : 0),
		    fmt_size(nd, sizeof(nd), fit.need));
		page_add_raw(p, ROLE_NORMAL, "  ", fit.why, strlen(fit.why));
		free(mp);
	}
	if (rec->freeze_suggested)
		page_add(p, ROLE_NORMAL,
		         "  a consistent copy wants the writers frozen for the last pass");
	if (rec->warning[0])
		page_add_raw(p, ROLE_WARN, "  WARNING: ", rec->warning, strlen(rec->warning));
}

static void build(struct ui *u, struct page *p, long i)
{
	const struct entry *e = &u->m.r.v[i];
	const struct model_meta *mm = &u->m.meta[i];
	char id[64], sz[16], al[16], *mp;

	page_add_raw(p, ROLE_HEAD, "", e->path ? e->path : "(no name)",
	             e->path ? e->path_len : strlen("(no name)"));
	if (e->path_other_ns)
		page_add(p, ROLE_NORMAL,
		         "  (the name as a holder in another mount namespace sees it)");
	page_add(p, ROLE_NORMAL, "id       %s   kind %s", scan_entry_id(e, id, sizeof(id)),
	         scan_kind_name(e->kind));
	page_add(p, ROLE_NORMAL, "size     %s (%llu bytes%s)   allocated %s (%llu bytes)",
	         fmt_size(sz, sizeof(sz), e->size), (unsigned long long)e->size,
	         e->size_known ? "" : ", at least", fmt_size(al, sizeof(al), e->allocated),
	         (unsigned long long)e->allocated);
	mp = esc_display(e->mountpoint ? e->mountpoint : "(kernel-internal)",
	                 strlen(e->mountpoint ? e->mountpoint : "(kernel-internal)"));
	page_add(p, ROLE_NORMAL, "on       %s, %s (device %u:%u)", e->fstype ? e->fstype : "?",
	         mp ? mp : "?", major(e->dev), minor(e->dev));
	free(mp);
	add_pin(p, e, mm);
	page_add(p, ROLE_NORMAL, "%s", "");
	page_add(p, ROLE_HEAD, "Holders (%zu)", e->nholders);
	if (mm->orphan)
		page_add(p, ROLE_NORMAL, "  none left: the processes that held it have exited");
	for (size_t k = 0; k < e->nholders && !mm->orphan; k++)
		add_holder(p, &e->holders[k]);
	page_add(p, ROLE_NORMAL, "%s", "");
	add_change(u, p, e, mm);
	if (u->m.adv && !mm->gone)
		add_methods(u, p, e, &u->m.adv[i]);
}

/* The offline console: every fact --offline --list gives of one orphan inode, the
 * device's state and what it means. */
static void build_orphan(struct ui *u, struct page *p, const struct off_entry *e)
{
	const struct off_scan *s = &u->off->s;
	const char *adv = off_journal_advice(&s->info);
	char sz[16], al[16], mp[16], m[11], when[32] = "?", *d;
	time_t t = (time_t)e->mtime;
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	off_mode_text(e->mode, m);
	page_add(p, ROLE_HEAD, "Orphan inode %" PRIu32 " (deleted while open; found in %s)", e->ino,
	         off_source_name(e->source));
	page_add(p, ROLE_NORMAL,
	         "size     %s (%" PRIu64 " bytes)   allocated %s (%" PRIu64 " bytes)",
	         fmt_size(sz, sizeof(sz), e->size), e->size, fmt_size(al, sizeof(al), e->allocated),
	         e->allocated);
	page_add(p, ROLE_NORMAL, "data     %s mapped (holes excluded)%s",
	         fmt_size(mp, sizeof(mp), e->mapped),
	         e->inline_data ? ", inline in the inode" : "");
	page_add(p, ROLE_NORMAL, "type     %s   mode %s (%04o)   owner uid %u, gid %u",
	         off_type_name(e->mode), m, e->mode & 07777, e->uid, e->gid);
	page_add(p, ROLE_NORMAL, "mtime    %s", when);
	page_add(p, ROLE_NORMAL, "links    %u", e->links);
	page_add(p, e->blocks == OFF_BLOCKS_INTACT ? ROLE_GOOD : ROLE_WARN, "blocks   %s%s%s",
	         off_blocks_name(e->blocks), e->note[0] ? ": " : "", e->note);
	page_add(p, ROLE_NORMAL, "%s", "");
	d = esc_display(u->off->dev, strlen(u->off->dev));
	page_add(p, ROLE_HEAD, "Device");
	page_add(p, ROLE_NORMAL, "  %s: %s, %u-byte blocks, %" PRIu32 " inodes, %s", d ? d : "?",
	         s->info.fstype, s->info.block_size, s->info.inodes_count,
	         !s->info.journal         ? "no journal"
	         : s->info.needs_recovery ? "journal NEEDS RECOVERY"
	                                  : "journal clean");
	free(d);
	if (adv)
		page_add(p, ROLE_WARN, "  %s", adv);
	if (s->info.short_device)
		page_add(p, ROLE_WARN,
		         "  The device is smaller than the filesystem on it (a truncated image?): "
		         "what lies past its end cannot be read.");
	for (size_t k = 0; k < s->nprob; k++)
		page_add_raw(p, ROLE_WARN, "  problem: ", s->prob[k].what, strlen(s->prob[k].what));
	page_add(p, ROLE_NORMAL, "%s", "");
	page_add(p, ROLE_HEAD, "What can be done");
	if (u->o->readonly)
		page_add(p, ROLE_NORMAL, "  here nothing: this console is read-only (--readonly)");
	else
		page_add(
		    p, ROLE_NORMAL,
		    "  c  copy it out to another filesystem: the device is only read (Enter too)");
	if (!u->o->readonly)
		page_add(p, ROLE_NORMAL,
		         "  l  relink it into lost+found: WRITES to the device; then run e2fsck -f "
		         "before mounting");
	page_add(p, ROLE_NORMAL,
	         "  Mounting the filesystem or running fsck frees every orphan: save them first.");
}

void detail_draw(struct ui *u)
{
	struct page p = {.width = (size_t)COLS};
	long i = u->v.n && u->v.sel < u->v.n ? (long)u->v.idx[u->v.sel] : -1;
	int rows = LINES - 3;

	term_cell(&u->term, 0, 0, COLS,
	          u->off ? " rescuetui | offline: detail of the orphan inode"
	                 : " rescuetui | detail of the selected file",
	          false, ROLE_TITLE);
	if (u->off && orph_selected(u->off, &u->v))
		build_orphan(u, &p, orph_selected(u->off, &u->v));
	else if (i < 0 || u->off)
		page_add(&p, ROLE_NORMAL, "No file is selected any more.");
	else
		build(u, &p, i);
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &p, 1, rows, &u->scroll);
	page_free(&p);
	keys_draw_bottom(u);
}
