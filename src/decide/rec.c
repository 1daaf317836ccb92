/* rec: the recommendation. See rec.h. */
#include "decide/rec.h"

#include "text/shq.h"

#include "text/fmt.h"
#include "find/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const method_names[REC_NMETHODS] = {"relink", "reflink", "follow",
                                                       "sync",   "copy",    "debugfs"};

const char *rec_method_name(enum rec_method m)
{
	return m < REC_NMETHODS ? method_names[m] : "?";
}

const char *rec_risk_name(enum rec_risk r)
{
	return r == RISK_LOW ? "low" : r == RISK_MEDIUM ? "medium" : "high";
}

int rec_method_parse(const char *s)
{
	for (int i = 0; i < REC_NMETHODS; i++)
		if (strcmp(s, method_names[i]) == 0)
			return i;
	return -1;
}

/* fmt_size into one of a few rotating buffers, so several fit in one printf. The
 * buffers are each thread's own: the console's screen and its scanner, or the two
 * writers of a long report, decide at the same time. */
static const char *sz(uint64_t v)
{
	static _Thread_local char bufs[8][16];
	static _Thread_local unsigned next;
	char *b = bufs[next++ % 8];

	return fmt_size(b, sizeof(bufs[0]), v);
}

static void say(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, len, fmt, ap);
	va_end(ap);
}

/* What a copy occupies: a sparse-aware copy allocates what the source does. A file
 * seen only through a loop device has no known allocation: count its size. */
static uint64_t data_bytes(const struct rec_file *f)
{
	return f->allocated ? f->allocated : f->size;
}

void rec_fit(const struct rec_file *f, const struct rec_target *t, double copy_bps,
             struct rec_fit *out)
{
	uint64_t data = data_bytes(f), margin = data / 50;
	double secs;

	memset(out, 0, sizeof(*out));
	if (margin < REC_MARGIN_MIN)
		margin = REC_MARGIN_MIN;
	out->need = data + margin;
	if (t->unusable[0]) {
		say(out->why, sizeof(out->why), "%s: %s", t->mountpoint, t->unusable);
		return;
	}
	if (t->readonly) {
		say(out->why, sizeof(out->why), "%s is read-only", t->mountpoint);
		return;
	}
	if (t->same_fs) {
		secs = copy_bps > 0 ? (double)data / copy_bps : 0;
		out->keep_free = t->size / 10;
		if (f->growth_bps > 0 && f->growth_bps * secs > (double)out->keep_free)
			out->keep_free = fmt_u64_of(f->growth_bps * secs);
	}
	out->fits = t->avail >= out->need + out->keep_free;
	if (t->same_fs)
		say(out->why, sizeof(out->why),
		    "needs %s (%s data + %s margin) and must leave %s free for the live writer; %s free",
		    sz(out->need), sz(data), sz(margin), sz(out->keep_free), sz(t->avail));
	else
		say(out->why, sizeof(out->why), "needs %s (%s data + %s margin); %s free",
		    sz(out->need), sz(data), sz(margin), sz(t->avail));
}

/* Preference among fitting copy targets: another local disk, then network, then the
 * file's own filesystem, then RAM (lost at reboot); more free space first. */
static int target_rank(const struct rec_target *t)
{
	if (t->ram)
		return 3;
	if (t->same_fs)
		return 2;
	if (t->network)
		return 1;
	return 0;
}

static int best_copy_target(const struct rec_file *f, const struct rec_target *t, size_t nt,
                            double copy_bps)
{
	int best = -1;

	for (size_t i = 0; i < nt; i++) {
		struct rec_fit fit;
		rec_fit(f, &t[i], copy_bps, &fit);
		if (!fit.fits)
			continue;
		if (best < 0 || target_rank(&t[i]) < target_rank(&t[best]) ||
		    (target_rank(&t[i]) == target_rank(&t[best]) && t[i].avail > t[best].avail))
			best = (int)i;
	}
	return best;
}

/* A reflink shares blocks, so it needs no room for the data; but every block the
 * holder rewrites afterwards needs a new one, so the writer's room is kept. */
static int reflink_target(const struct rec_target *t, size_t nt, int *why_not)
{
	*why_not = 0; /* 0 no target on the same fs, 1 no FICLONE, 2 read-only/full */
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].same_fs)
			continue;
		if (t[i].unusable[0]) {
			*why_not = 2;
			continue;
		}
		if (t[i].reflink != 1) {
			*why_not = 1;
			continue;
		}
		if (t[i].readonly || t[i].avail < REC_MARGIN_MIN + t[i].size / 10) {
			*why_not = 2;
			continue;
		}
		return (int)i;
	}
	return -1;
}

static int same_fs_target(const struct rec_target *t, size_t nt)
{
	for (size_t i = 0; i < nt; i++)
		if (t[i].same_fs)
			return (int)i;
	return -1;
}

/* The largest free space among writable targets, for "nothing fits" messages. */
static int roomiest(const struct rec_target *t, size_t nt)
{
	int best = -1;

	for (size_t i = 0; i < nt; i++)
		if (!t[i].readonly && !t[i].unusable[0] && (best < 0 || t[i].avail > t[best].avail))
			best = (int)i;
	return best;
}

/* Order in which feasible methods are preferred, by what is known of the change. */
static void preference(const struct rec_file *f, enum rec_method order[REC_NMETHODS])
{
	static const enum rec_method still[] = {REC_RELINK, REC_REFLINK, REC_COPY,
	                                        REC_SYNC,   REC_FOLLOW,  REC_DEBUGFS};
	static const enum rec_method append[] = {REC_RELINK, REC_FOLLOW, REC_REFLINK,
	                                         REC_SYNC,   REC_COPY,   REC_DEBUGFS};
	static const enum rec_method random[] = {REC_RELINK, REC_REFLINK, REC_SYNC,
	                                         REC_FOLLOW, REC_COPY,    REC_DEBUGFS};
	const enum rec_method *o = random;

	switch (f->change) {
	case CHANGE_STATIC:
	case CHANGE_QUIET:
		o = still;
		break;
	case CHANGE_APPEND:
		o = append;
		break;
	case CHANGE_UNKNOWN:
		/* Not sampled: O_APPEND writers can only append; anything else may write
		 * anywhere, and sync is right for every pattern. */
		o = f->writer ? (f->append_writers ? append : random) : still;
		break;
	case CHANGE_RANDOM:
		break;
	}
	memcpy(order, o, sizeof(still));
}

static enum rec_risk copy_risk(const struct rec_file *f, const struct rec_target *t)
{
	if (f->pin_partial || (t && t->ram))
		return RISK_MEDIUM;
	return f->writer ? RISK_MEDIUM : RISK_LOW;
}

/* Text shared by the copying methods when they cannot run. */
static bool copy_blocked(const struct rec_file *f, const struct rec_target *t, size_t nt,
                         int target, double copy_bps, char *why, size_t len)
{
	if (!f->pinned) {
		say(why, len, "not pinned: there is nothing to read it from");
		return true;
	}
	if (target < 0) {
		int r = roomiest(t, nt);
		struct rec_fit fit;
		if (r < 0) {
			say(why, len, "no writable filesystem is mounted to copy to");
		} else {
			rec_fit(f, &t[r], copy_bps, &fit);
			say(why, len, "no target fits: %s on %s %s", t[r].fstype, t[r].mountpoint,
			    fit.why);
		}
		return true;
	}
	return false;
}

/* A short tail for reasons of copies that cannot read everything. */
static void partial_note(const struct rec_file *f, char *dst, size_t len)
{
	size_t used = strlen(dst);

	if (!f->pin_partial)
		return;
	if (f->unreadable > 0)
		say(dst + used, len - used, "; only %s can be read: %lld bytes are lost",
		    f->loop_dev, (long long)f->unreadable);
	else
		say(dst + used, len - used,
		    "; only %s can be read: up to 511 bytes at the end may be lost", f->loop_dev);
}

/* Facts about the targets that several methods share. */
struct rec_ctx {
	const struct rec_file *f;
	const struct rec_target *t;
	size_t nt;
	double copy_bps;
	int copy_t;  /* the best target for a copy, -1 */
	int ref_t;   /* a target that can take a reflink, -1 */
	int why_not; /* reflink_target's reason when ref_t < 0 */
	int own;     /* the file's own filesystem among the targets, -1 */
	bool fast;   /* it changes faster than a tenth of the copy speed */
};

/* relink: only O_TMPFILE inodes are linkable; linkat needs the same mount. */
static void decide_relink(const struct rec_ctx *c, struct rec_option *o)
{
	const struct rec_file *f = c->f;

	o->risk = RISK_LOW;
	if (f->kind != KIND_TMPFILE) {
		say(o->reason, sizeof(o->reason),
		    "only O_TMPFILE files can be linked back: the kernel refuses a name to a deleted file");
	} else if (!f->fd_holder) {
		say(o->reason, sizeof(o->reason), "no process holds it open to link from");
	} else if (c->own < 0 || c->t[c->own].readonly) {
		say(o->reason, sizeof(o->reason),
		    "its filesystem is not mounted writable here: linkat cannot cross filesystems");
	} else {
		o->feasible = true;
		o->target = c->own;
		say(o->reason, sizeof(o->reason),
		    "O_TMPFILE file: linkat gives the very inode a name on %s, instantly, and the holder keeps writing to it (refused if it was made with O_EXCL: then copy)",
		    c->t[c->own].mountpoint);
	}
}

static void decide_reflink(const struct rec_ctx *c, struct rec_option *o)
{
	const struct rec_file *f = c->f;
	const struct rec_target *t = c->t;

	o->risk = RISK_LOW;
	if (!f->pinned || f->pin_partial) {
		say(o->reason, sizeof(o->reason), "%s",
		    f->pinned ? "only the loop device is pinned: FICLONE needs the file"
		              : "not pinned: there is nothing to clone from");
	} else if (c->ref_t < 0 && c->own < 0) {
		say(o->reason, sizeof(o->reason),
		    "a reflink stays within one filesystem, and the file's is not mounted here");
	} else if (c->ref_t < 0 && c->why_not == 1) {
		say(o->reason, sizeof(o->reason), "%s on %s does not support FICLONE (reflinks)",
		    t[c->own].fstype, t[c->own].mountpoint);
	} else if (c->ref_t < 0) {
		say(o->reason, sizeof(o->reason),
		    "%s is read-only or too full to keep the writer's room", t[c->own].mountpoint);
	} else {
		bool then_sync =
		    f->change == CHANGE_RANDOM || (f->change == CHANGE_UNKNOWN && f->writer);
		o->feasible = true;
		o->target = c->ref_t;
		say(o->reason, sizeof(o->reason),
		    "%s supports FICLONE: an instant, atomic snapshot on %s with no extra space%s",
		    t[c->ref_t].fstype, t[c->ref_t].mountpoint,
		    then_sync ? ", then sync passes catch up with the writer" : "");
	}
}

static void follow_reason(const struct rec_ctx *c, struct rec_option *o)
{
	const struct rec_file *f = c->f;
	const char *to = c->t[c->copy_t].mountpoint;

	if (f->change == CHANGE_APPEND) {
		say(o->reason, sizeof(o->reason),
		    "grows at the end (%s/s): copy what exists to %s, then keep appending until no writer is left",
		    sz((uint64_t)f->growth_bps), to);
	} else if (f->append_writers) {
		say(o->reason, sizeof(o->reason),
		    "its writers opened it O_APPEND: copy to %s, then keep appending until no writer is left",
		    to);
	} else {
		say(o->reason, sizeof(o->reason),
		    "only right for files that grow at the end; this one %s",
		    f->change == CHANGE_RANDOM ? "is rewritten inside"
		    : f->writer                ? "may change anywhere"
		                               : "cannot change");
		o->risk = RISK_MEDIUM;
	}
}

static void sync_reason(const struct rec_ctx *c, struct rec_option *o)
{
	const struct rec_file *f = c->f;
	const char *to = c->t[c->copy_t].mountpoint;
	char speed[32] = ", slowly";

	if (f->change != CHANGE_RANDOM) {
		say(o->reason, sizeof(o->reason),
		    "copy to %s, then passes re-copy whatever changed: right for any writer", to);
		return;
	}
	if (f->rate_bps >= 1)
		snprintf(speed, sizeof(speed), " at %s/s", sz((uint64_t)f->rate_bps));
	say(o->reason, sizeof(o->reason),
	    "rewritten inside%s: copy to %s, then passes re-copy changed blocks until a pass changes little%s",
	    speed, to,
	    c->fast ? "; it changes fast: --freeze stops the writers for the last pass" : "");
}

static void copy_reason(const struct rec_ctx *c, struct rec_option *o)
{
	const struct rec_file *f = c->f;
	const char *to = c->t[c->copy_t].mountpoint;

	if (f->change == CHANGE_STATIC) {
		say(o->reason, sizeof(o->reason),
		    "nobody can write it: one sparse-aware pass to %s, then verify", to);
	} else if (f->change == CHANGE_QUIET) {
		say(o->reason, sizeof(o->reason),
		    "a writer holds it but wrote nothing while sampled: one pass to %s, verified; use sync if it changes",
		    to);
	} else {
		say(o->reason, sizeof(o->reason),
		    "one pass to %s; a writer %s, so the copy may not match the end state", to,
		    f->change == CHANGE_UNKNOWN ? "may change it" : "is changing it");
		o->risk = RISK_HIGH;
	}
}

/* follow, sync, copy: they all need a pin and a target that fits. */
static void decide_copy_family(const struct rec_ctx *c, struct rec_option *o, enum rec_method m)
{
	if (copy_blocked(c->f, c->t, c->nt, c->copy_t, c->copy_bps, o->reason, sizeof(o->reason)))
		return;
	o->feasible = true;
	o->target = c->copy_t;
	o->risk = copy_risk(c->f, &c->t[c->copy_t]);
	if (m == REC_FOLLOW)
		follow_reason(c, o);
	else if (m == REC_SYNC)
		sync_reason(c, o);
	else
		copy_reason(c, o);
	if (c->t[c->copy_t].ram) {
		size_t used = strlen(o->reason);
		say(o->reason + used, sizeof(o->reason) - used,
		    " (RAM-backed: the copy is lost at reboot)");
	}
	partial_note(c->f, o->reason, sizeof(o->reason));
}

/* The one warning that matters most for this file, if any. */
static void decide_warning(const struct rec_ctx *c, struct rec_result *out)
{
	const struct rec_file *f = c->f;

	if (f->loop_mountpoint) {
		/* A command to paste: the mountpoint as one shell word, or none at all. */
		char q[REC_QUOTED_LEN];
		if (shq_quote(q, sizeof(q), f->loop_mountpoint, strlen(f->loop_mountpoint)) >=
		    sizeof(q))
			snprintf(q, sizeof(q), "MOUNTPOINT");
		say(out->warning, sizeof(out->warning),
		    "never %s %s: %s; freeze that filesystem (fsfreeze -f %s) for a consistent copy",
		    f->loop_autoclear ? "unmount" : "detach",
		    f->loop_autoclear ? f->loop_mountpoint : f->loop_dev,
		    f->loop_autoclear
		        ? "the loop device clears itself and the image is gone for good"
		        : "the image would be gone for good",
		    q);
	}
	else if (f->loop_dev)
		say(out->warning, sizeof(out->warning),
		    "never detach %s (losetup -d): it is the last holder of this image",
		    f->loop_dev);
	else if (!out->recommended && f->pinned && c->copy_t < 0)
		say(out->warning, sizeof(out->warning),
		    "no target has room: stream it elsewhere (--to - | ssh HOST 'cat > FILE') or free space; the pin keeps the data meanwhile");
	else if (!f->pinned)
		say(out->warning, sizeof(out->warning),
		    "not pinned: the data is gone when the last holder lets go; stop nothing that holds it");
}

/* *DST = *SRC, the reason only as far as it goes. */
static void put_option(struct rec_option *dst, const struct rec_option *src)
{
	dst->method = src->method;
	dst->feasible = src->feasible;
	dst->risk = src->risk;
	dst->target = src->target;
	memcpy(dst->reason, src->reason, strnlen(src->reason, sizeof(src->reason) - 1) + 1);
	dst->reason[sizeof(dst->reason) - 1] = '\0';
}

void rec_decide(const struct rec_file *f, const struct rec_target *t, size_t nt, double copy_bps,
                struct rec_result *out)
{
	struct rec_option cand[REC_NMETHODS];
	enum rec_method order[REC_NMETHODS];
	struct rec_ctx c = {.f = f, .t = t, .nt = nt};

	/* Not a memset: of the 8 KiB of reasons and warning only what is written is
	 * touched (a --list of thousands of files faulted in megabytes of zeros). */
	out->n = 0;
	out->recommended = out->freeze_suggested = false;
	out->warning[0] = '\0';
	c.copy_bps = copy_bps > 0 ? copy_bps : REC_COPY_BPS_DEFAULT;
	c.copy_t = best_copy_target(f, t, nt, c.copy_bps);
	c.ref_t = reflink_target(t, nt, &c.why_not);
	c.own = same_fs_target(t, nt);
	c.fast = f->rate_bps > c.copy_bps / 10 || f->growth_bps > c.copy_bps / 10;
	for (int m = 0; m < REC_NMETHODS; m++)
		cand[m] = (struct rec_option){.method = (enum rec_method)m, .target = -1};

	decide_relink(&c, &cand[REC_RELINK]);
	decide_reflink(&c, &cand[REC_REFLINK]);
	for (int m = REC_FOLLOW; m <= REC_COPY; m++)
		decide_copy_family(&c, &cand[m], (enum rec_method)m);
	cand[REC_DEBUGFS].risk = RISK_HIGH;
	say(cand[REC_DEBUGFS].reason, sizeof(cand[REC_DEBUGFS].reason),
	    "never offered: debugfs linking on a mounted ext4 corrupts it (the in-memory inode keeps nlink 0 and fsck deletes the entry); the pin keeps the data safely instead");

	/* Rank: feasible ones in the order of preference, then the rest in that order. */
	preference(f, order);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < REC_NMETHODS; i++)
			if (cand[order[i]].feasible == (pass == 0))
				put_option(&out->opt[out->n++], &cand[order[i]]);
	out->recommended = out->opt[0].feasible;
	out->freeze_suggested =
	    (out->recommended && out->opt[0].method != REC_RELINK && f->writer && c.fast) ||
	    f->loop_mountpoint != NULL;
	decide_warning(&c, out);
}

void rec_file_from_entry(const struct entry *e, struct rec_file *out)
{
	bool writer = false, all_append = true;

	memset(out, 0, sizeof(*out));
	out->size = e->size;
	out->allocated = e->allocated;
	out->kind = e->kind;
	out->pinned = e->pin.fd >= 0;
	out->pin_partial = e->pin.kind == PIN_LOOPDEV;
	out->unreadable = e->unreadable;
	out->writer = scan_entry_writable(e);
	for (size_t i = 0; i < e->nholders; i++) {
		const struct holder *h = &e->holders[i];
		if (h->type == HOLDER_FD) {
			out->fd_holder = true;
			if (h->access & PARSE_ACC_W) {
				writer = true;
				all_append &= h->append;
			}
		} else if (h->type == HOLDER_MMAP && h->map_write) {
			all_append = false;
		} else if (h->type == HOLDER_LOOP) {
			if (!h->readonly)
				all_append = false;
			if (!out->loop_dev || (h->loop_mountpoint && !out->loop_mountpoint)) {
				out->loop_dev = h->loop_dev;
				out->loop_mountpoint = h->loop_mountpoint;
				out->loop_autoclear = h->autoclear;
			}
		}
	}
	out->append_writers = writer && all_append;
	out->change = e->change.cls;
	out->rate_bps = e->change.rate_bps;
	out->growth_bps = e->change.growth_bps;
}
