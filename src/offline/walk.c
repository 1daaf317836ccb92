/* walk: the three ways to find orphans (the chain, the orphan file, the inode
 * table), each bounded. See orphan.h. */
#include "offline/off_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Blocks of the orphan file read at most: the kernel sizes it at 1/4096 of the
 * filesystem, at most 8 MiB; more is damage. */
#define ORPHAN_FILE_MAX_BLOCKS 8192u
#define SEEN_FIRST             64u
#define ENTRIES_FIRST          16u

/* The inode numbers already met, so that a chain that loops and an inode on two
 * lists are noticed: open addressing, 0 is empty. */
struct seen {
	uint32_t *v;
	size_t cap, n;
};

static size_t seen_slot(const struct seen *s, uint32_t ino)
{
	size_t i = (ino * 2654435761u) & (s->cap - 1);

	while (s->v[i] && s->v[i] != ino)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool seen_has(const struct seen *s, uint32_t ino)
{
	return s->cap && s->v[seen_slot(s, ino)] == ino;
}

static int seen_add(struct seen *s, uint32_t ino)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct seen g = {.cap = s->cap ? s->cap * 2 : SEEN_FIRST};
		g.v = calloc(g.cap, sizeof(*g.v));
		if (!g.v)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i])
				g.v[seen_slot(&g, s->v[i])] = s->v[i];
		g.n = s->n;
		free(s->v);
		*s = g;
	}
	if (!s->v[seen_slot(s, ino)]) {
		s->v[seen_slot(s, ino)] = ino;
		s->n++;
	}
	return 0;
}

struct walk {
	struct off_fs *f;
	struct off_scan *out;
	struct seen seen;
	size_t cap;
	bool full; /* OFF_MAX_ENTRIES reached */
};

static void problem(struct walk *w, enum off_problem_kind kind, uint32_t ino, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(struct walk *w, enum off_problem_kind kind, uint32_t ino, const char *fmt, ...)
{
	struct off_problem *p;
	va_list ap;

	if (w->out->nprob >= OFF_MAX_PROBLEMS)
		return;
	p = &w->out->prob[w->out->nprob++];
	p->kind = kind;
	p->ino = ino;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
}

/* Describe INO and add it. Returns 0, or -ENOMEM; a full list stops quietly after
 * one TOO_MANY problem. */
static int add_entry(struct walk *w, uint32_t ino, enum off_source src)
{
	struct off_scan *o = w->out;
	int err;

	if (o->n >= OFF_MAX_ENTRIES) {
		if (!w->full)
			problem(w, OFF_PROB_TOO_MANY, ino,
			        "more than %u orphans: the rest are not listed", OFF_MAX_ENTRIES);
		w->full = true;
		return 0;
	}
	if (o->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : ENTRIES_FIRST;
		struct off_entry *v = realloc(o->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		o->v = v;
		w->cap = cap;
	}
	err = off_describe(w->f, ino, src, &o->v[o->n]);
	if (err < 0) {
		problem(w, OFF_PROB_READ, ino, "inode %u cannot be read: %s", ino, strerror(-err));
		return 0;
	}
	o->n++;
	return seen_add(&w->seen, ino);
}

/* The classic list: s_last_orphan, then each inode's i_dtime names the next. */
static int walk_chain(struct walk *w)
{
	uint32_t ino = w->f->fs->super->s_last_orphan, prev = 0;
	struct ext2_inode_large in;
	int err;

	while (ino) {
		if (!off_ino_ok(w->f, ino)) {
			problem(w, OFF_PROB_RANGE, ino,
			        "the orphan list points to inode %u%s%u, outside the inode table "
			        "(1..%u): the rest of the list is lost",
			        ino, prev ? " after " : "", prev, w->f->fs->super->s_inodes_count);
			return 0;
		}
		if (seen_has(&w->seen, ino)) {
			problem(w, OFF_PROB_LOOP, ino,
			        "the orphan list comes back to inode %u: it loops; followed once",
			        ino);
			return 0;
		}
		err = off_read_inode(w->f, ino, &in);
		if (err < 0) {
			problem(w, OFF_PROB_READ, ino,
			        "inode %u on the orphan list cannot be read (%s): the rest of "
			        "the list is lost",
			        ino, strerror(-err));
			return 0;
		}
		if (in.i_mode == 0) {
			problem(w, OFF_PROB_NOT_INUSE, ino,
			        "the orphan list names inode %u, which is free: the list is "
			        "damaged from there",
			        ino);
			return 0;
		}
		err = add_entry(w, ino, OFF_SRC_LIST);
		if (err < 0 || w->full)
			return err;
		prev = ino;
		ino = in.i_dtime;
	}
	return 0;
}

/* One block of the orphan file: inode numbers, then a tail with a magic. */
static int orphan_block(struct walk *w, uint32_t ofile, uint64_t pblk, char *buf)
{
	struct ext2_super_block *s = w->f->fs->super;
	int per = ext2fs_inodes_per_orphan_block(w->f->fs);
	errcode_t e = io_channel_read_blk64(w->f->fs->io, pblk, 1, buf);
	const uint32_t *slot = (const uint32_t *)buf;
	int err;

	if (e) {
		problem(w, OFF_PROB_READ, ofile, "orphan file block %llu cannot be read: %s",
		        (unsigned long long)pblk, error_message(e));
		return 0;
	}
	if (ext2fs_le32_to_cpu(ext2fs_orphan_block_tail(w->f->fs, buf)->ob_magic) !=
	    EXT4_ORPHAN_BLOCK_MAGIC) {
		problem(w, OFF_PROB_ORPHAN_FILE, ofile,
		        "orphan file block %llu has no orphan block magic: skipped",
		        (unsigned long long)pblk);
		return 0;
	}
	for (int i = 0; i < per; i++) {
		uint32_t ino = ext2fs_le32_to_cpu(slot[i]);
		if (!ino || seen_has(&w->seen, ino))
			continue;
		if (!off_ino_ok(w->f, ino)) {
			problem(w, OFF_PROB_RANGE, ino,
			        "the orphan file names inode %u, outside the inode table (1..%u)",
			        ino, s->s_inodes_count);
			continue;
		}
		err = add_entry(w, ino, OFF_SRC_ORPHAN_FILE);
		if (err < 0 || w->full)
			return err;
	}
	return 0;
}

/* The orphan_file feature: a hidden file whose blocks hold orphan inode numbers. */
static int walk_orphan_file(struct walk *w)
{
	uint32_t ofile = w->f->fs->super->s_orphan_file_inum;
	char why[OFF_WHY_LEN] = "";
	struct off_run *v = NULL;
	size_t n = 0;
	uint64_t nblocks = 0;
	char *buf;
	int err;

	if (!off_ino_ok(w->f, ofile)) {
		problem(w, OFF_PROB_ORPHAN_FILE, ofile,
		        "the superblock's orphan file inode %u is outside the inode table", ofile);
		return 0;
	}
	err = off_runs(w->f, ofile, &v, &n, why);
	if (err < 0) {
		problem(w, OFF_PROB_ORPHAN_FILE, ofile, "the orphan file cannot be read: %s",
		        why[0] ? why : strerror(-err));
		return err == -ENOMEM ? err : 0;
	}
	buf = malloc(w->f->fs->blocksize);
	if (!buf) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err && !w->full; i++) {
		for (uint32_t b = 0; b < v[i].len && !err && !w->full; b++) {
			if (++nblocks > ORPHAN_FILE_MAX_BLOCKS) {
				problem(w, OFF_PROB_ORPHAN_FILE, ofile,
				        "the orphan file has more than %u blocks: the rest is "
				        "skipped",
				        ORPHAN_FILE_MAX_BLOCKS);
				goto out;
			}
			if (!v[i].uninit)
				err = orphan_block(w, ofile, v[i].pblk + b, buf);
		}
	}
out:
	free(buf);
	free(v);
	return err;
}

/* Errors of one inode that do not stop a table walk. */
static bool scan_error_skippable(errcode_t e)
{
	return e == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE || e == EXT2_ET_INODE_CSUM_INVALID ||
	       e == EXT2_ET_INODE_IS_GARBAGE;
}

/* Without a journal there is no list: every inode in use with no links and a mode
 * is a deleted file something still had open (or one a crash left behind). */
static int walk_table(struct walk *w)
{
	ext2_filsys fs = w->f->fs;
	ext2_inode_scan scan;
	struct ext2_inode_large in;
	ext2_ino_t ino;
	bool bitmap = fs->inode_map || ext2fs_read_inode_bitmap(fs) == 0;
	errcode_t e;
	int err = 0;

	if (!bitmap)
		problem(w, OFF_PROB_READ, 0,
		        "the inode bitmap cannot be read: inodes with no links are listed "
		        "whether they are in use or not");
	e = ext2fs_open_inode_scan(fs, 0, &scan);
	if (e) {
		problem(w, OFF_PROB_READ, 0, "the inode table cannot be walked: %s",
		        error_message(e));
		return 0;
	}
	ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
	for (;;) {
		e = ext2fs_get_next_inode_full(scan, &ino, (struct ext2_inode *)&in, sizeof(in));
		if (e && !scan_error_skippable(e)) {
			problem(w, OFF_PROB_READ, ino, "the inode table walk stopped: %s",
			        error_message(e));
			break;
		}
		if (!ino)
			break;
		if (e || ino < EXT2_FIRST_INO(fs->super) || in.i_mode == 0 ||
		    in.i_links_count != 0 || seen_has(&w->seen, ino))
			continue;
		if (bitmap ? !ext2fs_test_inode_bitmap2(fs->inode_map, ino) : in.i_dtime != 0)
			continue;
		err = add_entry(w, ino, OFF_SRC_TABLE);
		if (err < 0 || w->full)
			break;
	}
	ext2fs_close_inode_scan(scan);
	return err;
}

int off_scan(struct off_fs *f, bool deep, struct off_scan *out)
{
	struct walk w = {.f = f, .out = out};
	int err;

	memset(out, 0, sizeof(*out));
	off_info(f, &out->info);
	out->prob = calloc(OFF_MAX_PROBLEMS, sizeof(*out->prob));
	if (!out->prob)
		return -ENOMEM;
	out->deep = deep || !out->info.journal;
	err = walk_chain(&w);
	if (!err && !w.full && out->info.orphan_file)
		err = walk_orphan_file(&w);
	if (!err && !w.full && out->deep)
		err = walk_table(&w);
	free(w.seen.v);
	if (err < 0) {
		off_scan_free(out);
		return err;
	}
	return 0;
}

void off_scan_free(struct off_scan *s)
{
	free(s->v);
	free(s->prob);
	memset(s, 0, sizeof(*s));
}
