/* orphan: finding orphan inodes on an unmounted ext2/3/4. See orphan.h. */
#include "offline/off_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Blocks of the orphan file read at most: the kernel makes it 1/4096 of the
 * filesystem, capped at 8 MiB; anything larger is damage. */
#define ORPHAN_FILE_MAX_BLOCKS 8192u

int off_errno(errcode_t e)
{
	if (e == 0)
		return 0;
	if (e > 0 && e < 4096)
		return -(int)e;
	switch (e) {
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_UNEXPECTED_BLOCK_SIZE:
		return -EINVAL;
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
		return -EOPNOTSUPP;
	case EXT2_ET_SHORT_READ:
	case EXT2_ET_SHORT_WRITE:
		return -EIO;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	case EXT2_ET_FILE_NOT_FOUND:
		return -ENOENT;
	case EXT2_ET_BAD_INODE_NUM:
		return -ERANGE;
	case EXT2_ET_RO_FILSYS:
		return -EROFS;
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_BLOCK_ALLOC_FAIL:
		return -ENOSPC;
	default:
		return -EUCLEAN; /* the kernel's EFSCORRUPTED */
	}
}

int off_fail(char *why, errcode_t e, int fallback, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (why) {
		va_start(ap, fmt);
		n = vsnprintf(why, OFF_WHY_LEN, fmt, ap);
		va_end(ap);
		if (e && n >= 0 && n < OFF_WHY_LEN)
			snprintf(why + n, OFF_WHY_LEN - (size_t)n, ": %s", error_message(e));
	}
	return e ? off_errno(e) : fallback;
}

bool off_ino_ok(const struct off_fs *f, uint64_t ino)
{
	return ino >= 1 && ino <= f->fs->super->s_inodes_count;
}

int off_read_inode(struct off_fs *f, uint32_t ino, struct ext2_inode_large *in)
{
	errcode_t e;

	if (!off_ino_ok(f, ino))
		return -ERANGE;
	memset(in, 0, sizeof(*in));
	e = ext2fs_read_inode_full(f->fs, ino, (struct ext2_inode *)in, sizeof(*in));
	return off_errno(e);
}

/* --- is it mounted? ------------------------------------------------------------ */

static int mount_point_of(const char *dev, char *where, size_t len)
{
	int flags = 0;
	errcode_t e;

	where[0] = '\0';
	e = ext2fs_check_mount_point(dev, &flags, where, (int)len);
	if (e)
		return off_errno(e);
	if (flags & EXT2_MF_MOUNTED) {
		if (!where[0])
			snprintf(where, len, "(somewhere)");
		return 1;
	}
	if (flags & EXT2_MF_BUSY) {
		snprintf(where, len,
		         "(in use: opened exclusively, e.g. mounted in another "
		         "mount namespace)");
		return 1;
	}
	return 0;
}

/* The backing file of loop device PATH: false when PATH is no attached loop device. */
static bool loop_backing(const char *path, dev_t *dev, ino_t *ino)
{
	struct loop_info64 li;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool ok;

	if (fd < 0)
		return false;
	ok = ioctl(fd, LOOP_GET_STATUS64, &li) == 0;
	close(fd);
	if (ok) {
		*dev = (dev_t)li.lo_device;
		*ino = (ino_t)li.lo_inode;
	}
	return ok;
}

bool off_loop_backed_by(const char *name, dev_t dev, ino_t ino)
{
	char path[300];
	dev_t d;
	ino_t i;

	snprintf(path, sizeof(path), "/dev/%s", name);
	return loop_backing(path, &d, &i) && d == dev && i == ino;
}

/* A file DEV:INO is mounted through any loop device backed by it. */
static int file_mounted(dev_t dev, ino_t ino, char *where, size_t len)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int rc = 0;

	if (!d)
		return 0; /* no sysfs: the mount table check stands alone */
	while (rc == 0 && (de = readdir(d))) {
		char path[300], mp[4096];
		if (strncmp(de->d_name, "loop", 4) != 0 ||
		    !off_loop_backed_by(de->d_name, dev, ino))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (mount_point_of(path, mp, sizeof(mp)) == 1) {
			snprintf(where, len, "%s through %s", mp, path);
			rc = 1;
		}
	}
	closedir(d);
	return rc;
}

int off_mounted(const char *path, char *where, size_t len)
{
	struct stat st;
	dev_t bdev;
	ino_t bino;
	int rc;

	if (stat(path, &st) < 0)
		return -errno;
	rc = mount_point_of(path, where, len);
	if (rc != 0)
		return rc;
	if (S_ISREG(st.st_mode))
		return file_mounted(st.st_dev, st.st_ino, where, len);
	/* A loop device: another loop device on the same image may be the mounted one. */
	if (S_ISBLK(st.st_mode) && loop_backing(path, &bdev, &bino))
		return file_mounted(bdev, bino, where, len);
	return 0;
}

/* --- open and close ------------------------------------------------------------ */

int off_open(const char *path, bool rw, struct off_fs **out, char why[OFF_WHY_LEN])
{
	/* Read-only: checksums are ignored, so a crashed disk with a stale one still
	 * lists; writing goes only onto metadata that verifies. */
	int flags = EXT2_FLAG_64BITS |
	            (rw ? EXT2_FLAG_RW | EXT2_FLAG_EXCLUSIVE : EXT2_FLAG_IGNORE_CSUM_ERRORS);
	struct off_fs *f = calloc(1, sizeof(*f));
	errcode_t e;
	int err;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	if (stat(path, &f->st) < 0) {
		err = -errno;
		snprintf(why, OFF_WHY_LEN, "%s", strerror(errno));
		free(f);
		return err;
	}
	f->path = strdup(path);
	e = f->path ? ext2fs_open2(path, NULL, flags, 0, 0, unix_io_manager, &f->fs)
	            : EXT2_ET_NO_MEMORY;
	if (e) {
		if (e == EXT2_ET_BAD_MAGIC)
			snprintf(why, OFF_WHY_LEN, "no ext2/3/4 filesystem there (%s)",
			         error_message(e));
		else if (e == EXT2_ET_SHORT_READ)
			snprintf(why, OFF_WHY_LEN,
			         "the filesystem is larger than the device or image (a "
			         "truncated image?): %s",
			         error_message(e));
		else
			snprintf(why, OFF_WHY_LEN, "%s", error_message(e));
		free(f->path);
		free(f);
		return off_errno(e);
	}
	if (f->fs->super->s_inodes_count == 0 || f->fs->blocksize == 0) {
		snprintf(why, OFF_WHY_LEN, "the superblock counts no inodes: it is damaged");
		ext2fs_close_free(&f->fs);
		free(f->path);
		free(f);
		return -EUCLEAN;
	}
	f->rw = rw;
	*out = f;
	return 0;
}

int off_close(struct off_fs *f, char *why)
{
	errcode_t e;

	if (!f)
		return 0;
	e = ext2fs_close_free(&f->fs);
	free(f->path);
	free(f);
	return e ? off_fail(why, e, -EIO, "cannot write the filesystem's metadata") : 0;
}

const char *off_path(const struct off_fs *f)
{
	return f->path;
}

void off_info(const struct off_fs *f, struct off_info *o)
{
	struct ext2_super_block *s = f->fs->super;
	blk64_t dev_blocks = 0;

	*o = (struct off_info){
	    .block_size = f->fs->blocksize,
	    .inodes_count = s->s_inodes_count,
	    .blocks_count = ext2fs_blocks_count(f->fs->super),
	    .journal = ext2fs_has_feature_journal(s),
	    .needs_recovery = ext2fs_has_feature_journal_needs_recovery(s),
	    .orphan_file = ext2fs_has_feature_orphan_file(s),
	    .clean = (s->s_state & EXT2_VALID_FS) != 0,
	    .last_orphan = s->s_last_orphan,
	};
	/* A truncated image opens fine (only the start is read): say so up front. */
	if (ext2fs_get_device_size2(f->path, (int)f->fs->blocksize, &dev_blocks) == 0 &&
	    dev_blocks < o->blocks_count)
		o->short_device = true;
	/* What a person would call it: extents or the newer features mean ext4. */
	if (ext2fs_has_feature_extents(s) || ext2fs_has_feature_flex_bg(s) ||
	    ext2fs_has_feature_64bit(s) || ext2fs_has_feature_metadata_csum(s) ||
	    ext2fs_has_feature_huge_file(s) || ext2fs_has_feature_dir_nlink(s))
		snprintf(o->fstype, sizeof(o->fstype), "ext4");
	else
		snprintf(o->fstype, sizeof(o->fstype), "%s", o->journal ? "ext3" : "ext2");
}

const char *off_source_name(enum off_source s)
{
	static const char *const names[] = {"list", "orphan_file", "inode_table"};
	return (unsigned)s < 3 ? names[s] : "?";
}

const char *off_blocks_name(enum off_blocks b)
{
	static const char *const names[] = {"intact", "truncated", "damaged"};
	return (unsigned)b < 3 ? names[b] : "?";
}

const char *off_problem_name(enum off_problem_kind k)
{
	static const char *const names[] = {"loop", "range",       "not_in_use",
	                                    "read", "orphan_file", "too_many"};
	return (unsigned)k < 6 ? names[k] : "?";
}
