/* rescuetui --offline DEV: list, copy out or relink the orphan inodes of an
 * unmounted ext2/3/4 (the rescue-media mode). The work is src/offline's; this face
 * checks the options, asks before writing, and turns results into words. */
#include "cli/cli.h"

#include "decide/after.h"
#include "decide/dest.h"
#include "offline/extract.h"
#include "offline/orphan.h"
#include "offline/relink.h"
#include "offline/words.h"
#include "rescue/log.h"
#include "text/esc.h"
#include "text/fmt.h"
#include "text/json.h"
#include "text/shq.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FSCK_LINES 12 /* lines of e2fsck's output shown; --json has all of it */

/* Escaped bytes for messages. Caller frees. */
static char *shown(const char *s)
{
	return cli_shown(s, s ? strlen(s) : 0);
}

/* S quoted for POSIX sh (text/shq.h: one word, no backslash before a quote, so
 * that the display escaping leaves it a working command); malloc'ed, NULL when out
 * of memory. Not escaped for display: JSON escapes it itself. */
static char *sh_quote(const char *s)
{
	return shq_dup(s, strlen(s));
}

/* S quoted for POSIX sh, then escaped for display. Caller frees. */
static char *sh_quoted(const char *s)
{
	char *q = sh_quote(s), *e = shown(q ? q : "?");

	free(q);
	return e;
}

static int parse_ino(const char *s, uint32_t *ino)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v == 0 || v > UINT32_MAX)
		return -EINVAL;
	*ino = (uint32_t)v;
	return 0;
}

/* Refuse a mounted filesystem: its orphans belong to the online mode. */
static int refuse_mounted(const char *dev)
{
	char where[4400];
	char *d = shown(dev), *w;
	int rc = off_mounted(dev, where, sizeof(where));

	if (rc < 0) {
		cli_say("cannot look at %s: %s", d, strerror(-rc));
	} else if (rc == 1) {
		w = shown(where);
		cli_say("%s is mounted (%s): the offline mode is for unmounted filesystems. Its "
		        "held deleted files are for the online mode: %s --list",
		        d, w, program_invocation_short_name);
		free(w);
	}
	free(d);
	return rc != 0;
}

static int open_or_say(const char *dev, bool rw, struct off_fs **fs)
{
	char why[OFF_WHY_LEN] = "";
	char *d;
	int err = off_open(dev, rw, fs, why);

	if (err == 0)
		return 0;
	d = shown(dev);
	cli_say("cannot open %s as an ext2/3/4 filesystem: %s", d, why[0] ? why : strerror(-err));
	if (err == -EUCLEAN || err == -EINVAL)
		cli_say("if the primary superblock is damaged, e2fsck -n -b 32768 %s may find a "
		        "backup; do not let it write before the orphans are saved",
		        d);
	free(d);
	return 1;
}

static void list_json(FILE *out, const char *dev, const struct off_scan *s)
{
	const char *adv = off_journal_advice(&s->info);
	struct json j;

	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "device");
	json_str(&j, dev);
	json_key(&j, "fstype");
	json_str(&j, s->info.fstype);
	json_key(&j, "block_size");
	json_uint(&j, s->info.block_size);
	json_key(&j, "inodes");
	json_uint(&j, s->info.inodes_count);
	json_key(&j, "journal");
	json_bool(&j, s->info.journal);
	json_key(&j, "needs_recovery");
	json_bool(&j, s->info.needs_recovery);
	json_key(&j, "orphan_file");
	json_bool(&j, s->info.orphan_file);
	json_key(&j, "clean");
	json_bool(&j, s->info.clean);
	json_key(&j, "short_device");
	json_bool(&j, s->info.short_device);
	json_key(&j, "deep");
	json_bool(&j, s->deep);
	json_key(&j, "orphans");
	json_arr_begin(&j);
	for (size_t i = 0; i < s->n; i++) {
		const struct off_entry *e = &s->v[i];
		json_obj_begin(&j);
		json_key(&j, "ino");
		json_uint(&j, e->ino);
		json_key(&j, "source");
		json_str(&j, off_source_name(e->source));
		json_key(&j, "type");
		json_str(&j, off_type_name(e->mode));
		json_key(&j, "mode");
		json_uint(&j, e->mode);
		json_key(&j, "size");
		json_uint(&j, e->size);
		json_key(&j, "allocated");
		json_uint(&j, e->allocated);
		json_key(&j, "mapped");
		json_uint(&j, e->mapped);
		json_key(&j, "uid");
		json_uint(&j, e->uid);
		json_key(&j, "gid");
		json_uint(&j, e->gid);
		json_key(&j, "mtime");
		json_int(&j, e->mtime);
		json_key(&j, "links");
		json_uint(&j, e->links);
		json_key(&j, "blocks");
		json_str(&j, off_blocks_name(e->blocks));
		json_key(&j, "inline");
		json_bool(&j, e->inline_data);
		json_key(&j, "note");
		json_str(&j, e->note[0] ? e->note : NULL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "problems");
	json_arr_begin(&j);
	for (size_t i = 0; i < s->nprob; i++) {
		json_obj_begin(&j);
		json_key(&j, "kind");
		json_str(&j, off_problem_name(s->prob[i].kind));
		json_key(&j, "ino");
		json_uint(&j, s->prob[i].ino);
		json_key(&j, "message");
		json_str(&j, s->prob[i].what);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "advice");
	json_str(&j, adv);
	json_obj_end(&j);
}

static void list_text(FILE *out, const char *dev, const struct off_scan *s)
{
	const char *prog = program_invocation_short_name;
	const struct off_info *in = &s->info;
	const char *adv = off_journal_advice(in);
	char *d = shown(dev), *q = sh_quoted(dev);

	fprintf(out, "%s: %s, %u-byte blocks, %" PRIu32 " inodes; %s\n", d, in->fstype,
	        in->block_size, in->inodes_count,
	        !in->journal         ? "no journal (no orphan list: inode table walked)"
	        : in->needs_recovery ? "journal NEEDS RECOVERY"
	                             : "journal clean");
	if (in->short_device)
		fprintf(out,
		        "Warning: %s is smaller than the filesystem on it (a truncated image?): "
		        "what lies past its end cannot be read.\n",
		        d);
	if (s->n == 0)
		fprintf(out, "No orphan inodes%s.\n",
		        s->deep ? "" : " on the orphan list (--deep also walks the inode table)");
	else
		fprintf(out, "%10s %7s %7s %-10s %11s %-16s %-11s %s\n", "INODE", "SIZE", "ALLOC",
		        "MODE", "UID:GID", "MTIME (UTC)", "FOUND IN", "DATA");
	for (size_t i = 0; i < s->n; i++) {
		const struct off_entry *e = &s->v[i];
		struct off_cells c;
		off_cells(e, &c);
		fprintf(out, "%10" PRIu32 " %7s %7s %-10s %11s %-16s %-11s %s%s%s\n", e->ino, c.size,
		        c.alloc, c.mode, c.owner, c.mtime, off_source_name(e->source),
		        off_blocks_name(e->blocks),
		        e->note[0] ? ": " : "", e->note);
	}
	for (size_t i = 0; i < s->nprob; i++)
		fprintf(out, "Problem: %s\n", s->prob[i].what);
	if (adv)
		fprintf(out, "Note: %s\n", adv);
	if (s->n)
		fprintf(
		    out,
		    "Next: %s --offline %s --recover INODE --to DIR   (copies; %s is only read)\n"
		    "      %s --offline %s --relink INODE --yes       (writes to %s)\n",
		    prog, q, d, prog, q, d);
	free(d);
	free(q);
}

static int cmd_list(const struct offline_opts *o)
{
	struct off_fs *fs;
	struct off_scan s;
	int err;

	if (refuse_mounted(o->dev) || open_or_say(o->dev, false, &fs))
		return 1;
	err = off_scan(fs, o->deep, &s);
	off_close(fs, NULL);
	if (err < 0) {
		cli_say("cannot walk the orphans: %s", strerror(-err));
		return 1;
	}
	if (o->json)
		list_json(stdout, o->dev, &s);
	else
		list_text(stdout, o->dev, &s);
	off_scan_free(&s);
	return cli_finish_output();
}

static int progress(void *ctx, uint64_t done, uint64_t total)
{
	char a[16], b[16];

	(void)ctx;
	fprintf(stderr, "\r\033[K  copying %6s / %-6s %3d%%", fmt_size(a, sizeof(a), done),
	        fmt_size(b, sizeof(b), total), total ? (int)(done * 100 / total) : 100);
	fflush(stderr);
	return 0;
}

/* One line in the action log (rescue/log.h), the same one --recover writes to. */
static void log_it(const struct offline_opts *o, const char *method, uint32_t ino,
                   const char *target, uint64_t bytes, const char *result)
{
	char def[PATH_MAX];
	const char *path = o->log;
	int err = off_log(o->log, o->dev, method, ino, target, bytes, result);

	if (err < 0) {
		char *u;
		if (!path)
			path = rlog_default_path(def, sizeof(def)) == 0 ? def : "(none: no home)";
		u = shown(path);
		cli_say("cannot append to the action log %s: %s", u,
		        err == -EINVAL ? "not a regular file" : strerror(-err));
		free(u);
	}
}

static void recover_summary(FILE *out, bool json, uint32_t ino, const struct off_copy_result *r,
                            bool ok, char lines[][AFTER_LEN], size_t n)
{
	char sz[16];

	if (json) {
		struct json j;
		cli_json_result_begin(&j, out, ok, "offline-copy");
		json_key(&j, "ino");
		json_uint(&j, ino);
		json_key(&j, "target");
		json_str(&j, r->final_path[0] ? r->final_path : NULL);
		json_key(&j, "size");
		json_uint(&j, r->size);
		json_key(&j, "bytes_read");
		json_uint(&j, r->bytes_read);
		json_key(&j, "bytes_written");
		json_uint(&j, r->bytes_written);
		json_key(&j, "verified");
		json_bool(&j, r->verified);
		json_key(&j, "seconds_copy");
		json_double(&j, r->seconds_copy);
		json_key(&j, "seconds_verify");
		json_double(&j, r->seconds_verify);
		json_key(&j, "message");
		json_str(&j, r->message);
		json_obj_end(&j);
		cli_json_checks(&j, lines, n);
		return;
	}
	if (ok) {
		char *t = shown(r->final_path);
		fprintf(out, "Rescued: inode %" PRIu32 " -> %s (%s, verified)\n", ino, t,
		        fmt_size(sz, sizeof(sz), r->size));
		free(t);
	}
	if (n)
		fprintf(out, "Next:\n");
	for (size_t i = 0; i < n; i++) {
		char *l = shown(lines[i]);
		fprintf(out, "  - %s\n", l);
		free(l);
	}
}

/* A copy of blocks already freed may hold other data: say so before copying. */
static void warn_not_intact(struct off_fs *fs, uint32_t ino)
{
	struct off_entry e;

	if (off_describe(fs, ino, OFF_SRC_TABLE, &e) == 0 && e.blocks == OFF_BLOCKS_TRUNCATED)
		cli_say("warning: inode %" PRIu32 "'s data is %s (%s): the copy may hold zeros "
		        "or another file's bytes there",
		        ino, off_blocks_name(e.blocks), e.note);
}

static int cmd_recover(const struct offline_opts *o, uint32_t ino)
{
	struct off_fs *fs;
	struct off_copy_result r;
	char dest[4096], lines[AFTER_MAX][AFTER_LEN];
	bool resume, tty = isatty(STDERR_FILENO);
	size_t n;
	int err;

	if (refuse_mounted(o->dev) || open_or_say(o->dev, false, &fs))
		return 1;
	warn_not_intact(fs, ino);
	err = dest_resolve(o->to, "", 0, ino, dest, sizeof(dest), &resume);
	if (err == 0 && resume)
		err = -EEXIST;
	if (err < 0) {
		char *t = shown(o->to);
		cli_say("cannot write to %s: %s%s", t, strerror(-err),
		        err == -EEXIST ? " (rescuetui never overwrites: choose a new name or a "
		                         "directory)"
		                       : "");
		free(t);
		off_close(fs, NULL);
		return 1;
	}
	err = off_recover(fs, ino, dest, tty ? progress : NULL, NULL, &r);
	off_close(fs, NULL);
	if (tty)
		fputc('\n', stderr);
	if (err < 0) {
		char *m = shown(r.message[0] ? r.message : strerror(-err));
		cli_say("inode %" PRIu32 " was not rescued: %s", ino, m);
		free(m);
	}
	n = off_recover_checks(o->dev, &r, err == 0, lines);
	recover_summary(stdout, o->json, ino, &r, err == 0, lines, n);
	log_it(o, "offline-copy", ino, r.final_path[0] ? r.final_path : dest, r.bytes_written,
	       err == 0 ? "ok" : (r.message[0] ? r.message : strerror(-err)));
	return err == 0 && cli_finish_output() == 0 ? 0 : 1;
}

/* What e2fsck -fn said, line by line (escaped), at most FSCK_LINES of it. */
static void fsck_verdict(FILE *out, const struct off_relink_result *r, int fsck, const char *fout)
{
	const char *line = fout;
	int shown_lines = 0;

	if (fsck == 0) {
		fprintf(out, "e2fsck -fn: clean.\n");
		return;
	}
	if (fsck < 0) {
		fprintf(out, "e2fsck -fn could not run (%s): run it yourself.\n", strerror(-fsck));
		return;
	}
	fprintf(out, "e2fsck -fn exited %d (it changed nothing)%s; it said:\n", fsck,
	        r->remaining ? ", as expected while other orphans are on the list: it cannot "
	                       "release them read-only"
	                     : "");
	while (*line && shown_lines < FSCK_LINES) {
		size_t n = strcspn(line, "\n");
		char *l = esc_display(line, n);
		fprintf(out, "    %s\n", l ? l : "?");
		free(l);
		line += n + (line[n] == '\n');
		shown_lines++;
	}
	if (*line)
		fprintf(out, "    ...\n");
}

static void relink_summary(FILE *out, const struct offline_opts *o, uint32_t ino,
                           const struct off_relink_result *r, int fsck, const char *fout, bool ok)
{
	char *q = sh_quoted(o->dev);
	char fsck_cmd[8300];

	off_fsck_command(o->dev, fsck_cmd, sizeof(fsck_cmd));
	if (o->json) {
		struct json j;
		cli_json_result_begin(&j, out, ok, "offline-relink");
		json_key(&j, "ino");
		json_uint(&j, ino);
		json_key(&j, "path");
		json_str(&j, r->path[0] ? r->path : NULL);
		json_key(&j, "from_list");
		json_bool(&j, r->from_list);
		json_key(&j, "from_orphan_file");
		json_bool(&j, r->from_orphan_file);
		json_key(&j, "remaining_orphans");
		json_uint(&j, r->remaining);
		json_key(&j, "fsck_status");
		json_int(&j, fsck);
		json_key(&j, "fsck_clean");
		json_bool(&j, fsck == 0);
		json_key(&j, "fsck_output");
		json_str(&j, fout);
		json_key(&j, "message");
		json_str(&j, r->message);
		json_key(&j, "next");
		json_str(&j, fsck_cmd);
		json_obj_end(&j);
		json_obj_end(&j);
	} else if (ok) {
		char *p = shown(r->path);
		fprintf(out, "Relinked: inode %" PRIu32 " is %s on %s now (1 link%s).\n", ino, p, q,
		        r->from_list          ? ", off the orphan list"
		        : r->from_orphan_file ? ", out of the orphan file"
		                              : "");
		free(p);
		fsck_verdict(out, r, fsck, fout);
		fprintf(out, "Next:\n");
		if (r->remaining)
			fprintf(out,
			        "  - %zu other orphans are still there and e2fsck -f will free "
			        "them: copy out or relink the ones you want first (--list).\n",
			        r->remaining);
		fprintf(out, "  - Before mounting, run: e2fsck -f %s\n", q);
	}
	free(q);
}

/* Ask (unless --yes), then relink. Returns 0, 1 when the answer was no or the
 * device could not be opened (said), or off_relink's error with R->message. */
static int ask_and_relink(const struct offline_opts *o, uint32_t ino, const char *d,
                          struct off_relink_result *r)
{
	struct off_fs *fs;
	char why[OFF_WHY_LEN] = "", def[64], *n;
	int err;

	off_relink_default_name(ino, def, sizeof(def));
	n = shown(o->name ? o->name + strspn(o->name, "/") : def);
	fprintf(stderr,
	        "relink inode %" PRIu32 " of %s as /%s\n  This WRITES to %s: a directory "
	        "entry, the inode's link count, the orphan list. Copy out first (--recover) "
	        "if in doubt.\n",
	        ino, d, n, d);
	free(n);
	if (!o->yes && !cli_ask("Proceed?")) {
		cli_say("nothing done");
		return 1;
	}
	if (open_or_say(o->dev, true, &fs))
		return 1;
	err = off_relink(fs, ino, o->name, r);
	if (off_close(fs, why) < 0 && err == 0) {
		err = -EIO;
		snprintf(r->message, sizeof(r->message), "%s", why);
	}
	return err;
}

static int cmd_relink(const struct offline_opts *o, uint32_t ino)
{
	struct off_fs *fs;
	struct off_relink_result r = {0};
	char fout[OFF_FSCK_OUT_LEN] = "";
	char *d = shown(o->dev);
	int err, fsck = -1;

	if (refuse_mounted(o->dev) || open_or_say(o->dev, false, &fs)) {
		free(d);
		return 1;
	}
	/* A name the relink would refuse is refused before the question (the console
	 * makes the same check under its name field). */
	err = off_relink_check(fs, ino, o->name, r.message);
	off_close(fs, NULL);
	if (err == 0)
		err = ask_and_relink(o, ino, d, &r);
	if (err == 1) {
		free(d);
		return 1;
	}
	if (err < 0) {
		char *m = shown(r.message[0] ? r.message : strerror(-err));
		cli_say("inode %" PRIu32 " was not relinked: %s", ino, m);
		free(m);
	} else {
		fsck = off_fsck(o->dev, fout, sizeof(fout));
	}
	relink_summary(stdout, o, ino, &r, fsck, fout, err == 0);
	log_it(o, "offline-relink", ino, r.path[0] ? r.path : NULL, 0,
	       err == 0 ? (fsck == 0 ? "ok, e2fsck -fn clean" : "ok, e2fsck -fn not clean")
	                : (r.message[0] ? r.message : strerror(-err)));
	free(d);
	return err == 0 && cli_finish_output() == 0 ? 0 : 1;
}

/* Usage errors: which options go together. Returns 0 or prints and returns 2. */
static int check_usage(const struct offline_opts *o, uint32_t *ino)
{
	const char *bad = NULL;
	int actions = (o->recover != NULL) + (o->relink != NULL) + o->list;

	if (!o->dev)
		bad = "--deep, --relink and --name go with --offline DEVICE";
	else if (o->other)
		bad = "--offline goes with --list, --json, --deep, --recover INODE --to PATH, "
		      "--relink INODE [--name NAME] --yes and --log only";
	else if (actions > 1)
		bad = "--offline does one of --list, --recover and --relink";
	else if (o->recover && !o->to)
		bad = "--offline --recover needs --to PATH (a directory or a new file on another "
		      "filesystem)";
	else if (o->to && !o->recover)
		bad = "--to goes with --recover";
	else if (o->name && !o->relink)
		bad = "--name goes with --relink";
	else if (o->deep && (o->recover || o->relink))
		bad = "--deep goes with --list";
	else if (o->recover && strcmp(o->to, "-") == 0)
		bad = "--offline --recover writes a file: --to - is not supported";
	else if ((o->recover && parse_ino(o->recover, ino) < 0) ||
	         (o->relink && parse_ino(o->relink, ino) < 0))
		bad = "--recover and --relink want an inode number from --offline DEVICE --list";
	else if (o->relink && !o->yes && !isatty(STDIN_FILENO))
		bad = "--relink writes to the device: add --yes to run without a terminal";
	return bad ? cli_usage("%s", bad) : 0;
}

int cli_offline(const struct offline_opts *o)
{
	uint32_t ino = 0;
	int rc = check_usage(o, &ino);

	if (rc)
		return rc;
	if (o->recover)
		return cmd_recover(o, ino);
	if (o->relink)
		return cmd_relink(o, ino);
	return cmd_list(o);
}
