/* report: --list as a table or JSON. See report.h. */
#include "cli/report.h"

#include "decide/advise.h"
#include "text/esc.h"
#include "text/fmt.h"
#include "text/json.h"
#include "find/parse.h"
#include "find/scan.h"
#include "find/target.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* V rounded to the nearest integer, clamped to int64_t (a shrink is negative). */
static int64_t rounded_i64(double v)
{
	uint64_t m = fmt_u64_of((v < 0 ? -v : v) + 0.5);

	if (m > INT64_MAX)
		m = INT64_MAX;
	return v < 0 ? -(int64_t)m : (int64_t)m;
}

/* "random 2.0M/s", "append 1.0M/s", or just the class. */
static void change_text(char *buf, size_t len, const struct entry *e)
{
	const struct rate_result *c = &e->change;
	char r[16];

	if (c->cls == CHANGE_RANDOM && c->rate_bps >= 1)
		snprintf(buf, len, "random %s/s", fmt_size(r, sizeof(r), fmt_u64_of(c->rate_bps)));
	else if (c->cls == CHANGE_APPEND && c->growth_bps >= 1)
		snprintf(buf, len, "append %s/s", fmt_size(r, sizeof(r), fmt_u64_of(c->growth_bps)));
	else
		snprintf(buf, len, "%s", rate_class_name(c->cls));
}

static const char *access_name(unsigned acc)
{
	switch (acc) {
	case PARSE_ACC_R:
		return "r";
	case PARSE_ACC_W:
		return "w";
	default:
		return "rw";
	}
}

static void json_holder(struct json *j, const struct holder *h)
{
	char st[2] = {h->state, 0};

	json_obj_begin(j);
	json_key(j, "type");
	json_str(j, h->type == HOLDER_FD ? "fd" : h->type == HOLDER_MMAP ? "mmap" : "loop");
	if (h->type == HOLDER_LOOP) {
		json_key(j, "device");
		json_str(j, h->loop_dev);
		json_key(j, "offset");
		json_uint(j, h->offset);
		json_key(j, "sizelimit");
		json_uint(j, h->sizelimit);
		json_key(j, "autoclear");
		json_bool(j, h->autoclear);
		json_key(j, "readonly");
		json_bool(j, h->readonly);
		json_key(j, "mountpoint");
		json_str(j, h->loop_mountpoint);
		json_key(j, "fstype");
		json_str(j, h->loop_fstype);
		json_obj_end(j);
		return;
	}
	json_key(j, "pid");
	json_int(j, h->pid);
	json_key(j, "comm");
	json_str(j, h->comm);
	json_key(j, "user");
	json_str(j, h->user);
	json_key(j, "state");
	json_str(j, h->state ? st : NULL);
	json_key(j, "cmdline");
	json_str(j, h->cmdline);
	json_key(j, "other_mntns");
	json_bool(j, h->other_mntns);
	if (h->type == HOLDER_FD) {
		if (h->tid) {
			json_key(j, "tid"); /* a thread's own fd table holds FD */
			json_int(j, h->tid);
		}
		json_key(j, "fd");
		json_int(j, h->fd);
		json_key(j, "access");
		json_str(j, access_name(h->access));
		json_key(j, "append");
		json_bool(j, h->append);
		json_key(j, "pos");
		json_uint(j, h->pos);
	} else {
		json_key(j, "write");
		json_bool(j, h->map_write);
		json_key(j, "exe");
		json_bool(j, h->exe);
		json_key(j, "mapped");
		json_uint(j, h->map_bytes);
	}
	json_obj_end(j);
}

/* Write raw bytes escaped for the terminal, cut or padded to WIDTH (0: as is). */
static void put_cell(FILE *f, const char *s, size_t len, size_t width, int left_cut)
{
	char *e = esc_display(s, len);

	if (!e)
		return;
	if (width)
		esc_put_width(f, e, width, left_cut);
	else
		fputs(e, f);
	free(e);
}

static void json_option(struct json *j, const struct rec_option *o, const struct target_list *tl)
{
	json_key(j, "method");
	json_str(j, rec_method_name(o->method));
	json_key(j, "feasible");
	json_bool(j, o->feasible);
	json_key(j, "risk");
	json_str(j, rec_risk_name(o->risk));
	json_key(j, "target");
	json_str(j, o->target >= 0 ? tl->v[o->target].mountpoint : NULL);
	json_key(j, "reason");
	json_str(j, o->reason);
}

static void json_advice(struct json *j, const struct rec_result *rec, const struct target_list *tl)
{
	json_key(j, "recommendation");
	json_obj_begin(j);
	if (rec->recommended) {
		json_option(j, &rec->opt[0], tl);
	} else {
		/* Nothing can run now: say so, and why (the best candidate's reason). */
		json_key(j, "method");
		json_null(j);
		json_key(j, "feasible");
		json_bool(j, false);
		json_key(j, "target");
		json_null(j);
		json_key(j, "reason");
		json_str(j, rec->warning[0] ? rec->warning : rec->opt[0].reason);
	}
	json_key(j, "freeze");
	json_bool(j, rec->freeze_suggested);
	json_key(j, "warning");
	json_str(j, rec->warning[0] ? rec->warning : NULL);
	json_obj_end(j);
	json_key(j, "methods");
	json_arr_begin(j);
	for (size_t i = 0; i < rec->n; i++) {
		json_obj_begin(j);
		json_option(j, &rec->opt[i], tl);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_entry(struct json *j, const struct entry *e, const struct advice *a,
                       const struct target_list *tl)
{
	char buf[64];

	json_obj_begin(j);
	json_key(j, "id");
	json_str(j, scan_entry_id(e, buf, sizeof(buf)));
	json_key(j, "path");
	json_bytes(j, e->path ? e->path : "", e->path ? e->path_len : 0);
	json_key(j, "path_other_mntns");
	json_bool(j, e->path_other_ns);
	json_key(j, "dev");
	snprintf(buf, sizeof(buf), "%u:%u", major(e->dev), minor(e->dev));
	json_str(j, buf);
	json_key(j, "ino");
	json_uint(j, e->ino);
	json_key(j, "size");
	json_uint(j, e->size);
	json_key(j, "size_exact");
	json_bool(j, e->size_known);
	json_key(j, "allocated");
	json_uint(j, e->allocated);
	json_key(j, "fstype");
	json_str(j, e->fstype);
	json_key(j, "mountpoint");
	json_str(j, e->mountpoint);
	json_key(j, "kind");
	json_str(j, scan_kind_name(e->kind));
	json_key(j, "pin");
	json_obj_begin(j);
	json_key(j, "type");
	json_str(j, pin_kind_name(e->pin.kind));
	json_key(j, "unreadable");
	if (e->unreadable >= 0)
		json_int(j, e->unreadable);
	else if (e->pin.kind == PIN_LOOPDEV)
		json_null(j);
	else
		json_int(j, e->pin.fd >= 0 ? 0 : -1);
	/* why re-opening through /proc failed (then "type" is "getfd", or "none") */
	json_key(j, "reopen_error");
	json_str(j, e->reopen_err ? strerror(-e->reopen_err) : NULL);
	json_obj_end(j);
	json_key(j, "holders");
	json_arr_begin(j);
	for (size_t i = 0; i < e->nholders; i++)
		json_holder(j, &e->holders[i]);
	json_arr_end(j);
	json_key(j, "change");
	json_obj_begin(j);
	json_key(j, "class");
	json_str(j, rate_class_name(e->change.cls));
	json_key(j, "rate_bps");
	json_uint(j, fmt_u64_of(e->change.rate_bps + 0.5));
	json_key(j, "growth_bps");
	json_int(j, rounded_i64(e->change.growth_bps));
	json_key(j, "truncated");
	json_bool(j, e->change.truncated);
	json_key(j, "sampled_seconds");
	json_double(j, e->change.seconds);
	json_key(j, "sample_bytes");
	json_uint(j, e->change.bytes_read);
	json_obj_end(j);
	if (a)
		json_advice(j, &a->rec, tl);
	json_obj_end(j);
}

/* Per target, for each held file: would a copy fit, can it be reflinked there. */
static void json_fits(struct json *j, const struct target *t, const struct scan_result *r,
                      const struct advisor *av)
{
	json_key(j, "files");
	json_arr_begin(j);
	for (size_t k = 0; r && k < r->n; k++) {
		const struct entry *e = &r->v[k];
		bool same = adv_same_fs(t, e, av->fsid[k]);
		struct rec_fit fit;
		char id[64];

		adv_fit(e, av->fsid[k], t, REC_COPY_BPS_DEFAULT, &fit);
		json_obj_begin(j);
		json_key(j, "id");
		json_str(j, scan_entry_id(e, id, sizeof(id)));
		json_key(j, "same_fs");
		json_bool(j, same);
		json_key(j, "reflink");
		json_bool(j,
		          same && t->reflink == 1 && e->pin.fd >= 0 && e->pin.kind != PIN_LOOPDEV);
		json_key(j, "fits");
		json_bool(j, fit.fits);
		json_key(j, "need");
		json_uint(j, fit.need);
		json_key(j, "keep_free");
		json_uint(j, fit.keep_free);
		json_key(j, "reason");
		json_str(j, fit.why);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_targets(struct json *j, const struct target_list *tl, const struct scan_result *r,
                         const struct advisor *av, bool fits)
{
	json_key(j, "targets");
	json_arr_begin(j);
	for (size_t i = 0; tl && i < tl->n; i++) {
		const struct target *t = &tl->v[i];
		char id[64];

		json_obj_begin(j);
		json_key(j, "mountpoint");
		json_str(j, t->mountpoint);
		json_key(j, "fstype");
		json_str(j, t->fstype);
		json_key(j, "source");
		json_str(j, t->source);
		json_key(j, "size");
		json_uint(j, t->size);
		json_key(j, "free");
		json_uint(j, t->avail);
		json_key(j, "readonly");
		json_bool(j, t->readonly);
		json_key(j, "ram");
		json_bool(j, t->ram);
		json_key(j, "network");
		json_bool(j, t->network);
		json_key(j, "reflink");
		json_bool(j, t->reflink == 1);
		json_key(j, "reflink_tested");
		json_bool(j, t->reflink >= 0);
		{
			uint64_t hb;
			size_t hn;
			adv_held_on(t, r, av->fsid, &hb, &hn);
			/* allocated bytes: the df/du gap this filesystem shows */
			json_key(j, "held_deleted");
			json_uint(j, hb);
			json_key(j, "held_deleted_files");
			json_uint(j, hn);
		}
		json_key(j, "answering");
		json_bool(j, t->answering);
		json_key(j, "doomed_by");
		json_str(j, t->doom_loop);
		{
			char why[REC_WHY_LEN];
			adv_unusable(t, NULL, why, sizeof(why));
			json_key(j, "usable");
			json_bool(j, !why[0]);
			json_key(j, "unusable_reason");
			json_str(j, why[0] ? why : NULL);
		}
		json_key(j, "same_fs_as");
		json_arr_begin(j);
		for (size_t k = 0; r && k < r->n; k++)
			if (adv_same_fs(t, &r->v[k], av->fsid[k]))
				json_str(j, scan_entry_id(&r->v[k], id, sizeof(id)));
		json_arr_end(j);
		if (fits)
			json_fits(j, t, r, av);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void report_targets_json(FILE *f, const struct target_list *tl, const struct scan_result *r,
                         const struct advisor *av)
{
	struct json j;

	flockfile(f); /* json.h */
	json_init(&j, f);
	json_obj_begin(&j);
	json_targets(&j, tl, r, av, true);
	json_obj_end(&j);
	funlockfile(f);
}

void report_targets_table(FILE *f, const struct target_list *tl, const struct scan_result *r,
                          const struct advisor *av, unsigned width)
{
	size_t wmp = width > 68 ? width - 58 : 0;

	if (tl->n == 0) {
		fprintf(f, "No filesystem is mounted that a copy could go to.\n");
		return;
	}
	fprintf(f, "%-10s %7s %7s %7s %-8s %-16s %s\n", "FSTYPE", "SIZE", "FREE", "HELD", "REFLINK",
	        "NOTES", "MOUNTPOINT");
	for (size_t i = 0; i < tl->n; i++) {
		const struct target *t = &tl->v[i];
		char sz[16], fr[16], held[16], notes[64];
		uint64_t hb;
		size_t hn;

		snprintf(notes, sizeof(notes), "%s%s%s%s%s", !t->answering ? "NOT-ANSWERING " : "",
		         t->doom_loop ? "DOOMED " : "", t->readonly ? "read-only " : "",
		         t->ram ? "RAM " : "", t->network ? "network " : "");
		adv_held_on(t, r, av->fsid, &hb, &hn);
		/* fstype is bytes too: a FUSE subtype is whatever its daemon said. */
		put_cell(f, t->fstype ? t->fstype : "?", t->fstype ? strlen(t->fstype) : 1, 10, 0);
		fprintf(f, " %7s %7s %7s %-8s %-16s ",
		        fmt_size(sz, sizeof(sz), t->size), fmt_size(fr, sizeof(fr), t->avail),
		        hn ? fmt_size(held, sizeof(held), hb) : "-",
		        t->reflink == 1   ? "yes"
		        : t->reflink == 0 ? "no"
		                          : "untested",
		        notes);
		put_cell(f, t->mountpoint, strlen(t->mountpoint), wmp, 1);
		fputc('\n', f);
	}
	for (size_t i = 0; i < tl->n; i++) {
		char why[REC_WHY_LEN];
		adv_unusable(&tl->v[i], NULL, why, sizeof(why));
		if (!why[0])
			continue;
		fputs("never a target: ", f);
		put_cell(f, tl->v[i].mountpoint, strlen(tl->v[i].mountpoint), 0, 0);
		fputs(": ", f);
		put_cell(f, why, strlen(why), 0, 0);
		fputc('\n', f);
	}
	for (size_t i = 0; i < tl->n; i++) {
		if (!tl->v[i].ram || !tl->v[i].answering)
			continue;
		fputs("RAM-backed, lost at reboot: chosen only when nothing else fits\n", f);
		break;
	}
}

/* Files from which a second thread advises on and writes the later part of them
 * (3.7 us a file, nearly all of it CPU: 10 ms for 2700 files, 7 in two threads). */
#define PART_MIN 512

/* The later files (45% of them: the thread also starts, and faults in its
 * memory), advised on and written into memory by a thread of its own while the
 * others go out; appended after them. */
struct json_part {
	struct json j;
	const struct advisor *av; /* the caller's: its files, targets and fsids */
	size_t from;
	FILE *mem;
	char *buf;
	size_t len, cap;
	bool ok;
};

/* Room for a file's JSON in the part's memory: 1.7 KiB is usual, so the part
 * rarely grows (growing copied it: open_memstream copies at every doubling, and
 * made the part a third slower than the same work written out directly). */
#define PART_PER_FILE 2048

/* The part's memory, sized for PART_PER_FILE a file at the first write. */
static ssize_t part_write(void *cookie, const char *s, size_t n)
{
	struct json_part *p = cookie;

	if (n > p->cap - p->len) {
		size_t nc = p->cap ? p->cap * 2 : (p->av->r->n - p->from) * PART_PER_FILE;
		char *nb;
		while (nc - p->len < n)
			nc *= 2;
		nb = realloc(p->buf, nc);
		if (!nb)
			return -1;
		p->buf = nb;
		p->cap = nc;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
	return (ssize_t)n;
}

static void *part_main(void *arg)
{
	struct json_part *p = arg;
	const struct scan_result *r = p->av->r;
	struct advisor av;

	if (advisor_share(&av, p->av) < 0)
		return NULL;
	for (size_t i = p->from; i < r->n; i++)
		json_entry(&p->j, &r->v[i], advisor_get(&av, i), av.tl);
	advisor_free(&av);
	json_flush(&p->j);
	p->ok = fflush(p->mem) == 0; /* the memory stream's only error: no memory */
	return NULL;
}

/* Start writing R's later files in a thread, as part P of J's document. Returns
 * where the caller stops (R->n when no thread runs). */
static size_t part_start(struct json_part *p, pthread_t *tid, struct json *j,
                         const struct advisor *av)
{
	const struct scan_result *r = av->r;

	*p = (struct json_part){.av = av, .from = r->n * 11 / 20};
	if (r->n < PART_MIN || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return r->n;
	p->mem = fopencookie(p, "w", (cookie_io_functions_t){.write = part_write});
	if (!p->mem)
		return r->n;
	(void)setvbuf(p->mem, NULL, _IOFBF, 1u << 16);
	json_fork(&p->j, j, p->mem, true); /* the caller writes its files before */
	if (pthread_create(tid, NULL, part_main, p) != 0) {
		fclose(p->mem);
		free(p->buf);
		p->mem = NULL;
		return r->n;
	}
	return p->from;
}

/* Append part P once its thread is done. Returns where the caller goes on: R->n,
 * or P's start when the part failed (then the caller writes it itself). */
static size_t part_end(struct json_part *p, pthread_t tid, FILE *f)
{
	if (!p->mem)
		return p->av->r->n;
	pthread_join(tid, NULL);
	if (fclose(p->mem) != 0)
		p->ok = false;
	if (p->ok)
		fwrite_unlocked(p->buf, 1, p->len, f);
	free(p->buf);
	return p->ok ? p->av->r->n : p->from;
}

void report_json(FILE *f, const struct scan_result *r, const struct target_list *tl,
                 struct advisor *av)
{
	struct json_part part;
	struct json j;
	pthread_t tid;
	size_t stop;

	/* One lock for the whole report instead of one per character written. */
	flockfile(f);
	json_init(&j, f);
	json_obj_begin(&j);
	json_key(&j, "files");
	json_arr_begin(&j);
	stop = part_start(&part, &tid, &j, av);
	for (size_t i = 0; i < stop; i++)
		json_entry(&j, &r->v[i], advisor_get(av, i), tl);
	json_flush(&j); /* what is buffered goes before the part */
	for (size_t i = part_end(&part, tid, f); i < r->n; i++)
		json_entry(&j, &r->v[i], advisor_get(av, i), tl);
	json_arr_end(&j);
	json_targets(&j, tl, r, av, false);
	json_key(&j, "scan");
	json_obj_begin(&j);
	json_key(&j, "method");
	json_str(&j, scan_method_name(r->method));
	json_key(&j, "bpf_error");
	json_str(&j, r->bpf_err ? strerror(-r->bpf_err) : NULL);
	json_key(&j, "bpf_ms");
	json_double(&j, r->bpf_ms);
	json_key(&j, "root");
	json_bool(&j, r->root);
	json_key(&j, "processes");
	json_uint(&j, r->st.procs);
	json_key(&j, "fds");
	json_uint(&j, r->st.fds);
	json_key(&j, "threads");
	json_uint(&j, r->st.threads);
	json_key(&j, "denied");
	json_uint(&j, r->st.denied);
	json_key(&j, "vanished");
	json_uint(&j, r->st.vanished);
	json_key(&j, "unconfirmed_mappings");
	json_uint(&j, r->st.unconfirmed);
	json_key(&j, "loop_denied");
	json_uint(&j, r->st.loop_denied);
	json_key(&j, "dup_pinned");
	json_uint(&j, r->st.dup_pinned);
	json_key(&j, "unpinned");
	json_uint(&j, r->st.unpinned);
	json_key(&j, "hidden");
	json_uint(&j, r->st.hidden);
	json_key(&j, "out_of_fds");
	json_uint(&j, r->st.no_fds);
	json_obj_end(&j);
	json_obj_end(&j);
	funlockfile(f);
}

/* A short description of who holds the file: "comm[pid] fd3 rw", "+2" for more. */
static void holder_text(char *buf, size_t len, const struct entry *e)
{
	const struct holder *h = &e->holders[0];
	char more[32] = "";
	char comm[64];

	if (e->nholders > 1)
		snprintf(more, sizeof(more), " +%zu", e->nholders - 1);
	/* comm is at most 15 bytes from the kernel, but may hold anything: escape it. */
	if (h->type != HOLDER_LOOP) {
		char *ec = esc_display(h->comm ? h->comm : "?", strlen(h->comm ? h->comm : "?"));
		snprintf(comm, sizeof(comm), "%s", ec ? ec : "?");
		free(ec);
	}
	switch (h->type) {
	case HOLDER_FD:
		snprintf(buf, len, "%s[%d] fd%d %s%s%s", comm, h->pid, h->fd,
		         access_name(h->access), h->append ? "a" : "", more);
		break;
	case HOLDER_MMAP:
		snprintf(buf, len, "%s[%d] %s%s", comm, h->pid, h->exe ? "exe" : "mmap", more);
		break;
	case HOLDER_LOOP:
		snprintf(buf, len, "%s%s", h->loop_dev + 5, more);
		break;
	}
}

enum { W_ID = 16, W_SIZE = 6, W_KIND = 7, W_CHANGE = 13, W_HOLD = 22, W_PATH_MIN = 16 };

/* The line under a row: "-> sync to /backup: reason", cut to the width. */
static void advice_line(FILE *f, const struct rec_result *rec, const struct target_list *tl,
                        unsigned width)
{
	char line[512];
	const struct rec_option *o = &rec->opt[0];

	if (rec->recommended)
		snprintf(
		    line, sizeof(line), "   -> %s%s%s%s: %s", rec_method_name(o->method),
		    o->target >= 0 ? " to " : "", o->target >= 0 ? tl->v[o->target].mountpoint : "",
		    rec->freeze_suggested && o->method == REC_SYNC ? " (--freeze)" : "", o->reason);
	else
		snprintf(line, sizeof(line), "   -> nothing can run now: %s", o->reason);
	put_cell(f, line, strlen(line), width > 1 ? width - 1 : 0, 0);
	fputc('\n', f);
}

void report_table(FILE *f, const struct scan_result *r, struct advisor *av,
                  const struct target_list *tl, unsigned width)
{
	size_t wpath = 0;
	bool other_ns = false, warned = false;
	bool *warns;

	if (r->n == 0) {
		fprintf(f, "No deleted files are held open.\n");
		return;
	}
	/* the files with a warning, told again at the end (NULL: ask every file again) */
	warns = calloc(r->n, sizeof(*warns));
	if (width) {
		size_t fixed =
		    W_ID + 1 + W_SIZE + 1 + W_SIZE + 1 + W_KIND + 1 + W_CHANGE + 1 + W_HOLD + 1;
		wpath = width > fixed + W_PATH_MIN ? width - fixed : W_PATH_MIN;
	}
	fprintf(f, "%-*s %*s %*s %-*s %-*s %-*s %s\n", W_ID, "ID", W_SIZE, "SIZE", W_SIZE, "ALLOC",
	        W_KIND, "KIND", W_CHANGE, "CHANGE", W_HOLD, "HOLDERS", "PATH");
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		char id[64], sz[16], al[16], hold[128], chg[32];

		scan_entry_id(e, id, sizeof(id));
		fmt_size(sz, sizeof(sz), e->size);
		fmt_size(al, sizeof(al), e->allocated);
		holder_text(hold, sizeof(hold), e);
		change_text(chg, sizeof(chg), e);
		fprintf(f, "%-*s %*s%s%*s %-*s %-*s ", W_ID, id, W_SIZE - (e->size_known ? 0 : 1),
		        sz, e->size_known ? "" : "+", W_SIZE, e->size_known ? al : "?", W_KIND,
		        scan_kind_name(e->kind), W_CHANGE, chg);
		esc_put_width(f, hold, W_HOLD, 0);
		fputc(' ', f);
		if (e->path_other_ns) {
			fputc('*', f);
			other_ns = true;
		}
		/* The end of a path tells files apart; cut from the left. */
		put_cell(f, e->path ? e->path : "", e->path ? e->path_len : 0,
		         wpath ? wpath - (e->path_other_ns ? 1 : 0) : 0, 1);
		fputc('\n', f);
		const struct advice *a = advisor_get(av, i);
		advice_line(f, &a->rec, tl, width);
		if (warns)
			warns[i] = a->rec.warning[0] != '\0';
	}
	if (other_ns)
		fprintf(f, "\n* name as seen by a holder in another mount namespace\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		char id[64];

		scan_entry_id(e, id, sizeof(id));
		for (size_t k = 0; k < e->nholders; k++) {
			const struct holder *h = &e->holders[k];
			if (h->type != HOLDER_LOOP)
				continue;
			fprintf(f, "\n%s: ", id);
			put_cell(f, h->loop_dev, strlen(h->loop_dev), 0, 0);
			fprintf(f, " is backed by this deleted file");
			if (h->loop_mountpoint) {
				fprintf(f, "; its filesystem is mounted on ");
				put_cell(f, h->loop_mountpoint, strlen(h->loop_mountpoint), 0, 0);
			}
			fputs(".\n", f);
			warned = true;
		}
		const struct advice *a = !warns || warns[i] ? advisor_get(av, i) : NULL;
		if (a && a->rec.warning[0]) {
			if (!warned)
				fputc('\n', f);
			fprintf(f, "WARNING %s: ", id);
			put_cell(f, a->rec.warning, strlen(a->rec.warning), 0, 0);
			fputc('\n', f);
		}
		warned = false;
	}
	free(warns);
}

void report_notes(FILE *f, const struct scan_result *r, const char *prog)
{
	const struct scan_stats *st = &r->st;

	if (st->denied && !r->root)
		fprintf(f,
		        "%s: %u process%s could not be inspected: they belong to other users; run as root to see every held file.\n",
		        prog, st->denied, st->denied == 1 ? "" : "es");
	else if (st->denied)
		fprintf(f,
		        "%s: %u process%s could not be inspected even as root (privileges this process lacks, or a security module): the files %s holds are not listed.\n",
		        prog, st->denied, st->denied == 1 ? "" : "es",
		        st->denied == 1 ? "it" : "they");
	if (st->unconfirmed)
		fprintf(f,
		        "%s: %u deleted memory mapping%s could not be checked (that needs root).\n",
		        prog, st->unconfirmed, st->unconfirmed == 1 ? "" : "s");
	if (st->loop_denied)
		fprintf(f, "%s: %u loop device%s could not be queried (that needs root).\n", prog,
		        st->loop_denied, st->loop_denied == 1 ? "" : "s");
	if (st->dup_pinned)
		fprintf(f,
		        "%s: %u file%s could not be re-opened through /proc (a FUSE filesystem with hard_remove?): pinned with a duplicate of the holder's own open file (pidfd_getfd), read with pread only.\n",
		        prog, st->dup_pinned, st->dup_pinned == 1 ? "" : "s");
	if (st->unpinned)
		fprintf(
		    f, "%s: %u file%s could not be pinned: %s gone when the last holder lets go.\n",
		    prog, st->unpinned, st->unpinned == 1 ? "" : "s",
		    st->unpinned == 1 ? "it is" : "they are");
	if (st->no_fds) {
		struct rlimit rl = {0};
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(
		    f,
		    "%s: the open-file limit (%llu) is too low for this machine: %u open%s failed or were not tried, so files are missing or unpinned. Raise it (as root: ulimit -n %llu) and run again.\n",
		    prog, (unsigned long long)rl.rlim_cur, st->no_fds, st->no_fds == 1 ? "" : "s",
		    (unsigned long long)rl.rlim_cur * 4);
	}
	if (st->hidden)
		fprintf(f, "%s: %u memfd/shared-memory object%s not shown (--all shows them).\n",
		        prog, st->hidden, st->hidden == 1 ? "" : "s");
}
