/* map: an inode's data runs, and whether they look intact. See orphan.h. */
#include "offline/off_impl.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUNS_FIRST 16u
/* Extent steps allowed beyond the filesystem's block count before a tree counts as
 * damaged: a cycle in a corrupted tree must end. */
#define MAP_SLACK_STEPS 64u

struct runs {
	struct off_fs *f;
	struct off_run *v;
	size_t n, cap;
	uint64_t next_lblk; /* logical blocks before this are taken */
	uint64_t blocks;    /* mapped so far */
	uint64_t limit;     /* more mapped blocks than this is damage */
	char *why;
	int err;
	/* Not NULL: count here the map's own blocks (extent tree nodes below the
	 * inode, indirect blocks) that the block bitmap, read already, calls free. */
	int64_t *map_free;
};

static void map_block(struct runs *r, uint64_t blk)
{
	if (r->map_free && blk < ext2fs_blocks_count(r->f->fs->super) &&
	    !ext2fs_test_block_bitmap2(r->f->fs->block_map, blk))
		(*r->map_free)++;
}

/* Append (or extend the last run with) LEN blocks at LBLK -> PBLK, after checking
 * that they lie inside the filesystem and after what came before. */
static int runs_add(struct runs *r, uint64_t lblk, uint64_t pblk, uint64_t len, bool uninit)
{
	const struct ext2_super_block *s = r->f->fs->super;
	uint64_t total = ext2fs_blocks_count(r->f->fs->super);
	struct off_run *last = r->n ? &r->v[r->n - 1] : NULL;

	if (len == 0 || pblk < s->s_first_data_block || pblk >= total || len > total - pblk)
		return off_fail(r->why, 0, -EUCLEAN,
		                "blocks %llu..%llu lie outside the filesystem (%llu blocks)",
		                (unsigned long long)pblk, (unsigned long long)(pblk + len - 1),
		                (unsigned long long)total);
	if (lblk < r->next_lblk)
		return off_fail(r->why, 0, -EUCLEAN,
		                "the map goes back to logical block %llu after %llu",
		                (unsigned long long)lblk, (unsigned long long)r->next_lblk);
	r->blocks += len;
	if (r->blocks > r->limit)
		return off_fail(r->why, 0, -EUCLEAN, "the map names more blocks than there are");
	r->next_lblk = lblk + len;
	if (last && last->lblk + last->len == lblk && last->pblk + last->len == pblk &&
	    last->uninit == uninit && (uint64_t)last->len + len <= UINT32_MAX) {
		last->len += (uint32_t)len;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : RUNS_FIRST;
		struct off_run *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] =
	    (struct off_run){.lblk = lblk, .pblk = pblk, .len = (uint32_t)len, .uninit = uninit};
	return 0;
}

static int runs_from_extents(struct runs *r, uint32_t ino, struct ext2_inode_large *in)
{
	ext2_extent_handle_t h;
	struct ext2fs_extent ex;
	errcode_t e;
	uint64_t steps = 0;
	int err = 0, op = EXT2_EXTENT_ROOT;

	e = ext2fs_extent_open2(r->f->fs, ino, (struct ext2_inode *)in, &h);
	if (e)
		return off_fail(r->why, e, -EUCLEAN, "the extent tree cannot be opened");
	for (;;) {
		e = ext2fs_extent_get(h, op, &ex);
		op = EXT2_EXTENT_NEXT;
		if (e == EXT2_ET_EXTENT_NO_NEXT || e == EXT2_ET_EXTENT_NO_DOWN) {
			/* An empty root has no first extent: that is a file of holes. */
			break;
		}
		if (e) {
			err = off_fail(r->why, e, -EUCLEAN, "the extent tree cannot be read");
			break;
		}
		if (++steps > r->limit + MAP_SLACK_STEPS) {
			err = off_fail(r->why, 0, -EUCLEAN, "the extent tree does not end");
			break;
		}
		if (ex.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT)
			continue;
		if (!(ex.e_flags & EXT2_EXTENT_FLAGS_LEAF)) {
			map_block(r, ex.e_pblk); /* the node below this index entry */
			continue;
		}
		err = runs_add(r, ex.e_lblk, ex.e_pblk, ex.e_len,
		               (ex.e_flags & EXT2_EXTENT_FLAGS_UNINIT) != 0);
		if (err)
			break;
	}
	ext2fs_extent_free(h);
	return err;
}

static int block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref_blk,
                    int ref_offset, void *priv)
{
	struct runs *r = priv;

	(void)fs;
	(void)ref_blk;
	(void)ref_offset;
	if (blockcnt < 0) {
		map_block(r, *blocknr); /* an indirect block */
		return 0;
	}
	r->err = runs_add(r, (uint64_t)blockcnt, *blocknr, 1, false);
	return r->err ? BLOCK_ABORT : 0;
}

static int runs_from_blockmap(struct runs *r, uint32_t ino)
{
	errcode_t e = ext2fs_block_iterate3(
	    r->f->fs, ino, BLOCK_FLAG_READ_ONLY | (r->map_free ? 0 : BLOCK_FLAG_DATA_ONLY), NULL,
	    block_cb, r);

	if (r->err)
		return r->err;
	if (e)
		return off_fail(r->why, e, -EUCLEAN, "the block map cannot be read");
	return 0;
}

/* off_runs(), and with MAP_FREE (the bitmap read) the count of the map's own blocks
 * marked free. */
static int runs_of(struct off_fs *f, uint32_t ino, struct off_run **out, size_t *n,
                   char why[OFF_WHY_LEN], int64_t *map_free)
{
	struct ext2_inode_large in;
	struct runs r = {.f = f, .why = why, .map_free = map_free};
	int err;

	*out = NULL;
	*n = 0;
	err = off_read_inode(f, ino, &in);
	if (err < 0)
		return off_fail(why, 0, err, "inode %u cannot be read", ino);
	if (in.i_flags & EXT4_INLINE_DATA_FL)
		return off_fail(why, 0, -EINVAL, "the data is inline, in the inode");
	if (!ext2fs_inode_has_valid_blocks2(f->fs, (struct ext2_inode *)&in))
		return 0;
	r.limit = ext2fs_blocks_count(f->fs->super);
	if (in.i_flags & EXT4_EXTENTS_FL)
		err = runs_from_extents(&r, ino, &in);
	else
		err = runs_from_blockmap(&r, ino);
	if (err) {
		free(r.v);
		return err;
	}
	*out = r.v;
	*n = r.n;
	return 0;
}

int off_runs(struct off_fs *f, uint32_t ino, struct off_run **out, size_t *n, char why[OFF_WHY_LEN])
{
	return runs_of(f, ino, out, n, why, NULL);
}

/* How many of the mapped blocks the block bitmap calls free. The bitmap is read
 * once per filesystem; -EIO when it cannot be. */
static int64_t blocks_free(struct off_fs *f, const struct off_run *v, size_t n)
{
	int64_t nfree = 0;

	if (!f->fs->block_map && ext2fs_read_block_bitmap(f->fs))
		return -EIO;
	for (size_t i = 0; i < n; i++)
		for (uint64_t b = v[i].pblk; b < v[i].pblk + v[i].len; b++)
			if (!ext2fs_test_block_bitmap2(f->fs->block_map, b))
				nfree++;
	return nfree;
}

/* Fill the blocks verdict of E from the data map of inode INO. */
static void judge_blocks(struct off_fs *f, uint32_t ino, const struct ext2_inode_large *in,
                         struct off_entry *e)
{
	char why[OFF_WHY_LEN] = "";
	struct off_run *v;
	size_t n;
	int64_t nfree, map_free = 0;
	bool bitmap;
	int err;

	if (in->i_flags & EXT4_INLINE_DATA_FL) {
		size_t sz = 0;
		e->inline_data = true;
		if (ext2fs_inline_data_size(f->fs, ino, &sz)) {
			e->blocks = OFF_BLOCKS_DAMAGED;
			snprintf(e->note, sizeof(e->note), "the inline data cannot be read");
		}
		e->mapped = sz;
		return;
	}
	/* the bitmap first: the map's own blocks are checked as the map is read */
	bitmap = f->fs->block_map || !ext2fs_read_block_bitmap(f->fs);
	err = runs_of(f, ino, &v, &n, why, bitmap ? &map_free : NULL);
	if (err < 0) {
		e->blocks = OFF_BLOCKS_DAMAGED;
		/* a note is a line on the screen: a longer reason is cut there */
		snprintf(e->note, sizeof(e->note), "%.*s", (int)sizeof(e->note) - 1,
		         why[0] ? why : strerror(-err));
		return;
	}
	for (size_t i = 0; i < n; i++)
		e->mapped += (uint64_t)v[i].len * f->fs->blocksize;
	nfree = blocks_free(f, v, n);
	free(v);
	if (nfree > 0) {
		e->blocks = OFF_BLOCKS_TRUNCATED;
		snprintf(e->note, sizeof(e->note),
		         "%lld mapped blocks are marked free: freed, maybe already reused",
		         (long long)nfree);
	} else if (map_free > 0) {
		e->blocks = OFF_BLOCKS_TRUNCATED;
		snprintf(e->note, sizeof(e->note),
		         "%lld blocks of its map (extent tree, indirect blocks) are marked free: "
		         "the map may be overwritten",
		         (long long)map_free);
	} else if (e->size == 0 && e->allocated > 0) {
		e->blocks = OFF_BLOCKS_TRUNCATED;
		snprintf(e->note, sizeof(e->note),
		         "size 0 with blocks allocated: a truncation "
		         "had begun");
	} else if (nfree < 0) {
		snprintf(e->note, sizeof(e->note),
		         "the block bitmap cannot be read: allocation not checked");
	}
}

int off_describe(struct off_fs *f, uint32_t ino, enum off_source source, struct off_entry *e)
{
	struct ext2_inode_large in;
	int err = off_read_inode(f, ino, &in);
	int64_t mtime;

	if (err < 0)
		return err;
	/* i_mtime is signed 32-bit; large inodes add epoch bits above it. */
	mtime = (int32_t)in.i_mtime;
	if (in.i_extra_isize >= offsetof(struct ext2_inode_large, i_mtime_extra) +
	                            sizeof(in.i_mtime_extra) - EXT2_GOOD_OLD_INODE_SIZE &&
	    EXT2_INODE_SIZE(f->fs->super) > EXT2_GOOD_OLD_INODE_SIZE)
		mtime += (int64_t)(in.i_mtime_extra & EXT4_EPOCH_MASK) << 32;
	*e = (struct off_entry){
	    .ino = ino,
	    .source = source,
	    .size = EXT2_I_SIZE(&in),
	    .allocated = ext2fs_get_stat_i_blocks(f->fs, (struct ext2_inode *)&in) * 512,
	    .mode = in.i_mode,
	    .uid = inode_uid(in),
	    .gid = inode_gid(in),
	    .mtime = mtime,
	    .links = in.i_links_count,
	    .blocks = OFF_BLOCKS_INTACT,
	};
	judge_blocks(f, ino, &in, e);
	if (e->links > 0 && !e->note[0])
		snprintf(e->note, sizeof(e->note),
		         "still has %u links: on the list for a truncation, not deleted", e->links);
	return 0;
}
