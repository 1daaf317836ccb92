/*
 * fusefs: a small FUSE filesystem (libfuse3, high-level API) for the live tests.
 *
 *   fusefs [-r READ_DELAY_MS] [-H] MOUNTPOINT [libfuse options, e.g. -f]
 *
 * A flat directory of regular files kept in memory. Reads sleep READ_DELAY_MS per
 * 128 KiB first
 * (a slow disk or server, so that a frozen copy takes seconds). With -H (libfuse's
 * hard_remove)
 * an unlinked file that is still open loses its name for good: re-opening it
 * through /proc/PID/fd/N fails with ENOENT, while the open file itself (and a
 * duplicate of it, pidfd_getfd) still reads and writes. Run it with -f in the
 * background and unmount it with fusermount3 -u.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct file {
	char name[256];
	unsigned char *data;
	size_t size;
	unsigned open;
	bool unlinked;
	struct file *next;
};

static struct file *files;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned read_delay_ms;
#define DELAY_UNIT (128u << 10)
static bool hard_remove;

static struct file *find(const char *path)
{
	if (!path || path[0] != '/')
		return NULL;
	for (struct file *f = files; f; f = f->next)
		if (!f->unlinked && strcmp(f->name, path + 1) == 0)
			return f;
	return NULL;
}

static void drop(struct file *f)
{
	struct file **p = &files;

	while (*p && *p != f)
		p = &(*p)->next;
	if (*p)
		*p = f->next;
	free(f->data);
	free(f);
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->nullpath_ok = 1; /* ops on an open file get its fh, also once unlinked */
	cfg->hard_remove = hard_remove;
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	return NULL;
}

static void fill(const struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = f->unlinked ? 0 : 1;
	st->st_size = (off_t)f->size;
	st->st_blocks = (blkcnt_t)((f->size + 511) / 512);
	st->st_uid = getuid();
	st->st_gid = getgid();
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct file *f;
	int r = 0;

	if (!fi && path && strcmp(path, "/") == 0) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	pthread_mutex_lock(&mu);
	f = fi ? (struct file *)(uintptr_t)fi->fh : find(path);
	if (f)
		fill(f, st);
	else
		r = -ENOENT;
	pthread_mutex_unlock(&mu);
	return r;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t add, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)path, (void)off, (void)fi, (void)flags;
	add(buf, ".", NULL, 0, 0);
	add(buf, "..", NULL, 0, 0);
	pthread_mutex_lock(&mu);
	for (struct file *f = files; f; f = f->next)
		if (!f->unlinked)
			add(buf, f->name, NULL, 0, 0);
	pthread_mutex_unlock(&mu);
	return 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct file *f;

	(void)mode;
	if (!path || strlen(path) >= sizeof(f->name) || strchr(path + 1, '/'))
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	snprintf(f->name, sizeof(f->name), "%s", path + 1);
	pthread_mutex_lock(&mu);
	if (find(path)) {
		pthread_mutex_unlock(&mu);
		free(f);
		return -EEXIST;
	}
	f->open = 1;
	f->next = files;
	files = f;
	pthread_mutex_unlock(&mu);
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct file *f;

	pthread_mutex_lock(&mu);
	f = find(path);
	if (f) {
		f->open++;
		if (fi->flags & O_TRUNC)
			f->size = 0;
	}
	pthread_mutex_unlock(&mu);
	if (!f)
		return -ENOENT;
	fi->fh = (uint64_t)(uintptr_t)f;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct file *f = (struct file *)(uintptr_t)fi->fh;
	size_t n = 0;

	(void)path;
	if (read_delay_ms) {
		/* per 128 KiB asked for, so that the time does not depend on how large
		 * the kernel makes its requests */
		unsigned ms = read_delay_ms * (unsigned)((size + DELAY_UNIT - 1) / DELAY_UNIT);
		struct timespec d = {ms / 1000, (long)(ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
	}
	pthread_mutex_lock(&mu);
	if ((size_t)off < f->size) {
		n = f->size - (size_t)off < size ? f->size - (size_t)off : size;
		memcpy(buf, f->data + off, n);
	}
	pthread_mutex_unlock(&mu);
	return (int)n;
}

static int resize(struct file *f, size_t size)
{
	if (size > f->size) {
		unsigned char *d = realloc(f->data, size);
		if (!d)
			return -ENOMEM;
		memset(d + f->size, 0, size - f->size);
		f->data = d;
	}
	f->size = size;
	return 0;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	struct file *f = (struct file *)(uintptr_t)fi->fh;
	int r = 0;

	(void)path;
	pthread_mutex_lock(&mu);
	if ((size_t)off + size > f->size)
		r = resize(f, (size_t)off + size);
	if (r == 0)
		memcpy(f->data + off, buf, size);
	pthread_mutex_unlock(&mu);
	return r < 0 ? r : (int)size;
}

static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct file *f;
	int r;

	pthread_mutex_lock(&mu);
	f = fi ? (struct file *)(uintptr_t)fi->fh : find(path);
	r = f ? resize(f, (size_t)size) : -ENOENT;
	pthread_mutex_unlock(&mu);
	return r;
}

static int fs_unlink(const char *path)
{
	struct file *f;

	pthread_mutex_lock(&mu);
	f = find(path);
	if (f) {
		f->unlinked = true;
		if (!f->open)
			drop(f);
	}
	pthread_mutex_unlock(&mu);
	return f ? 0 : -ENOENT;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct file *f = (struct file *)(uintptr_t)fi->fh;

	(void)path;
	pthread_mutex_lock(&mu);
	if (--f->open == 0 && f->unlinked)
		drop(f);
	pthread_mutex_unlock(&mu);
	return 0;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)path, (void)tv, (void)fi;
	return 0;
}

static const struct fuse_operations ops = {
    .init = fs_init,
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .create = fs_create,
    .open = fs_open,
    .read = fs_read,
    .write = fs_write,
    .truncate = fs_truncate,
    .unlink = fs_unlink,
    .release = fs_release,
    .utimens = fs_utimens,
};

int main(int argc, char **argv)
{
	for (;;) {
		if (argc > 2 && strcmp(argv[1], "-r") == 0) {
			read_delay_ms = (unsigned)atoi(argv[2]);
			argv[2] = argv[0];
			argv += 2;
			argc -= 2;
		} else if (argc > 1 && strcmp(argv[1], "-H") == 0) {
			hard_remove = true;
			argv[1] = argv[0];
			argv++;
			argc--;
		} else {
			break;
		}
	}
	return fuse_main(argc, argv, &ops, NULL);
}
