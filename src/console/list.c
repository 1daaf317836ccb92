/* list: the home screen. See list.h. */
#include "console/list.h"

#include "console/keys.h"
#include "console/orescue.h"
#include "console/progress.h"
#include "find/parse.h"
#include "offline/words.h"
#include "text/esc.h"
#include "text/fmt.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Column widths at 80 columns; the path takes what is left. */
enum { W_MARK = 2, W_SIZE = 6, W_CHANGE = 14, W_HOLD = 20, W_METHOD = 7 };
/* Columns past 80 go to the path, but a third of them (up to this) to the holders. */
enum { W_HOLD_EXTRA_MAX = 12 };
/* Header lines at most for filesystems and for loop warnings. */
enum { FS_LINES_MAX = 3, LOOP_LINES_MAX = 3 };
/* Distinct filesystems the header adds up. */
#define FS_GROUPS_MAX 16

void list_change_text(char *buf, size_t len, const struct ui *u, const struct entry *e)
{
	const struct rate_result *c = &e->change;
	char r[16];

	if (c->cls == CHANGE_RANDOM && c->rate_bps >= 1)
		snprintf(buf, len, "random %s/s", fmt_size(r, sizeof(r), (uint64_t)c->rate_bps));
	else if (c->cls == CHANGE_APPEND && c->growth_bps >= 1)
		snprintf(buf, len, "append %s/s", fmt_size(r, sizeof(r), (uint64_t)c->growth_bps));
	else if (c->cls == CHANGE_UNKNOWN && u->m.sample > 0 && e->pin.fd >= 0 &&
	         scan_entry_writable(e))
		snprintf(buf, len, "sampling");
	else
		snprintf(buf, len, "%s", rate_class_name(c->cls));
}

static const char *acc_name(unsigned acc)
{
	return acc == PARSE_ACC_R ? "r" : acc == PARSE_ACC_W ? "w" : "rw";
}

void list_holder_text(char *buf, size_t len, const struct entry *e, const struct model_meta *mm)
{
	const struct holder *h = e->nholders ? &e->holders[0] : NULL;
	char more[32] = "", *comm;

	if (mm && mm->gone) {
		snprintf(buf, len, "-");
		return;
	}
	if (!h || (mm && mm->orphan)) {
		snprintf(buf, len, "(exited)");
		return;
	}
	if (e->nholders > 1)
		snprintf(more, sizeof(more), " +%zu", e->nholders - 1);
	if (h->type == HOLDER_LOOP) {
		snprintf(buf, len, "%s%s", h->loop_dev + strlen("/dev/"), more);
		return;
	}
	/* comm comes from the process: it may hold anything. */
	comm = esc_display(h->comm ? h->comm : "?", strlen(h->comm ? h->comm : "?"));
	if (h->type == HOLDER_FD)
		snprintf(buf, len, "%s[%d] fd%d %s%s%s", comm ? comm : "?", (int)h->pid, h->fd,
		         acc_name(h->access), h->append ? "a" : "", more);
	else
		snprintf(buf, len, "%s[%d] %s%s", comm ? comm : "?", (int)h->pid,
		         h->exe ? "exe" : "mmap", more);
	free(comm);
}

struct fs_group {
	dev_t dev;
	const char *mountpoint, *fstype;
	size_t files, pinned;
	uint64_t allocated;
};

/* Add up the files shown (the filter applies: the admin sees what the figures
 * count) by filesystem. */
static size_t group_fs(const struct ui *u, struct fs_group *g, size_t max, size_t *more)
{
	const struct model *m = &u->m;
	size_t n = 0;

	*more = 0;
	for (size_t r = 0; r < u->v.n; r++) {
		size_t i = u->v.idx[r];
		const struct entry *e = &m->r.v[i];
		size_t k;

		if (m->meta[i].gone)
			continue;
		for (k = 0; k < n && g[k].dev != e->dev; k++)
			;
		if (k == n) {
			if (n == max) {
				(*more)++;
				continue;
			}
			g[n++] = (struct fs_group){e->dev, e->mountpoint, e->fstype, 0, 0, 0};
		}
		g[k].files++;
		g[k].pinned += e->pin.fd >= 0;
		g[k].allocated += e->allocated;
	}
	return n;
}

/* The scan filter the console was started with, for the title: "only PATH, PATH
 * pid N,N" (names escaped), or "" for the whole machine. */
static void filter_words(const struct console_opts *o, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < o->nonly && used < len; i++) {
		char *s = esc_display(o->only[i], strlen(o->only[i]));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "only ",
		                         s ? s : "?");
		free(s);
	}
	for (size_t i = 0; i < o->npids && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d",
		                         i ? "," : used ? " pid " : "pid ", o->pids[i]);
}

/* The title line: counts, who we are, sort and filter. */
static void draw_title(struct ui *u)
{
	const struct model *m = &u->m;
	size_t live = 0, shown = 0, pinned = 0;
	char line[512], of[32] = "", only[256];

	for (size_t i = 0; i < m->r.n; i++) {
		live += !m->meta[i].gone;
		pinned += m->r.v[i].pin.fd >= 0;
	}
	for (size_t r = 0; r < u->v.n; r++)
		shown += !m->meta[u->v.idx[r]].gone;
	if (u->v.filter[0])
		snprintf(of, sizeof(of), "%zu of ", shown);
	filter_words(u->o, only, sizeof(only));
	snprintf(line, sizeof(line),
	         " rescuetui %s | %s%zu held deleted file%s | pins %zu | %s%s | sort %s%s%s%s",
	         RT_VERSION, of, live, live == 1 ? "" : "s", pinned,
	         m->r.root ? "root" : "NOT root", u->o->readonly ? ", read-only" : "",
	         view_sort_name(u->v.sort), u->v.rev ? " (reversed)" : "", only[0] ? " | " : "",
	         only);
	term_cell(&u->term, 0, 0, COLS, line, false, ROLE_TITLE);
}

/* One line per filesystem: the allocated bytes the files hold there (what df counts
 * and du cannot find) and how many of them we pin. Returns lines drawn. */
static int draw_fs(struct ui *u, int y)
{
	struct fs_group g[FS_GROUPS_MAX];
	size_t more, n = group_fs(u, g, FS_GROUPS_MAX, &more);
	int lines = 0;
	char held[16], line[512], *mp;

	for (size_t k = 0; k < n && lines < FS_LINES_MAX; k++, lines++) {
		if (lines == FS_LINES_MAX - 1 && n > FS_LINES_MAX) {
			snprintf(line, sizeof(line), "  and %zu more filesystems (see t)",
			         n - k + more);
			term_cell(&u->term, y + lines, 0, COLS, line, false, ROLE_NORMAL);
			break;
		}
		mp = esc_display(g[k].mountpoint ? g[k].mountpoint : "(no mount)",
		                 strlen(g[k].mountpoint ? g[k].mountpoint : "(no mount)"));
		snprintf(line, sizeof(line),
		         "  %s (%s): %zu file%s hold %s allocated; pinned %zu%s", mp ? mp : "?",
		         g[k].fstype ? g[k].fstype : "?", g[k].files, g[k].files == 1 ? "" : "s",
		         fmt_size(held, sizeof(held), g[k].allocated), g[k].pinned,
		         g[k].pinned ? " (a pin keeps it busy: U releases)" : "");
		free(mp);
		term_cell(&u->term, y + lines, 0, COLS, line, false, ROLE_NORMAL);
	}
	return lines;
}

/* A warning for every loop device backed by a deleted image: detaching it (or
 * unmounting an autoclear mount) loses the file for good. Returns lines drawn. */
static int draw_loops(struct ui *u, int y)
{
	const struct model *m = &u->m;
	int lines = 0;
	char line[640];

	for (size_t i = 0; i < m->r.n; i++) {
		const struct entry *e = &m->r.v[i];

		for (size_t k = 0; k < e->nholders && !m->meta[i].gone; k++) {
			const struct holder *h = &e->holders[k];
			char *mp;

			if (h->type != HOLDER_LOOP)
				continue;
			if (lines == LOOP_LINES_MAX) {
				term_cell(
				    &u->term, y + lines - 1, 0, COLS,
				    "! more loop devices are backed by deleted images: never detach them (see the detail of each)",
				    false, ROLE_WARN);
				return lines;
			}
			mp = h->loop_mountpoint
			         ? esc_display(h->loop_mountpoint, strlen(h->loop_mountpoint))
			         : NULL;
			snprintf(line, sizeof(line),
			         "! %s holds a deleted image%s%s: never detach it%s", h->loop_dev,
			         mp ? ", mounted on " : "", mp ? mp : "",
			         mp && h->autoclear ? " nor unmount that" : "");
			free(mp);
			term_cell(&u->term, y + lines++, 0, COLS, line, false, ROLE_WARN);
		}
	}
	return lines;
}

static int hold_width(void)
{
	int extra = COLS > TERM_MIN_COLS ? (COLS - TERM_MIN_COLS) / 3 : 0;

	return W_HOLD + (extra > W_HOLD_EXTRA_MAX ? W_HOLD_EXTRA_MAX : extra);
}

static void draw_colhead(struct ui *u, int y)
{
	char line[256];

	snprintf(line, sizeof(line), "%-*s%*s %*s %-*s %-*s %-*s %s", W_MARK, "", W_SIZE, "SIZE",
	         W_SIZE, "ALLOC", W_CHANGE, "CHANGE", hold_width(), "HOLDERS", W_METHOD, "METHOD",
	         "PATH (deleted)");
	term_cell(&u->term, y, 0, COLS, line, false, ROLE_COLHEAD);
}

static void draw_row(struct ui *u, int y, size_t row)
{
	const struct model *m = &u->m;
	size_t i = u->v.idx[row];
	const struct entry *e = &m->r.v[i];
	const struct model_meta *mm = &m->meta[i];
	const struct advice *a = m->adv ? &m->adv[i] : NULL;
	bool sel = row == u->v.sel;
	enum term_role role = sel ? ROLE_SEL : mm->gone ? ROLE_GONE : ROLE_NORMAL;
	char sz[16], al[16], chg[32], hold[128], line[256], tag[64] = "", jt[32];
	int x, wpath;

	fmt_size(sz, sizeof(sz), e->size);
	fmt_size(al, sizeof(al), e->allocated);
	list_change_text(chg, sizeof(chg), u, e);
	list_holder_text(hold, sizeof(hold), e, mm);
	snprintf(line, sizeof(line), "%-*s%*s%s%*s %-*s ", W_MARK, sel ? term_marker(&u->term) : "",
	         W_SIZE - (e->size_known ? 0 : 1), sz, e->size_known ? "" : "+", W_SIZE,
	         e->size_known ? al : "?", W_CHANGE, mm->gone ? "GONE" : chg);
	term_cell(&u->term, y, 0, (int)(W_MARK + W_SIZE + 1 + W_SIZE + 1 + W_CHANGE + 1), line,
	          false, role);
	x = W_MARK + W_SIZE + 1 + W_SIZE + 1 + W_CHANGE + 1;
	term_cell(&u->term, y, x, hold_width() + 1, hold, false, role);
	x += hold_width() + 1;
	term_cell(&u->term, y, x, W_METHOD + 1,
	          mm->gone                  ? "-"
	          : a && a->rec.recommended ? rec_method_name(a->rec.opt[0].method)
	                                    : "none",
	          false, role);
	x += W_METHOD + 1;
	progress_tag(u, e->dev, e->ino, jt, sizeof(jt));
	if (mm->gone)
		snprintf(tag, sizeof(tag), "%s[gone] ", jt);
	else if (mm->released || e->pin.fd < 0)
		snprintf(tag, sizeof(tag), "%s[not pinned] ", jt);
	else if (mm->orphan)
		snprintf(tag, sizeof(tag), "%s[kept by pin] ", jt);
	else
		snprintf(tag, sizeof(tag), "%s", jt);
	wpath = COLS - x;
	term_cell(&u->term, y, x, (int)strlen(tag), tag, false, sel ? ROLE_SEL : ROLE_WARN);
	x += (int)strlen(tag);
	wpath -= (int)strlen(tag);
	term_raw(&u->term, y, x, wpath, e->path, e->path ? e->path_len : 0, true, role);
}

static void draw_empty(struct ui *u, int y)
{
	const char *s = !u->m.ready ? "Scanning /proc and /sys for held deleted files..."
	                : u->m.r.n == 0
	                    ? "No deleted files are held open."
	                    : "No file matches the filter (/ changes it, Esc in it clears it).";

	term_cell(&u->term, y + 1, 2, COLS - 2, s, false, ROLE_NORMAL);
	if (u->m.err < 0) {
		char line[160];
		snprintf(line, sizeof(line), "The last scan failed: %s. r tries again.",
		         strerror(-u->m.err));
		term_cell(&u->term, y + 3, 2, COLS - 2, line, false, ROLE_WARN);
	}
}

/* ---- the offline console: the same list, rows of orphan inodes ---- */

/* Problems of the walk shown above the list at most; the detail has them all. */
enum { OFF_PROB_LINES_MAX = 2 };

static void draw_off_title(struct ui *u)
{
	const struct off_scan *s = &u->off->s;
	char line[512], *d = esc_display(u->off->dev, strlen(u->off->dev));

	snprintf(line, sizeof(line), " rescuetui %s | %zu orphan inode%s | offline: %s (%s)%s%s",
	         RT_VERSION, s->n, s->n == 1 ? "" : "s", d ? d : "?", s->info.fstype,
	         s->deep ? " | inode table walked" : "", u->o->readonly ? " | read-only" : "");
	free(d);
	term_cell(&u->term, 0, 0, COLS, line, false, ROLE_TITLE);
}

/* The device's state: journal, a short image, the problems met. Lines drawn. */
static int draw_off_state(struct ui *u, int y)
{
	const struct off_scan *s = &u->off->s;
	char line[512];
	int lines = 0;

	snprintf(line, sizeof(line), "  %u-byte blocks, %" PRIu32 " inodes; %s", s->info.block_size,
	         s->info.inodes_count,
	         !s->info.journal ? "no journal (no orphan list: the inode table was walked)"
	         : s->info.needs_recovery
	             ? "the journal NEEDS RECOVERY: do not mount or fsck yet (Enter: what it means)"
	             : "journal clean; only read until you relink (l)");
	term_cell(&u->term, y + lines++, 0, COLS, line, false,
	          s->info.needs_recovery ? ROLE_WARN : ROLE_NORMAL);
	if (s->info.short_device)
		term_cell(&u->term, y + lines++, 0, COLS,
		          "! the device is smaller than its filesystem (a truncated image?): what "
		          "lies past its end cannot be read",
		          false, ROLE_WARN);
	for (size_t k = 0; k < s->nprob && k < OFF_PROB_LINES_MAX; k++) {
		snprintf(line, sizeof(line), "! %s%s", s->prob[k].what,
		         k + 1 == OFF_PROB_LINES_MAX && s->nprob > k + 1
		             ? " (and more: see the detail)"
		             : "");
		term_raw(&u->term, y + lines++, 0, COLS, line, strlen(line), false, ROLE_WARN);
	}
	return lines;
}

/* Columns of the orphan rows; the state (data, the action's tag, where it was
 * found, the note) takes what is left. */
enum { W_INO = 8, W_OWNER = 9, W_MTIME = 16 };

static void draw_off_colhead(struct ui *u, int y)
{
	char line[256];

	snprintf(line, sizeof(line), "%-*s%*s %*s %*s %-10s %*s %-*s %s", W_MARK, "", W_INO, "INODE",
	         W_SIZE, "SIZE", W_SIZE, "ALLOC", "MODE", W_OWNER, "UID:GID", W_MTIME, "MTIME (UTC)",
	         "DATA, FOUND IN");
	term_cell(&u->term, y, 0, COLS, line, false, ROLE_COLHEAD);
}

static void draw_off_row(struct ui *u, int y, size_t row)
{
	const struct off_entry *e = &u->off->s.v[row];
	bool sel = row == u->v.sel;
	enum term_role role = sel ? ROLE_SEL : ROLE_NORMAL;
	char tag[48], line[512];
	struct off_cells c;

	off_cells(e, &c);
	orescue_tag(u, e->ino, tag, sizeof(tag));
	snprintf(line, sizeof(line), "%-*s%*" PRIu32 " %*s %*s %-10s %*s %-*s %s%s, %s%s%s", W_MARK,
	         sel ? term_marker(&u->term) : "", W_INO, e->ino, W_SIZE, c.size, W_SIZE, c.alloc,
	         c.mode, W_OWNER, c.owner, W_MTIME, c.mtime, tag, off_blocks_name(e->blocks),
	         off_source_name(e->source), e->note[0] ? ": " : "", e->note);
	term_raw(&u->term, y, 0, COLS, line, strlen(line), false,
	         !sel && e->blocks != OFF_BLOCKS_INTACT ? ROLE_WARN : role);
}

static void off_list_draw(struct ui *u)
{
	const struct off_scan *s = &u->off->s;
	int y = 1, rows;

	draw_off_title(u);
	y += draw_off_state(u, y);
	draw_off_colhead(u, y++);
	rows = LINES - y - 2;
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	view_scroll(&u->v, u->page_rows);
	if (s->n == 0)
		term_cell(&u->term, y + 1, 2, COLS - 2,
		          s->deep
		              ? "No orphan inodes: nothing was deleted while open here, or a "
		                "mount or fsck freed them already."
		              : "No orphan inodes on the orphan list (--deep also walks the inode "
		                "table).",
		          false, ROLE_NORMAL);
	for (int r = 0; r < rows && u->v.top + (size_t)r < u->v.n; r++)
		draw_off_row(u, y + r, u->v.top + (size_t)r);
	keys_draw_bottom(u);
}

void list_draw(struct ui *u)
{
	int y = 1, rows;

	if (u->off) {
		off_list_draw(u);
		return;
	}

	draw_title(u);
	y += draw_fs(u, y);
	y += draw_loops(u, y);
	if (u->term.note[0] || (!u->m.r.root && u->m.ready))
		term_cell(
		    &u->term, y++, 0, COLS,
		    u->term.note[0]
		        ? u->term.note
		        : "not root: only your own processes are seen, and no memory-only mappings or loop devices",
		    false, ROLE_WARN);
	draw_colhead(u, y++);
	rows = LINES - y - 2;
	u->page_rows = rows > 0 ? (size_t)rows : 0;
	view_scroll(&u->v, u->page_rows);
	if (u->v.n == 0)
		draw_empty(u, y);
	for (int r = 0; r < rows && u->v.top + (size_t)r < u->v.n; r++)
		draw_row(u, y + r, u->v.top + (size_t)r);
	keys_draw_bottom(u);
}
