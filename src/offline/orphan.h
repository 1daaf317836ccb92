/* orphan: deleted-but-open inodes on an UNMOUNTED ext2/3/4 filesystem (libext2fs).
 *
 * When a machine dies while a deleted file is still open, ext3/4 keep that inode on
 * an orphan list until the next mount or fsck frees it: the classic chain that
 * starts at the superblock's s_last_orphan and goes on through each inode's i_dtime,
 * and, with the orphan_file feature, the slots of a hidden orphan file. ext2 keeps
 * no list (no journal): there, and with DEEP anywhere, the inode table is walked for
 * inodes in use that have no links.
 *
 * The result is an array of plain structs (struct off_entry) that any face can show
 * (the CLI prints it; a console list view can page through it). Nothing here prints.
 * Every walk is bounded: a loop in the chain, an inode number outside the table or a
 * damaged block map is recorded as a problem and the walk goes on without it.
 * Errors are negative errno values; libext2fs' own codes are translated, and its
 * message is kept in WHY buffers for the face to show.
 */
#ifndef RT_ORPHAN_H
#define RT_ORPHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define OFF_WHY_LEN  256
#define OFF_NOTE_LEN 160

struct off_fs;

/* Where an orphan was found. */
enum off_source {
	OFF_SRC_LIST,        /* the s_last_orphan chain */
	OFF_SRC_ORPHAN_FILE, /* a slot of the orphan file */
	OFF_SRC_TABLE,       /* the inode table walk: in use, no links */
};

/* What the inode's data looks like. */
enum off_blocks {
	OFF_BLOCKS_INTACT,    /* the map reads, every block is in range and allocated */
	OFF_BLOCKS_TRUNCATED, /* the map reads but blocks are gone: size 0 with blocks
	                       * counted, or mapped blocks, or blocks of the map itself
	                       * (tree nodes, indirect blocks), the bitmap calls free */
	OFF_BLOCKS_DAMAGED,   /* the extent tree or block map cannot be read, or points
	                       * outside the filesystem */
};

/* One orphan inode: everything a face needs, no pointers. */
struct off_entry {
	uint32_t ino;
	enum off_source source;
	uint64_t size;      /* i_size */
	uint64_t allocated; /* bytes of i_blocks */
	uint64_t mapped;    /* bytes of data blocks the map gives (holes excluded) */
	uint32_t mode;      /* i_mode: type and permission bits as stat(2) gives them */
	uint32_t uid, gid;
	int64_t mtime; /* seconds since the epoch */
	uint32_t links;
	enum off_blocks blocks;
	bool inline_data;        /* the data lives in the inode itself */
	char note[OFF_NOTE_LEN]; /* why not intact, or what else to know; "" */
};

enum off_problem_kind {
	OFF_PROB_LOOP,        /* the chain comes back to an inode already seen */
	OFF_PROB_RANGE,       /* an inode number outside 1..s_inodes_count */
	OFF_PROB_NOT_INUSE,   /* the chain names an inode that is free or has links */
	OFF_PROB_READ,        /* an inode or a block could not be read */
	OFF_PROB_ORPHAN_FILE, /* the orphan file is damaged (magic, size) */
	OFF_PROB_TOO_MANY,    /* more orphans than OFF_MAX_ENTRIES: the rest are left out */
};

struct off_problem {
	enum off_problem_kind kind;
	uint32_t ino; /* the inode concerned, 0 when none */
	char what[OFF_WHY_LEN];
};

/* What the superblock says, for the face to explain. */
struct off_info {
	char fstype[8]; /* "ext2", "ext3", "ext4" */
	uint32_t block_size;
	uint32_t inodes_count;
	uint64_t blocks_count;
	bool journal;        /* has_journal */
	bool needs_recovery; /* the journal holds transactions not yet written back */
	bool orphan_file;    /* the orphan_file feature */
	bool clean;          /* s_state says cleanly unmounted */
	bool short_device;   /* the device or image is smaller than the filesystem */
	uint32_t last_orphan;
};

struct off_scan {
	struct off_info info;
	bool deep; /* the inode table was walked */
	struct off_entry *v;
	size_t n;
	struct off_problem *prob;
	size_t nprob;
};

#define OFF_MAX_ENTRIES  (1u << 20) /* orphans reported at most */
#define OFF_MAX_PROBLEMS 64u        /* problems recorded at most */

/* Is the filesystem at PATH (a block device or an image file) mounted anywhere we
 * can see? Checks the mount table (ext2fs_check_mount_point) and, for an image file,
 * every loop device backed by it. Returns 1 and writes where (a mountpoint, or the
 * loop device and its mountpoint) into WHERE, 0 when not mounted, or a negative
 * errno. A device opened exclusively by someone else (mounted in another mount
 * namespace, or in use by another tool) counts as mounted. */
int off_mounted(const char *path, char *where, size_t len);

/* Open the ext filesystem at PATH. Read-only unless RW (RW is for off_relink only;
 * it fails with -EBUSY when PATH is mounted). Returns 0 and *OUT (free with
 * off_close), or a negative errno with a message in WHY: -EINVAL not an ext
 * filesystem, -EUCLEAN damaged superblock or group descriptors, -EIO a read failed
 * (a truncated image), -EOPNOTSUPP features libext2fs does not know, -ENOENT,
 * -EACCES. */
int off_open(const char *path, bool rw, struct off_fs **out, char why[OFF_WHY_LEN]);

/* Close. After off_relink this writes the superblock and bitmaps; returns 0 or a
 * negative errno with WHY (which may be NULL). FS is freed in any case. */
int off_close(struct off_fs *fs, char *why);

/* The superblock's facts. */
void off_info(const struct off_fs *fs, struct off_info *out);

/* The path FS was opened from (owned by FS). */
const char *off_path(const struct off_fs *fs);

/* Find the orphans: the chain, the orphan file, and the inode table when DEEP or
 * when there is no journal. Fills *OUT (free with off_scan_free). Returns 0 (damage
 * found on the way is in OUT->prob), or -ENOMEM. */
int off_scan(struct off_fs *fs, bool deep, struct off_scan *out);

/* Free what off_scan filled. */
void off_scan_free(struct off_scan *s);

/* Describe inode INO as an entry (SOURCE as given). Returns 0, -ERANGE for a number
 * outside the inode table, -EIO when it cannot be read. */
int off_describe(struct off_fs *fs, uint32_t ino, enum off_source source, struct off_entry *out);

/* "list", "orphan_file", "inode_table". */
const char *off_source_name(enum off_source s);
/* "intact", "truncated", "damaged". */
const char *off_blocks_name(enum off_blocks b);
/* "loop", "range", "not_in_use", "read", "orphan_file", "too_many". */
const char *off_problem_name(enum off_problem_kind k);

/* A run of data blocks: logical LBLK.. LBLK+LEN-1 at physical PBLK. UNINIT runs
 * (preallocated, unwritten) read as zeros. */
struct off_run {
	uint64_t lblk, pblk;
	uint32_t len;
	bool uninit;
};

/* The data runs of inode INO, in logical order. *RUNS is malloc'ed (free it), *N
 * runs. Returns 0, -EUCLEAN when the map is damaged (out of range, out of order, an
 * unreadable tree; WHY says which), -EIO, -ENOMEM, -EINVAL for inline data (no
 * blocks). */
int off_runs(struct off_fs *fs, uint32_t ino, struct off_run **runs, size_t *n,
             char why[OFF_WHY_LEN]);

#endif
