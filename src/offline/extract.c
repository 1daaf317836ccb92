/* extract: the copy of an orphan inode out of an unmounted ext fs. See extract.h. */
#include "offline/extract.h"
#include "offline/off_impl.h"

#include "base/compat.h"
#include "decide/dest.h"
#include "rescue/chash.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define CHUNK        (1u << 20) /* bytes per read and write */
#define DIRECT_ALIGN 4096u

int off_target_on_fs(const struct off_fs *f, const char *dir)
{
	struct stat st;
	char link[64], target[256];
	ssize_t n;

	if (stat(dir, &st) < 0)
		return -errno;
	if (S_ISBLK(f->st.st_mode))
		return st.st_dev == f->st.st_rdev;
	/* An image: a filesystem stored in it is mounted through a loop device. */
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return 0;
	target[n] = '\0';
	return off_loop_backed_by(basename(target), f->st.st_dev, f->st.st_ino);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int pwrite_all(int fd, const unsigned char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Everything one copy needs. */
struct cp {
	struct off_fs *f;
	uint32_t ino;
	int fd; /* the .partial */
	uint64_t size, done;
	unsigned char *buf; /* CHUNK bytes, aligned for O_DIRECT */
	struct chash *h; /* zeros cost nothing: a hole of any size is hashed at once */
	off_progress_fn progress;
	void *ctx;
	struct off_copy_result *res;
	bool keep; /* the .partial stays: it does not read back as written */
};

/* One run of data blocks, clipped to the file's size; *POS is where the hash is. */
static int copy_run(struct cp *c, const struct off_run *r, uint64_t *pos)
{
	uint32_t bs = c->f->fs->blocksize, per = CHUNK / bs;
	uint64_t start = r->lblk * bs;

	if (start >= c->size || r->uninit)
		return 0; /* past the end (preallocated), or unwritten: a hole */
	chash_zeros(c->h, start - *pos);
	for (uint32_t b = 0; b < r->len && r->lblk + b < (c->size + bs - 1) / bs; b += per) {
		uint32_t nb = r->len - b < per ? r->len - b : per;
		uint64_t off = (r->lblk + b) * bs, n = (uint64_t)nb * bs;
		errcode_t e;
		int err;
		if (off + n > c->size)
			n = c->size - off;
		e = io_channel_read_blk64(c->f->fs->io, r->pblk + b, (int)nb, c->buf);
		if (e)
			return off_fail(c->res->message, e, -EIO, "cannot read blocks %llu..%llu",
			                (unsigned long long)(r->pblk + b),
			                (unsigned long long)(r->pblk + b + nb - 1));
		chash_update(c->h, c->buf, n);
		err = pwrite_all(c->fd, c->buf, n, off);
		if (err)
			return off_fail(c->res->message, 0, err, "cannot write the copy: %s",
			                strerror(-err));
		c->res->bytes_read += n;
		c->res->bytes_written += n;
		*pos = off + n;
		if (c->progress && c->progress(c->ctx, *pos, c->size))
			return off_fail(c->res->message, 0, -ECANCELED, "cancelled");
	}
	return 0;
}

static int copy_inline(struct cp *c, struct ext2_inode_large *in)
{
	size_t sz = 0;
	errcode_t e = ext2fs_inline_data_size(c->f->fs, c->ino, &sz);
	int err;

	if (!e && sz > CHUNK)
		e = EXT2_ET_INLINE_DATA_CANT_ITERATE;
	if (!e)
		e = ext2fs_inline_data_get(c->f->fs, c->ino, (struct ext2_inode *)in, c->buf, &sz);
	if (e)
		return off_fail(c->res->message, e, -EUCLEAN, "cannot read the inline data");
	if (sz > c->size)
		sz = (size_t)c->size;
	chash_update(c->h, c->buf, sz);
	err = pwrite_all(c->fd, c->buf, sz, 0);
	if (err)
		return off_fail(c->res->message, 0, err, "cannot write the copy: %s",
		                strerror(-err));
	c->res->bytes_read = c->res->bytes_written = sz;
	chash_zeros(c->h, c->size - sz);
	return 0;
}

static int copy_data(struct cp *c, struct ext2_inode_large *in)
{
	struct off_run *v;
	size_t n;
	uint64_t pos = 0;
	int err;

	if (ftruncate(c->fd, (off_t)c->size) < 0)
		return off_fail(c->res->message, 0, -errno, "cannot size the copy: %s",
		                strerror(errno));
	if (in->i_flags & EXT4_INLINE_DATA_FL)
		return copy_inline(c, in);
	err = off_runs(c->f, c->ino, &v, &n, c->res->message);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = copy_run(c, &v[i], &pos);
	free(v);
	if (!err)
		chash_zeros(c->h, c->size - pos);
	return err;
}

/* Read the result back and hash it: its data as read, its holes (SEEK_HOLE) as
 * zeros without reading them, so that a file of any size costs what its data costs. */
static int read_back(struct cp *c, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
	struct chash *h = chash_new();
	uint64_t pos = 0;
	int err = 0;

	if (fd < 0) /* tmpfs and a few others refuse O_DIRECT */
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !h) {
		err = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	while (pos < c->size && !err) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA), e;
		if (d < 0 && errno != ENXIO) {
			err = -errno;
			break;
		}
		if (d < 0 || (uint64_t)d >= c->size) { /* only a hole left */
			chash_zeros(h, c->size - pos);
			pos = c->size;
			break;
		}
		chash_zeros(h, (uint64_t)d - pos);
		pos = (uint64_t)d;
		e = lseek(fd, (off_t)pos, SEEK_HOLE);
		if (e < 0 || (uint64_t)e > c->size)
			e = (off_t)c->size;
		while (pos < (uint64_t)e) {
			uint64_t want = (uint64_t)e - pos < CHUNK ? (uint64_t)e - pos : CHUNK;
			/* O_DIRECT wants whole blocks: read them, hash what is the file's */
			ssize_t r = pread(fd, c->buf, CHUNK, (off_t)pos);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				err = r < 0 ? -errno : -EIO;
				break;
			}
			if ((uint64_t)r > want)
				r = (ssize_t)want;
			chash_update(h, c->buf, (size_t)r);
			pos += (uint64_t)r;
		}
	}
	if (!err)
		chash_digest(h, c->res->dst_hash);
out:
	if (fd >= 0)
		close(fd);
	chash_free(h);
	return err;
}

/* fsync, read back, compare, rename without replacing, fsync the directory. */
static int finish(struct cp *c, int dirfd, const char *partial, const char *base)
{
	double t = now_s();
	int err;

	if (fsync(c->fd) < 0)
		return off_fail(c->res->message, 0, -errno, "cannot fsync the copy: %s",
		                strerror(errno));
	err = read_back(c, dirfd, partial);
	c->res->seconds_verify = now_s() - t;
	if (err)
		return off_fail(c->res->message, 0, err, "cannot read the copy back: %s",
		                strerror(-err));
	c->keep = memcmp(c->res->src_hash, c->res->dst_hash, 16) != 0;
	if (c->keep)
		return off_fail(c->res->message, 0, -EIO,
		                "the copy does not read back as written: the target's storage "
		                "is failing; the .partial is kept");
	c->res->verified = true;
	if (renameat2(dirfd, partial, dirfd, base, RENAME_NOREPLACE) < 0) {
		/* Filesystems without RENAME_NOREPLACE: link() never replaces either. */
		if (errno != EINVAL || linkat(dirfd, partial, dirfd, base, 0) < 0)
			return off_fail(c->res->message, 0, -errno, "cannot rename the copy: %s",
			                strerror(errno));
		unlinkat(dirfd, partial, 0);
	}
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return off_fail(c->res->message, 0, -errno, "cannot fsync the directory: %s",
		                strerror(errno));
	return 0;
}

/* Check the inode and the target, and create DEST.partial. */
static int prepare(struct cp *c, const char *dest, struct ext2_inode_large *in, int *dirfd,
                   char *dir, char *base, char *partial)
{
	struct off_copy_result *res = c->res;
	char tmp[4096];
	int err = off_read_inode(c->f, c->ino, in);

	if (err < 0)
		return off_fail(res->message, 0, err, "inode %u cannot be read", c->ino);
	if (!LINUX_S_ISREG(in->i_mode))
		return off_fail(res->message, 0, -EINVAL,
		                "inode %u is not a regular file (mode %06o)", c->ino, in->i_mode);
	c->size = EXT2_I_SIZE(in);
	snprintf(tmp, sizeof(tmp), "%s", dest);
	snprintf(dir, 4096, "%s", dirname(tmp));
	snprintf(tmp, sizeof(tmp), "%s", dest);
	snprintf(base, 4096, "%s", basename(tmp));
	if (snprintf(partial, 4096, "%s%s", base, DEST_PARTIAL) >= 4096)
		return off_fail(res->message, 0, -ENAMETOOLONG, "the target name is too long");
	err = off_target_on_fs(c->f, dir);
	if (err != 0)
		return off_fail(res->message, 0, err < 0 ? err : -EXDEV, "%s",
		                err < 0 ? strerror(-err)
		                        : "the target lies on the filesystem being rescued: "
		                          "copy to another one");
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return off_fail(res->message, 0, -errno, "%s", strerror(errno));
	if (faccessat(*dirfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return off_fail(res->message, 0, -EEXIST, "the target exists");
	c->fd = openat(*dirfd, partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (c->fd < 0)
		return off_fail(res->message, 0, -errno, "cannot create %s%s: %s", dest,
		                DEST_PARTIAL, strerror(errno));
	snprintf(res->final_path, sizeof(res->final_path), "%s%s", dest, DEST_PARTIAL);
	return 0;
}

int off_recover(struct off_fs *f, uint32_t ino, const char *dest, off_progress_fn progress,
                void *ctx, struct off_copy_result *res)
{
	struct cp c = {.f = f, .ino = ino, .fd = -1, .progress = progress, .ctx = ctx, .res = res};
	struct ext2_inode_large in;
	char dir[4096], base[4096], partial[4096];
	int dirfd = -1, err;
	double t0 = now_s();
	void *buf = NULL;

	memset(res, 0, sizeof(*res));
	c.h = chash_new();
	if (!c.h || posix_memalign(&buf, DIRECT_ALIGN, CHUNK) != 0) {
		chash_free(c.h);
		return off_fail(res->message, 0, -ENOMEM, "out of memory");
	}
	c.buf = buf;
	err = prepare(&c, dest, &in, &dirfd, dir, base, partial);
	if (err)
		goto out;
	res->size = c.size;
	err = copy_data(&c, &in);
	chash_digest(c.h, res->src_hash);
	res->seconds_copy = now_s() - t0;
	if (!err)
		err = finish(&c, dirfd, partial, base);
	if (!err)
		snprintf(res->final_path, sizeof(res->final_path), "%s", dest);
	else if (c.fd >= 0 && !c.keep) {
		unlinkat(dirfd, partial, 0);
		res->final_path[0] = '\0';
	}
out:
	if (c.fd >= 0)
		close(c.fd);
	if (dirfd >= 0)
		close(dirfd);
	chash_free(c.h);
	free(buf);
	return err;
}
