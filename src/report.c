/* report: --list as a table or JSON. See report.h. */
#include "report.h"

#include "esc.h"
#include "fmt.h"
#include "json.h"
#include "parse.h"
#include "scan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

/* Until change sampling runs, the free signal is all we know: nobody can write. */
static const char *change_class(const struct entry *e)
{
	return scan_entry_writable(e) ? "unknown" : "static";
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

static void json_entry(struct json *j, const struct entry *e)
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
	json_obj_end(j);
	json_key(j, "holders");
	json_arr_begin(j);
	for (size_t i = 0; i < e->nholders; i++)
		json_holder(j, &e->holders[i]);
	json_arr_end(j);
	json_key(j, "change");
	json_obj_begin(j);
	json_key(j, "class");
	json_str(j, change_class(e));
	json_key(j, "rate_bps");
	json_uint(j, 0);
	json_key(j, "growth_bps");
	json_uint(j, 0);
	json_obj_end(j);
	json_obj_end(j);
}

void report_json(FILE *f, const struct scan_result *r)
{
	struct json j;

	json_init(&j, f);
	json_obj_begin(&j);
	json_key(&j, "files");
	json_arr_begin(&j);
	for (size_t i = 0; i < r->n; i++)
		json_entry(&j, &r->v[i]);
	json_arr_end(&j);
	json_key(&j, "scan");
	json_obj_begin(&j);
	json_key(&j, "root");
	json_bool(&j, r->root);
	json_key(&j, "processes");
	json_uint(&j, r->st.procs);
	json_key(&j, "fds");
	json_uint(&j, r->st.fds);
	json_key(&j, "denied");
	json_uint(&j, r->st.denied);
	json_key(&j, "vanished");
	json_uint(&j, r->st.vanished);
	json_key(&j, "unconfirmed_mappings");
	json_uint(&j, r->st.unconfirmed);
	json_key(&j, "loop_denied");
	json_uint(&j, r->st.loop_denied);
	json_key(&j, "unpinned");
	json_uint(&j, r->st.unpinned);
	json_key(&j, "hidden");
	json_uint(&j, r->st.hidden);
	json_obj_end(&j);
	json_obj_end(&j);
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

enum { W_ID = 16, W_SIZE = 6, W_KIND = 7, W_CHANGE = 7, W_HOLD = 24, W_PATH_MIN = 16 };

void report_table(FILE *f, const struct scan_result *r, unsigned width)
{
	size_t wpath = 0;
	bool other_ns = false;

	if (r->n == 0) {
		fprintf(f, "No deleted files are held open.\n");
		return;
	}
	if (width) {
		size_t fixed = W_ID + 1 + W_SIZE + 1 + W_SIZE + 1 + W_KIND + 1 + W_CHANGE + 1 +
			       W_HOLD + 1;
		wpath = width > fixed + W_PATH_MIN ? width - fixed : W_PATH_MIN;
	}
	fprintf(f, "%-*s %*s %*s %-*s %-*s %-*s %s\n", W_ID, "ID", W_SIZE, "SIZE", W_SIZE,
		"ALLOC", W_KIND, "KIND", W_CHANGE, "CHANGE", W_HOLD, "HOLDERS", "PATH");
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		char id[64], sz[16], al[16], hold[128];

		scan_entry_id(e, id, sizeof(id));
		fmt_size(sz, sizeof(sz), e->size);
		fmt_size(al, sizeof(al), e->allocated);
		holder_text(hold, sizeof(hold), e);
		fprintf(f, "%-*s %*s%s%*s %-*s %-*s ", W_ID, id, W_SIZE - (e->size_known ? 0 : 1),
			sz, e->size_known ? "" : "+", W_SIZE, e->size_known ? al : "?", W_KIND,
			scan_kind_name(e->kind), W_CHANGE, change_class(e));
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
			fprintf(f, "\n%s: %s is backed by this deleted file", id, h->loop_dev);
			if (h->loop_mountpoint) {
				fprintf(f, "; its filesystem is mounted on ");
				put_cell(f, h->loop_mountpoint, strlen(h->loop_mountpoint), 0, 0);
			}
			fputs(".\n", f);
			if (h->autoclear)
				fprintf(f, "  DO NOT unmount it or detach %s: the loop device clears "
					   "itself and the image is gone for good.\n",
					h->loop_dev);
			else
				fprintf(f, "  Do not detach %s (losetup -d): the image would be gone for "
					   "good.\n",
					h->loop_dev);
		}
		if (e->pin.kind == PIN_LOOPDEV) {
			if (e->unreadable > 0)
				fprintf(f, "  Only %s can be read: %lld bytes of the file cannot.\n",
					e->holders[0].loop_dev, (long long)e->unreadable);
			else if (e->unreadable < 0)
				fprintf(f, "  Only the loop device can be read: up to 511 bytes past "
					   "its last whole sector may be missing.\n");
		}
	}
}

void report_notes(FILE *f, const struct scan_result *r, const char *prog)
{
	const struct scan_stats *st = &r->st;

	if (st->denied)
		fprintf(f,
			"%s: %u process%s could not be inspected%s; run as root to see every "
			"held file.\n",
			prog, st->denied, st->denied == 1 ? "" : "es",
			r->root ? "" : ": they belong to other users");
	if (st->unconfirmed)
		fprintf(f,
			"%s: %u deleted memory mapping%s could not be checked (that needs "
			"root).\n",
			prog, st->unconfirmed, st->unconfirmed == 1 ? "" : "s");
	if (st->loop_denied)
		fprintf(f, "%s: %u loop device%s could not be queried (that needs root).\n", prog,
			st->loop_denied, st->loop_denied == 1 ? "" : "s");
	if (st->unpinned)
		fprintf(f,
			"%s: %u file%s could not be pinned: %s gone when the last holder lets "
			"go.\n",
			prog, st->unpinned, st->unpinned == 1 ? "" : "s",
			st->unpinned == 1 ? "it is" : "they are");
	if (st->hidden)
		fprintf(f, "%s: %u memfd/shared-memory object%s not shown (--all shows them).\n",
			prog, st->hidden, st->hidden == 1 ? "" : "s");
}
