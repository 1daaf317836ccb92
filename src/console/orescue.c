/* orescue: the offline console's rescue views. See orescue.h. */
#include "console/orescue.h"

#include "console/keys.h"
#include "console/page.h"
#include "console/rescue.h"
#include "decide/dest.h"
#include "offline/relink.h"
#include "offline/words.h"
#include "rescue/log.h"
#include "rescue/plan.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A target left with less than this share free asks for the second key. */
#define LOW_FREE_PERCENT 5
/* Lines of e2fsck's output shown (the CLI shows as many). */
#define FSCK_LINES 12
/* Cells of the progress bar at most. */
#define BAR_MAX 60

/* The entry the picker or confirmation is about, or NULL (it went away). */
static const struct off_entry *pick_entry(const struct ui *u)
{
	for (size_t i = 0; i < u->off->s.n; i++)
		if (u->off->s.v[i].ino == u->pick.ino)
			return &u->off->s.v[i];
	return NULL;
}

/* Is target T the device itself, or (for an image) stored in it? */
static bool on_dev(const struct target *t, const struct stat *dev)
{
	if (S_ISBLK(dev->st_mode))
		return t->dev == dev->st_rdev;
	for (size_t k = 0; k < t->nbacking; k++)
		if (t->backing[k].dev == dev->st_dev && t->backing[k].ino == dev->st_ino)
			return true;
	return false;
}

static bool good_target(const struct target *t, const struct stat *dev, uint64_t need)
{
	return t->answering && !t->readonly && !t->ram && !t->network && !t->doom_loop &&
	       !on_dev(t, dev) && t->avail > need;
}

/* rescued-YYYYMMDD under the writable local target with the most room. */
static void default_field(struct ui *u, const struct off_entry *e)
{
	const struct target *best = NULL;
	struct stat st;
	char day[16];
	time_t now = time(NULL);
	struct tm tm;

	u->pick.field[0] = 0;
	if (stat(u->off->dev, &st) < 0)
		return;
	for (size_t k = 0; k < u->m.tl.n; k++)
		if (good_target(&u->m.tl.v[k], &st, e->mapped) &&
		    (!best || u->m.tl.v[k].avail > best->avail))
			best = &u->m.tl.v[k];
	if (!best)
		return;
	localtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y%m%d", &tm);
	snprintf(u->pick.field, sizeof(u->pick.field), "%s%srescued-%s", best->mountpoint,
	         strcmp(best->mountpoint, "/") ? "/" : "", day);
}

/* Why inode E cannot be relinked here, or NULL. */
static const char *no_relink(const struct ui *u, const struct off_entry *e)
{
	if (u->off->s.info.needs_recovery)
		return "the journal needs recovery: replaying it would undo a relink. Copy it out "
		       "(c) instead";
	if ((e->mode & 0170000) != 0100000)
		return "only a regular file can be relinked";
	/* as off_relink refuses them: asked here, before a name and a confirmation */
	if (e->blocks == OFF_BLOCKS_DAMAGED)
		return "its block map is damaged: copy it out (c) instead";
	if (e->blocks == OFF_BLOCKS_TRUNCATED)
		return "some of its blocks are free already: the name would go to bytes another "
		       "file may own. Copy it out (c) instead";
	return NULL;
}

int orescue_open(struct ui *u, bool relink)
{
	const struct off_entry *e = orph_selected(u->off, &u->v);
	const char *why;

	if (u->o->readonly || !e)
		return 0;
	if (orph_running(u->off)) {
		snprintf(u->msg, sizeof(u->msg),
		         "an action is running (p shows it): one at a time on a device");
		return UI_REDRAW;
	}
	if (relink && (why = no_relink(u, e))) {
		snprintf(u->msg, sizeof(u->msg), "inode %" PRIu32 " cannot be relinked: %s", e->ino,
		         why);
		return UI_REDRAW;
	}
	u->pick = (struct ui_pick){.ino = e->ino, .relink = relink};
	u->back = u->screen;
	if (relink) {
		off_relink_default_name(e->ino, u->pick.field, sizeof(u->pick.field));
		u->screen = SCREEN_NAME;
	} else {
		default_field(u, e);
		u->screen = SCREEN_PICK;
	}
	u->scroll = 0;
	return UI_REDRAW;
}

/* Is DIR on the device (or on a filesystem stored in the image)? 1, 0, or -1 when
 * the device cannot be opened to tell. off_recover refuses it too (-EXDEV); asking
 * here says so before the confirmation. */
static int on_device(struct ui *u, const char *dir)
{
	struct off_fs *fs;
	char why[OFF_WHY_LEN];
	int on;

	if (off_open(u->off->dev, false, &fs, why) < 0)
		return -1;
	on = off_target_on_fs(fs, dir);
	off_close(fs, NULL);
	return on > 0 ? 1 : 0;
}

/* Where the copy goes: a new name in a writable directory off the device. Fills
 * u->pick's dest and target facts, or its err. */
static int place(struct ui *u, const struct off_entry *e)
{
	struct ui_pick *p = &u->pick;
	const struct target *t;
	struct target stand_in;
	char to[PATH_MAX], dir[PATH_MAX];
	size_t n;
	int err, on;

	snprintf(to, sizeof(to), "%s", p->field);
	for (n = strlen(to); n > 1 && to[n - 1] == '/'; n--)
		to[n - 1] = 0;
	err = rescue_make_default_dir(u);
	if (err == 0)
		err = dest_resolve(to, "", 0, e->ino, p->dest, sizeof(p->dest), &p->resume);
	if (err == 0 && p->resume)
		err = -EEXIST;
	if (err == 0) {
		plan_dir_of(p->dest, dir, sizeof(dir));
		err = plan_dest_target(dir, &u->m.tl, &stand_in, &t);
	}
	if (err == -EEXIST) {
		snprintf(
		    p->err, sizeof(p->err),
		    "%.400s exists; rescuetui never overwrites: type a new name or a directory",
		    p->field);
	} else if (err == -ENOENT) {
		snprintf(p->err, sizeof(p->err), "%.400s: no such directory", p->field);
	} else if (err < 0) {
		snprintf(p->err, sizeof(p->err), "cannot write to %.400s: %s", p->field,
		         strerror(-err));
	} else if ((on = on_device(u, dir)) != 0) {
		snprintf(p->err, sizeof(p->err),
		         on > 0 ? "%.300s is on the device itself: the offline mode only reads it; "
		                  "choose another filesystem"
		                : "cannot open the device again to check %.300s",
		         p->field);
		err = -EXDEV;
	} else if (t->readonly || access(dir, W_OK) < 0) {
		snprintf(p->err, sizeof(p->err), "%.400s cannot be written (read-only)", p->field);
		err = -EROFS;
	} else if (t->size && t->avail < e->mapped) {
		snprintf(p->err, sizeof(p->err), "%.400s: not enough room", p->field);
		err = -ENOSPC;
	}
	if (err < 0) {
		rescue_unmake_default_dir(u);
		return err;
	}
	snprintf(p->tmount, sizeof(p->tmount), "%s", t->mountpoint ? t->mountpoint : dir);
	snprintf(p->tfstype, sizeof(p->tfstype), "%s", t->fstype ? t->fstype : "?");
	p->tsize = t->size;
	p->tavail = t->avail;
	p->need = e->mapped;
	p->ram = t->ram;
	p->network = t->network;
	p->low_space = t->size && (t->avail - p->need) * 100 < t->size * LOW_FREE_PERCENT;
	return 0;
}

int orescue_pick_enter(struct ui *u)
{
	const struct off_entry *e = pick_entry(u);

	if (!e) {
		snprintf(u->pick.err, sizeof(u->pick.err),
		         "inode %" PRIu32 " is no orphan any more", (uint32_t)u->pick.ino);
		return UI_REDRAW;
	}
	if (!u->pick.field[0]) {
		snprintf(u->pick.err, sizeof(u->pick.err), "type a directory or a new file name");
		return UI_REDRAW;
	}
	if (place(u, e) < 0)
		return UI_REDRAW;
	u->screen = SCREEN_CONFIRM;
	u->scroll = 0;
	return UI_REDRAW;
}

int orescue_name_key(struct ui *u, int ch)
{
	return ch == '\t' ? -1 : rescue_field_key(u, ch);
}

/* Is NAME the default name of INO (leading slashes aside)? The engine is then given
 * none, as --relink without --name: it makes lost+found when it is missing. */
static bool default_name(uint32_t ino, const char *name)
{
	char def[64];

	off_relink_default_name(ino, def, sizeof(def));
	return strcmp(name + strspn(name, "/"), def) == 0;
}

int orescue_name_enter(struct ui *u)
{
	struct ui_pick *p = &u->pick;
	const char *name = p->field + strspn(p->field, "/");
	bool def = default_name((uint32_t)p->ino, p->field);
	char why[OFF_WHY_LEN] = "";
	struct off_fs *fs;
	int err;

	if (!pick_entry(u)) {
		snprintf(p->err, sizeof(p->err), "inode %" PRIu32 " is no orphan any more",
		         (uint32_t)p->ino);
		return UI_REDRAW;
	}
	/* The same check as the relink's own, on the device opened read-only. */
	err = off_open(u->off->dev, false, &fs, why);
	if (err < 0) {
		snprintf(p->err, sizeof(p->err),
		         "cannot open the device again to check the name: %s",
		         why[0] ? why : strerror(-err));
		return UI_REDRAW;
	}
	err = off_relink_check(fs, (uint32_t)p->ino, def ? NULL : p->field, why);
	off_close(fs, NULL);
	if (err < 0) {
		snprintf(p->err, sizeof(p->err), "%s%s", why[0] ? why : strerror(-err),
		         err == -EEXIST ? "; type another name" : "");
		return UI_REDRAW;
	}
	snprintf(p->dest, sizeof(p->dest), "%s", def ? "" : name);
	p->err[0] = 0;
	u->screen = SCREEN_CONFIRM;
	u->scroll = 0;
	return UI_REDRAW;
}

int orescue_confirm_go(struct ui *u)
{
	struct ui_pick *p = &u->pick;
	int err =
	    orph_start(u->off, p->relink ? OJOB_RELINK : OJOB_COPY, p->ino, p->dest, u->m.wake_fd);

	if (err < 0) {
		snprintf(u->msg, sizeof(u->msg), "cannot start: %s",
		         err == -EBUSY ? "an action is running" : strerror(-err));
		return UI_REDRAW;
	}
	p->made[0] = 0; /* the directory is the result's now */
	u->screen = SCREEN_JOB;
	u->scroll = 0;
	return UI_REDRAW;
}

int orescue_confirm_yes(struct ui *u)
{
	char *d;

	if (!u->pick.relink && !u->pick.low_space)
		return orescue_confirm_go(u);
	d = esc_display(u->off->dev, strlen(u->off->dev));
	if (u->pick.relink)
		snprintf(u->msg, sizeof(u->msg),
		         "Press ! to relink: it WRITES to %.150s (not Enter; anything else: no).",
		         d ? d : "the device");
	else
		snprintf(u->msg, sizeof(u->msg),
		         "Press ! to go ahead (not Enter; anything else: no). Extra risk: the "
		         "target is left with less than 5%% free.");
	free(d);
	u->ask = ASK_RISK;
	return UI_REDRAW;
}

int orescue_confirm_no(struct ui *u)
{
	rescue_unmake_default_dir(u);
	snprintf(u->msg, sizeof(u->msg), "nothing done");
	u->screen = u->pick.relink ? SCREEN_NAME : SCREEN_PICK;
	return UI_REDRAW;
}

int orescue_ask_cancel(struct ui *u)
{
	if (!orph_running(u->off))
		return 0;
	if (u->off->job->kind != OJOB_COPY) {
		snprintf(u->msg, sizeof(u->msg),
		         "a relink is not stopped half-way: it ends in a moment");
		return UI_REDRAW;
	}
	snprintf(u->msg, sizeof(u->msg), "Cancel this copy? The .partial is removed. y/N");
	u->ask = ASK_CANCEL_JOB;
	return UI_REDRAW;
}

int orescue_cancel(struct ui *u)
{
	snprintf(u->msg, sizeof(u->msg), "%s",
	         orph_cancel(u->off) ? "cancelling..." : "nothing to cancel");
	return UI_REDRAW;
}

int orescue_show_job(struct ui *u)
{
	const struct off_entry *e = orph_selected(u->off, &u->v);
	const struct ojob *j = u->off->job;

	if (!j || (e && e->ino != j->ino && orph_ended(j))) {
		snprintf(u->msg, sizeof(u->msg), "no action for this inode (c copies, l relinks)");
		return UI_REDRAW;
	}
	u->screen = SCREEN_JOB;
	u->scroll = 0;
	return UI_REDRAW;
}

static int percent(uint64_t done, uint64_t total)
{
	return total ? (int)(done * 100 / total) : 0;
}

void orescue_tag(const struct ui *u, uint32_t ino, char *buf, size_t len)
{
	const struct ojob *j = u->off->job;

	buf[0] = 0;
	if (!j || j->ino != ino)
		return;
	if (!orph_ended(j))
		snprintf(buf, len, "[%s %d%%] ", j->kind == OJOB_COPY ? "copy" : "relink",
		         percent(atomic_load(&j->done), atomic_load(&j->total)));
	else if (!j->ok)
		snprintf(buf, len, "[%s] ", j->err == -ECANCELED ? "cancelled" : "failed");
	else
		snprintf(buf, len, "[%s] ",
		         j->kind == OJOB_RELINK ? "relinked"
		         : j->copy.verified     ? "verified"
		                                : "copied");
}

/* The targets the picker offers: free space, and which cannot be used and why. */
static void add_targets(struct ui *u, struct page *pg, const struct off_entry *e)
{
	struct stat st;
	bool have = stat(u->off->dev, &st) == 0;

	page_add(pg, ROLE_HEAD, "Targets (another filesystem: the device is only read)");
	for (size_t k = 0; k < u->m.tl.n; k++) {
		const struct target *t = &u->m.tl.v[k];
		char fr[16], *mp = esc_display(t->mountpoint, strlen(t->mountpoint));
		bool dev = have && on_dev(t, &st);
		bool fits = t->avail > e->mapped;

		page_add(pg, !dev && fits && !t->readonly && t->answering ? ROLE_GOOD : ROLE_BAD,
		         "  %s (%s, %s free): %s%s%s%s", mp ? mp : "?", t->fstype ? t->fstype : "?",
		         fmt_size(fr, sizeof(fr), t->avail),
		         dev             ? "the device itself: never"
		         : !t->answering ? "not answering"
		         : t->readonly   ? "read-only"
		         : fits          ? "fits"
		                         : "does not fit",
		         t->ram ? "; RAM-backed: gone at power-off" : "",
		         t->network ? "; network: slow, and it may go away" : "",
		         t->doom_loop ? "; on a deleted loop image: never" : "");
		free(mp);
	}
}

/* "inode 12, 3.0M (340K of data), intact" */
static void add_source(struct page *pg, const struct off_entry *e, const char *dev)
{
	char sz[16], mp[16];

	page_add_raw(pg, ROLE_HEAD, "Device: ", dev, strlen(dev));
	page_add(pg, ROLE_NORMAL, "inode    %" PRIu32 ", %s (%s of data), %s%s%s", e->ino,
	         fmt_size(sz, sizeof(sz), e->size), fmt_size(mp, sizeof(mp), e->mapped),
	         off_blocks_name(e->blocks), e->note[0] ? ": " : "", e->note);
	if (e->blocks == OFF_BLOCKS_TRUNCATED)
		page_add(pg, ROLE_WARN,
		         "warning  some of its blocks are free already: the copy may hold zeros or "
		         "another file's bytes there");
}

/* Below the title: the page PG (freed here), then HEAD, the field as typed (term_raw
 * escapes it, like every name), its error line and the keys. */
static void draw_with_field(struct ui *u, struct page *pg, const char *head)
{
	int rows = LINES - 6;
	char line[PATH_MAX + 64];

	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, pg, 1, rows, &u->scroll);
	page_free(pg);
	term_cell(&u->term, LINES - 5, 0, COLS, head, false, ROLE_HEAD);
	snprintf(line, sizeof(line), "> %s_", u->pick.field);
	term_raw(&u->term, LINES - 4, 0, COLS, line, strlen(line), true, ROLE_NORMAL);
	term_raw(&u->term, LINES - 3, 0, COLS, u->pick.err, strlen(u->pick.err), false, ROLE_BAD);
	keys_draw_bottom(u);
}

void orescue_pick_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	const struct off_entry *e = pick_entry(u);

	term_cell(&u->term, 0, 0, COLS, " rescuetui | offline: copy an orphan out: target", false,
	          ROLE_TITLE);
	if (e) {
		add_source(&pg, e, u->off->dev);
		page_add(&pg, ROLE_NORMAL,
		         "method   copy: its data runs only (holes stay holes), hashed, written as "
		         ".partial, read back and compared, then renamed");
		add_targets(u, &pg, e);
	} else {
		page_add(&pg, ROLE_BAD, "inode %" PRIu32 " is no orphan any more",
		         (uint32_t)u->pick.ino);
	}
	draw_with_field(u, &pg,
	                "Target: a directory or new file name on another filesystem (Tab, ^U, Enter)");
}

void orescue_name_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	const struct off_entry *e = pick_entry(u);
	char def[64], *d = esc_display(u->off->dev, strlen(u->off->dev));

	term_cell(&u->term, 0, 0, COLS, " rescuetui | offline: relink: the name", false,
	          ROLE_TITLE);
	if (e) {
		add_source(&pg, e, u->off->dev);
		page_add(
		    &pg, ROLE_NORMAL,
		    "name     the name the file gets on %s, relative to its root; the directory must exist (lost+found is made when missing) and the name must be new",
		    d ? d : "the device");
		off_relink_default_name(e->ino, def, sizeof(def));
		page_add(&pg, ROLE_NORMAL, "default  %s", def);
		page_add(&pg, ROLE_NORMAL,
		         "then     the confirmation (y, then !): the relink WRITES to the device");
	} else {
		page_add(&pg, ROLE_BAD, "inode %" PRIu32 " is no orphan any more",
		         (uint32_t)u->pick.ino);
	}
	free(d);
	draw_with_field(u, &pg,
	                "Name: from the device's root; its directory must exist (^U, Enter; Esc: back)");
}

static void confirm_copy(struct ui *u, struct page *pg)
{
	struct ui_pick *p = &u->pick;
	char a[16], b[16], c[16], *dst = esc_display(p->dest, strlen(p->dest));

	page_add(pg, ROLE_HEAD, "Copy this orphan out?  y: yes   n, Esc: no (the default)%s",
	         p->low_space ? "   (extra risk: y, then !)" : "");
	page_add(pg, ROLE_NORMAL, "method   offline copy (the device is only read)");
	page_add(pg, ROLE_NORMAL, "target   %s", dst ? dst : "?");
	page_add(pg, p->low_space ? ROLE_WARN : ROLE_NORMAL,
	         "space    needs %s; %s free now, %s left after", fmt_size(a, sizeof(a), p->need),
	         fmt_size(b, sizeof(b), p->tavail),
	         fmt_size(c, sizeof(c), p->tavail > p->need ? p->tavail - p->need : 0));
	if (p->ram)
		page_add(pg, ROLE_WARN,
		         "warning  the target is RAM-backed: the result is gone at power-off");
	if (p->network)
		page_add(pg, ROLE_WARN, "warning  the target is a network filesystem");
	if (p->low_space)
		page_add(pg, ROLE_WARN, "EXTRA RISK: the target is left with less than 5%% free");
	free(dst);
}

static void confirm_relink(struct ui *u, struct page *pg)
{
	char *d = esc_display(u->off->dev, strlen(u->off->dev));
	char cmd[PATH_MAX + 64], name[PATH_MAX + 1], *c, *n;

	off_fsck_command(u->off->dev, cmd, sizeof(cmd));
	c = esc_display(cmd, strlen(cmd));
	name[0] = '/';
	if (u->pick.dest[0])
		snprintf(name + 1, sizeof(name) - 1, "%s", u->pick.dest);
	else
		off_relink_default_name((uint32_t)u->pick.ino, name + 1, sizeof(name) - 1);
	n = esc_display(name, strlen(name));
	page_add(pg, ROLE_HEAD,
	         "Relink this orphan?  y, then ! (never Enter): yes   n, Esc: no (the default)");
	page_add(pg, ROLE_WARN,
	         "This WRITES to %s: a directory entry, the inode's link count, the orphan list.",
	         d ? d : "?");
	page_add(pg, ROLE_NORMAL,
	         "name     %s (1 link, off the orphan list: the next mount or fsck keeps it)",
	         n ? n : "?");
	page_add(pg, ROLE_NORMAL,
	         "then     e2fsck -fn checks the result (read-only) and its verdict is shown");
	page_add(pg, ROLE_NORMAL, "before   mounting, run: %s", c ? c : "?");
	page_add(pg, ROLE_NORMAL,
	         "         Copy it out first (n, Esc, then c) if in doubt: that only reads.");
	free(d);
	free(c);
	free(n);
}

void orescue_confirm_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	const struct off_entry *e = pick_entry(u);
	int rows = LINES - 3;

	term_cell(&u->term, 0, 0, COLS,
	          u->pick.relink ? " rescuetui | offline: relink: confirm"
	                         : " rescuetui | offline: copy out: confirm",
	          false, ROLE_TITLE);
	if (e)
		add_source(&pg, e, u->off->dev);
	if (u->pick.relink)
		confirm_relink(u, &pg);
	else
		confirm_copy(u, &pg);
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &pg, 1, rows, &u->scroll);
	page_free(&pg);
	keys_draw_bottom(u);
}

static void add_running(struct page *pg, struct ojob *j)
{
	uint64_t done = atomic_load(&j->done), total = atomic_load(&j->total);
	char bar[BAR_MAX + 3], a[16], b[16];
	int w = (int)pg->width - 10, fill;

	if (j->kind == OJOB_RELINK) {
		page_add(pg, ROLE_NORMAL, "relinking, then e2fsck -fn (read-only)...");
		return;
	}
	w = w > BAR_MAX ? BAR_MAX : w < 10 ? 10 : w;
	fill = total ? (int)((double)done / (double)total * w) : 0;
	bar[0] = '[';
	for (int k = 0; k < w; k++)
		bar[1 + k] = k < fill ? '#' : '.';
	bar[w + 1] = ']';
	bar[w + 2] = 0;
	page_add(pg, ROLE_GOOD, "%s %3d%%", bar, percent(done, total));
	page_add(pg, ROLE_NORMAL, "bytes    %s / %s", fmt_size(a, sizeof(a), done),
	         fmt_size(b, sizeof(b), total));
	page_add(pg, ROLE_NORMAL, "%s", "");
	page_add(pg, ROLE_NORMAL,
	         "x: cancel (asks)   b, Esc: to the background (the list shows its state)");
}

static void add_lines(struct page *pg, const char *head, char lines[][AFTER_LEN], size_t n)
{
	if (n)
		page_add(pg, ROLE_HEAD, "%s", head);
	for (size_t k = 0; k < n; k++)
		page_add_raw(pg, ROLE_NORMAL, "  - ", lines[k], strlen(lines[k]));
}

static void add_copy_result(struct page *pg, struct ojob *j)
{
	const char *res = j->copy.final_path[0] ? j->copy.final_path : j->dest;
	char sz[16];

	if (j->ok)
		page_add(pg, ROLE_GOOD, "Rescued: %s",
		         j->copy.verified ? "verified (the copy reads back as what was read)"
		                          : "NOT verified");
	else
		page_add(pg, ROLE_BAD, "Not rescued (%s)",
		         j->err == -ECANCELED ? "cancelled" : "failed");
	if (j->why[0])
		page_add_raw(pg, ROLE_BAD, "why      ", j->why, strlen(j->why));
	page_add_raw(pg, ROLE_NORMAL, "result   ", j->ok || j->copy.final_path[0] ? res : "(none)",
	             strlen(j->ok || j->copy.final_path[0] ? res : "(none)"));
	if (j->ok)
		page_add(pg, ROLE_NORMAL, "size     %s (%" PRIu64 " bytes; %" PRIu64 " of data)",
		         fmt_size(sz, sizeof(sz), j->copy.size), j->copy.size,
		         j->copy.bytes_written);
	add_lines(pg, "Next", j->lines, j->nlines);
}

static void add_fsck(struct page *pg, struct ojob *j)
{
	const char *line = j->fsck_out;
	int shown = 0;

	if (j->fsck == 0) {
		page_add(pg, ROLE_GOOD, "e2fsck -fn: clean.");
		return;
	}
	if (j->fsck < 0) {
		page_add(pg, ROLE_BAD, "e2fsck -fn could not run (%s): run it yourself.",
		         strerror(-j->fsck));
		return;
	}
	page_add(pg, ROLE_WARN, "e2fsck -fn exited %d (it changed nothing)%s; it said:", j->fsck,
	         j->rel.remaining ? ", as expected while other orphans are on the list: it "
	                            "cannot release them read-only"
	                          : "");
	while (*line && shown++ < FSCK_LINES) {
		size_t n = strcspn(line, "\n");
		page_add_raw(pg, ROLE_NORMAL, "    ", line, n);
		line += n + (line[n] == '\n');
	}
	if (*line)
		page_add(pg, ROLE_NORMAL, "    ...");
}

static void add_relink_result(struct page *pg, struct ojob *j)
{
	char *c = esc_display(j->fsck_cmd, strlen(j->fsck_cmd)), *p;

	if (!j->ok) {
		page_add(pg, ROLE_BAD, "Not relinked (failed): nothing was written");
		page_add_raw(pg, ROLE_BAD, "why      ", j->why, strlen(j->why));
		free(c);
		return;
	}
	p = esc_display(j->rel.path, strlen(j->rel.path));
	page_add(pg, ROLE_GOOD, "Relinked: inode %" PRIu32 " is %s now (1 link%s)", j->ino,
	         p ? p : "?",
	         j->rel.from_list          ? ", off the orphan list"
	         : j->rel.from_orphan_file ? ", out of the orphan file"
	                                   : "");
	free(p);
	add_fsck(pg, j);
	page_add(pg, ROLE_HEAD, "Next");
	if (j->rel.remaining)
		page_add(pg, ROLE_NORMAL,
		         "  - %zu other orphans are still there and e2fsck -f will free them: copy "
		         "out or relink the ones you want first.",
		         j->rel.remaining);
	page_add(pg, ROLE_WARN, "  - Before mounting, run: %s", c ? c : "?");
	free(c);
}

void orescue_job_draw(struct ui *u)
{
	struct page pg = {.width = (size_t)COLS};
	struct ojob *j = u->off->job;
	int rows = LINES - 3;
	char title[128], def[PATH_MAX];
	const char *log = u->o->log;
	bool ended;

	if (!j) {
		keys_draw_bottom(u);
		return;
	}
	ended = orph_ended(j);
	snprintf(title, sizeof(title), " rescuetui | offline %s: %s",
	         j->kind == OJOB_COPY ? "copy" : "relink", ended ? "result" : "progress");
	term_cell(&u->term, 0, 0, COLS, title, false, ROLE_TITLE);
	page_add_raw(&pg, ROLE_HEAD, "Device: ", j->dev, strlen(j->dev));
	page_add(&pg, ROLE_HEAD, "Inode:  %" PRIu32, j->ino);
	if (j->kind == OJOB_COPY)
		page_add_raw(&pg, ROLE_HEAD, "To:     ", j->dest, strlen(j->dest));
	if (!ended) {
		add_running(&pg, j);
	} else {
		if (j->kind == OJOB_COPY)
			add_copy_result(&pg, j);
		else
			add_relink_result(&pg, j);
		page_add(&pg, ROLE_NORMAL, "time     %.1f s",
		         (double)(j->t1_ms - j->t0_ms) / 1000.0);
		if (!log)
			log = rlog_default_path(def, sizeof(def)) == 0
			          ? def
			          : "(none: no home directory)";
		page_add_raw(&pg, j->log_err ? ROLE_BAD : ROLE_NORMAL, "log      ", log,
		             strlen(log));
		if (j->log_err)
			page_add(&pg, ROLE_BAD, "         (could not be written: %s)",
			         strerror(-j->log_err));
	}
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	page_draw(&u->term, &pg, 1, rows, &u->scroll);
	page_free(&pg);
	keys_draw_bottom(u);
}
