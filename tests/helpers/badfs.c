/* badfs: a small FUSE filesystem whose reads fail where a test says, for testing
 * rescues from a failing disk with real read errors (no mocks).
 *
 *   badfs BACKING MOUNTPOINT
 *
 * One flat directory. Each file's data lives in BACKING under its inode number;
 * files behave as on a real filesystem: an unlinked file that is still open keeps
 * its inode (st_nlink 0) and can be re-opened through /proc/PID/fd/N.
 *
 * BACKING/bad lists the failing ranges, one "NAME START LENGTH [ERRNO]" a line (a
 * file keeps the name it was created with after it is unlinked; ERRNO defaults to
 * EIO). It is read again whenever its mtime or size changes, so a test makes ranges
 * fail or heal while files are open. A read that touches a failing range fails whole,
 * like a disk's sector read. Reads bypass the page cache (direct_io), so every read
 * reaches this process. Prints "ready" on stdout once mounted; unmounts on SIGTERM.
 */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES  64
#define MAX_RANGES 64
#define NAME_LEN   255
#define ROOT_INO   FUSE_ROOT_ID
#define FIRST_INO  2

struct node {
	bool used;
	char name[NAME_LEN + 1];
	bool linked;      /* has its name in the directory */
	int fd;           /* the backing file */
	uint64_t nlookup; /* kernel references */
	unsigned opens;
};

struct range {
	char name[NAME_LEN + 1];
	uint64_t start, len;
	int err;
};

static struct node nodes[MAX_FILES];
static struct range ranges[MAX_RANGES];
static size_t nranges;
static struct timespec bad_mtime;
static off_t bad_size = -1;
static int back_fd = -1;

static struct node *node_of(fuse_ino_t ino)
{
	if (ino < FIRST_INO || ino >= FIRST_INO + MAX_FILES || !nodes[ino - FIRST_INO].used)
		return NULL;
	return &nodes[ino - FIRST_INO];
}

static fuse_ino_t ino_of(const struct node *n)
{
	return (fuse_ino_t)(n - nodes) + FIRST_INO;
}

static struct node *by_name(const char *name)
{
	for (size_t i = 0; i < MAX_FILES; i++)
		if (nodes[i].used && nodes[i].linked && strcmp(nodes[i].name, name) == 0)
			return &nodes[i];
	return NULL;
}

/* Read BACKING/bad again when it changed. */
static void load_ranges(void)
{
	struct stat st;
	char line[NAME_LEN + 64];
	FILE *f;
	int fd;

	if (fstatat(back_fd, "bad", &st, 0) < 0) {
		nranges = 0;
		bad_size = -1;
		return;
	}
	if (st.st_size == bad_size && st.st_mtim.tv_sec == bad_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == bad_mtime.tv_nsec)
		return;
	bad_size = st.st_size;
	bad_mtime = st.st_mtim;
	nranges = 0;
	fd = openat(back_fd, "bad", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (nranges < MAX_RANGES && fgets(line, sizeof(line), f)) {
		struct range *r = &ranges[nranges];
		unsigned long long s, l;
		int e = EIO;
		int n = sscanf(line, "%255s %llu %llu %d", r->name, &s, &l, &e);
		if (n < 3)
			continue;
		r->start = s;
		r->len = l;
		r->err = e > 0 ? e : EIO;
		nranges++;
	}
	fclose(f);
}

/* The error of a read of [OFF, OFF+LEN) of N, or 0. */
static int read_fails(const struct node *n, uint64_t off, uint64_t len)
{
	load_ranges();
	for (size_t i = 0; i < nranges; i++) {
		const struct range *r = &ranges[i];
		if (strcmp(r->name, n->name) == 0 && off < r->start + r->len && r->start < off + len)
			return r->err;
	}
	return 0;
}

static void attr_of(fuse_ino_t ino, struct stat *st)
{
	struct node *n = node_of(ino);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == ROOT_INO) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return;
	}
	if (n && fstat(n->fd, st) == 0) {
		st->st_ino = ino;
		st->st_nlink = n->linked ? 1 : 0;
	}
}

static void drop_if_unused(struct node *n)
{
	if (!n->linked && n->nlookup == 0 && n->opens == 0) {
		close(n->fd);
		memset(n, 0, sizeof(*n));
	}
}

static void reply_entry(fuse_req_t req, struct node *n)
{
	struct fuse_entry_param e = {0};

	e.ino = ino_of(n);
	attr_of(e.ino, &e.attr);
	n->nlookup++;
	fuse_reply_entry(req, &e);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *n = parent == ROOT_INO ? by_name(name) : NULL;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	reply_entry(req, n);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct node *n = node_of(ino);

	if (n) {
		n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
		drop_if_unused(n);
	}
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != ROOT_INO && !node_of(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	attr_of(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	struct stat st;

	(void)fi;
	if (!n) {
		fuse_reply_err(req, ino == ROOT_INO ? EPERM : ENOENT);
		return;
	}
	if ((to_set & FUSE_SET_ATTR_SIZE) && ftruncate(n->fd, attr->st_size) < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	attr_of(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
	char buf[4096];
	size_t used = 0;

	(void)fi;
	if (ino != ROOT_INO) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (size > sizeof(buf))
		size = sizeof(buf);
	for (off_t i = off; i < MAX_FILES; i++) {
		struct node *n = &nodes[i];
		struct stat st = {0};
		size_t need;
		if (!n->used || !n->linked)
			continue;
		st.st_ino = ino_of(n);
		st.st_mode = S_IFREG;
		need = fuse_add_direntry(req, buf + used, size - used, n->name, &st, i + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void open_reply(struct node *n, struct fuse_file_info *fi)
{
	/* Every read reaches us: the page cache would hide a range that fails later. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	n->opens++;
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
	struct fuse_entry_param e = {0};
	char back[32];
	struct node *n = NULL;

	if (parent != ROOT_INO || strlen(name) > NAME_LEN) {
		fuse_reply_err(req, parent != ROOT_INO ? ENOENT : ENAMETOOLONG);
		return;
	}
	if (by_name(name)) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	for (size_t i = 0; i < MAX_FILES && !n; i++)
		if (!nodes[i].used)
			n = &nodes[i];
	if (!n) {
		fuse_reply_err(req, ENOSPC);
		return;
	}
	snprintf(back, sizeof(back), "%lu", (unsigned long)ino_of(n));
	unlinkat(back_fd, back, 0);
	n->fd = openat(back_fd, back, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
	if (n->fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	n->used = n->linked = true;
	snprintf(n->name, sizeof(n->name), "%s", name);
	e.ino = ino_of(n);
	attr_of(e.ino, &e.attr);
	n->nlookup++;
	open_reply(n, fi);
	fuse_reply_create(req, &e, fi);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (fi->flags & O_TRUNC)
		(void)ftruncate(n->fd, 0);
	open_reply(n, fi);
	fuse_reply_open(req, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	(void)fi;
	if (n) {
		if (n->opens)
			n->opens--;
		drop_if_unused(n);
	}
	fuse_reply_err(req, 0);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	char *buf;
	ssize_t got;
	int err;

	(void)fi;
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((err = read_fails(n, (uint64_t)off, size)) != 0) {
		fuse_reply_err(req, err);
		return;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	got = pread(n->fd, buf, size, off);
	if (got < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_buf(req, buf, (size_t)got);
	free(buf);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	ssize_t put;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (fi->flags & O_APPEND) {
		struct stat st;
		if (fstat(n->fd, &st) == 0)
			off = st.st_size;
	}
	put = pwrite(n->fd, buf, size, off);
	if (put < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_write(req, (size_t)put);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct node *n = parent == ROOT_INO ? by_name(name) : NULL;
	char back[32];

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	n->linked = false;
	snprintf(back, sizeof(back), "%lu", (unsigned long)ino_of(n));
	unlinkat(back_fd, back, 0);
	drop_if_unused(n);
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	(void)datasync;
	(void)fi;
	fuse_reply_err(req, n && fsync(n->fd) < 0 ? errno : 0);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .forget = op_forget,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readdir = op_readdir,
    .create = op_create,
    .open = op_open,
    .release = op_release,
    .read = op_read,
    .write = op_write,
    .unlink = op_unlink,
    .fsync = op_fsync,
};

int main(int argc, char **argv)
{
	char *fargv[] = {argv[0], (char *)"-o", (char *)"fsname=badfs,subtype=badfs", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_session *se;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: badfs BACKING MOUNTPOINT\n");
		return 2;
	}
	back_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (back_fd < 0) {
		perror(argv[1]);
		return 1;
	}
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[2]) != 0) {
		fprintf(stderr, "badfs: cannot mount on %s\n", argv[2]);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	rc = fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return rc ? 1 : 0;
}
