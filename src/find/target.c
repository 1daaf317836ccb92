/* target: filesystems a rescued copy could be written to. See target.h.
 *
 * Decisions that are not obvious from the header:
 * - Overmounts are found by mount id (statx STATX_MNT_ID), not by comparing st_dev
 *   with the device number in mountinfo: on btrfs the two never match (mountinfo
 *   shows the superblock's anonymous device, stat the subvolume's), so the device
 *   test would drop every btrfs mount. Kernels older than 5.8 do not give the mount
 *   id; there the device test is used and btrfs is taken on trust.
 * - overlay is a pseudo filesystem to libmount, but writing to it writes to its
 *   upper layer, and in a container it may be the only writable place: kept.
 * - Network filesystems and FUSE can hang on a dead server or daemon: they are looked
 *   at from a helper thread that is given up after NET_TIMEOUT_MS (the mount is then
 *   left out), and their reflink is never probed (-1).
 * - A mount whose root is not a directory (a bind-mounted file, e.g. a container's
 *   /etc/hosts) cannot take a new file: left out.
 * - Of several mounts of one filesystem (same st_dev) a writable one is preferred to
 *   a read-only bind of it, then the shortest path; btrfs subvolumes have their own
 *   st_dev and are listed each at its own place.
 */
#include "find/target.h"
#include "base/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <linux/btrfs.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000U
#endif
#ifndef BTRFS_FIRST_FREE_OBJECTID
#define BTRFS_FIRST_FREE_OBJECTID 256ULL
#endif
#define RT_ST_RDONLY 0x0001 /* statfs f_flags, as ST_RDONLY in <sys/statvfs.h> */

#define NET_TIMEOUT_MS 2000
#define PROBE_BLOCK    4096

/* What looking at a mountpoint found. */
struct look {
	dev_t dev;
	struct statfs sf;
	uint64_t fsid;
};

/* The statfs fsid as 64 bits, val[0] in the low half. btrfs mixes the subvolume's
 * root id into it (so that subvolumes differ); that is taken out again so that the
 * value names the filesystem. FD must be a real open file (not O_PATH) for that. */
static uint64_t fsid_of(int fd, const struct statfs *sf)
{
	uint32_t lo = (uint32_t)sf->f_fsid.__val[0], hi = (uint32_t)sf->f_fsid.__val[1];

	if ((uint32_t)sf->f_type == (uint32_t)BTRFS_SUPER_MAGIC) {
		/* Asking for FIRST_FREE_OBJECTID only returns the subvolume's root id and
		 * needs no privilege. */
		struct btrfs_ioctl_ino_lookup_args a = {.treeid = 0,
		                                        .objectid = BTRFS_FIRST_FREE_OBJECTID};

		if (ioctl(fd, BTRFS_IOC_INO_LOOKUP, &a) == 0) {
			lo ^= (uint32_t)(a.treeid >> 32);
			hi ^= (uint32_t)a.treeid;
		}
	}
	return (uint64_t)hi << 32 | lo;
}

/* Open PATH without following a symlink or triggering an automount on it, and check
 * that it is the root of mount MNT_ID (or, without mount ids, of device DEVNO).
 * Returns an O_PATH fd or a negative errno (-ESTALE: something else is on top). */
static int open_mount_root(const char *path, int mnt_id, dev_t devno, bool btrfs, dev_t *dev)
{
	struct statx stx;
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (statx(fd, "", AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
	          STATX_TYPE | STATX_MNT_ID, &stx) < 0)
		err = -errno;
	else if (!S_ISDIR(stx.stx_mode))
		err = -ENOTDIR;
	else if (stx.stx_mask & STATX_MNT_ID)
		err = (int)stx.stx_mnt_id == mnt_id ? 0 : -ESTALE;
	else if (makedev(stx.stx_dev_major, stx.stx_dev_minor) != devno && !btrfs)
		err = -ESTALE;
	if (err < 0) {
		close(fd);
		return err;
	}
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	return fd;
}

/* Everything we need from one mountpoint; statfs only once it is known to be the
 * mount we mean. Returns 0 or a negative errno. */
static int look_at(const char *path, int mnt_id, dev_t devno, bool btrfs, struct look *r)
{
	int fd = open_mount_root(path, mnt_id, devno, btrfs, &r->dev), dfd;

	if (fd < 0)
		return fd;
	if (fstatfs(fd, &r->sf) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	r->fsid = fsid_of(fd, &r->sf);
	if ((uint32_t)r->sf.f_type == (uint32_t)BTRFS_SUPER_MAGIC) {
		/* The ioctl needs a real file; "." from the mount root stays on it. */
		dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			r->fsid = fsid_of(dfd, &r->sf);
			close(dfd);
		}
	}
	close(fd);
	return 0;
}

/* look_at() in a helper thread, for filesystems that may hang. When it does not
 * answer in time the thread is left behind (it frees its own state when it ends) and
 * -ETIMEDOUT is returned. */
struct timed_look {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done, abandoned;
	char *path;
	int mnt_id;
	dev_t devno;
	int err;
	struct look r;
};

static void timed_free(struct timed_look *t)
{
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t->path);
	free(t);
}

static void *timed_main(void *arg)
{
	struct timed_look *t = arg;
	struct look r;
	int err = look_at(t->path, t->mnt_id, t->devno, false, &r);
	bool abandoned;

	pthread_mutex_lock(&t->mu);
	t->err = err;
	t->r = r;
	t->done = true;
	abandoned = t->abandoned;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
	if (abandoned)
		timed_free(t);
	return NULL;
}

static int look_at_timed(const char *path, int mnt_id, dev_t devno, struct look *r)
{
	struct timed_look *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t th;
	sigset_t all, old;
	struct timespec dl;
	int err = 0;

	if (!t || !(t->path = strdup(path))) {
		free(t);
		return -ENOMEM;
	}
	t->mnt_id = mnt_id;
	t->devno = devno;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	/* Signals stay with the caller's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&th, &ta, timed_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&ta);
	if (err < 0) {
		timed_free(t);
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += NET_TIMEOUT_MS / 1000;
	dl.tv_nsec += (NET_TIMEOUT_MS % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&t->mu);
	while (!t->done && pthread_cond_timedwait(&t->cv, &t->mu, &dl) != ETIMEDOUT)
		;
	if (!t->done) {
		t->abandoned = true;
		pthread_mutex_unlock(&t->mu);
		return -ETIMEDOUT;
	}
	pthread_mutex_unlock(&t->mu);
	err = t->err;
	*r = t->r;
	timed_free(t);
	return err;
}

/* Is PATH at or below PREFIX (a directory, no trailing slash)? */
static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The kernel's own trees; /dev/shm is RAM anyone may write to, so it stays. */
static bool kernel_path(const char *mp)
{
	return under(mp, "/proc") || under(mp, "/sys") ||
	       (under(mp, "/dev") && !under(mp, "/dev/shm"));
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool is_ram(const char *fstype)
{
	static const char *const ram[] = {"tmpfs", "ramfs", NULL};
	return in_list(fstype, ram);
}

/* libmount's list plus network filesystems it does not know (FUSE clients mostly). */
static bool is_network(struct libmnt_fs *fs, const char *fstype)
{
	static const char *const more[] = {"fuse.sshfs",     "ceph",      "fuse.ceph-fuse",
	                                   "fuse.glusterfs", "fuse.s3fs", "fuse.rclone",
	                                   "fuse.gcsfuse",   "davfs",     NULL};
	return mnt_fs_is_netfs(fs) || in_list(fstype, more);
}

/* A filesystem on a block device: mountinfo gives it a real (non-zero major) device
 * number, except btrfs, which uses an anonymous one; then the source tells. Only
 * paths under /dev are stat'ed, so that a strange source cannot make us wait. */
static bool block_backed(struct libmnt_fs *fs)
{
	const char *src = mnt_fs_get_source(fs);
	struct stat st;

	if (major(mnt_fs_get_devno(fs)) != 0)
		return true;
	return src && strncmp(src, "/dev/", 5) == 0 && stat(src, &st) == 0 && S_ISBLK(st.st_mode);
}

/* Local filesystems whose source is not one block device. */
static bool local_without_block(const char *fstype)
{
	static const char *const local[] = {"zfs", "bcachefs", "overlay", NULL};
	return in_list(fstype, local);
}

/* The list under construction, with each target's mount id beside it. */
struct builder {
	struct target *v;
	int *ids;
	size_t n, cap;
};

static void target_clear(struct target *t)
{
	free(t->mountpoint);
	free(t->fstype);
	free(t->source);
	t->mountpoint = t->fstype = t->source = NULL;
}

/* Is A a better place than B to name one filesystem? */
static bool better(const struct target *a, const struct target *b)
{
	if (a->readonly != b->readonly)
		return !a->readonly;
	return strlen(a->mountpoint) < strlen(b->mountpoint);
}

/* Add T (its strings now owned by the builder), or let it replace or yield to an
 * entry of the same filesystem. */
static int builder_add(struct builder *b, struct target *t, int mnt_id)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].dev != t->dev)
			continue;
		if (better(t, &b->v[i])) {
			target_clear(&b->v[i]);
			b->v[i] = *t;
			b->ids[i] = mnt_id;
		} else {
			target_clear(t);
		}
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct target *v = realloc(b->v, cap * sizeof(*v));
		int *ids;

		if (!v) {
			target_clear(t);
			return -ENOMEM;
		}
		b->v = v;
		ids = realloc(b->ids, cap * sizeof(*ids));
		if (!ids) {
			target_clear(t);
			return -ENOMEM;
		}
		b->ids = ids;
		b->cap = cap;
	}
	b->v[b->n] = *t;
	b->ids[b->n] = mnt_id;
	b->n++;
	return 0;
}

/* Look at one mount table entry; add it when it is a candidate. Returns 0 (also when
 * it is left out) or -ENOMEM. */
static int consider(struct builder *b, struct libmnt_fs *fs)
{
	const char *mp = mnt_fs_get_target(fs), *fstype = mnt_fs_get_fstype(fs);
	const char *src = mnt_fs_get_source(fs);
	bool ram, network, hangs;
	struct target t = {0};
	struct look r;
	uint64_t frsize;
	int err;

	if (!mp || mp[0] != '/' || !fstype || kernel_path(mp))
		return 0;
	ram = is_ram(fstype);
	network = !ram && is_network(fs, fstype);
	if (!ram && !network) {
		if (mnt_fs_is_pseudofs(fs) && strcmp(fstype, "overlay") != 0)
			return 0;
		if (!block_backed(fs) && !local_without_block(fstype))
			return 0;
	}
	hangs = network || strncmp(fstype, "fuse", 4) == 0;
	if (hangs)
		err = look_at_timed(mp, mnt_fs_get_id(fs), mnt_fs_get_devno(fs), &r);
	else
		err = look_at(mp, mnt_fs_get_id(fs), mnt_fs_get_devno(fs),
		              strcmp(fstype, "btrfs") == 0, &r);
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		return 0; /* gone, overmounted, not ours to see, or not answering */
	frsize = r.sf.f_frsize ? (uint64_t)r.sf.f_frsize : (uint64_t)r.sf.f_bsize;
	t.mountpoint = strdup(mp);
	t.fstype = strdup(fstype);
	t.source = strdup(src ? src : "none");
	if (!t.mountpoint || !t.fstype || !t.source) {
		target_clear(&t);
		return -ENOMEM;
	}
	t.dev = r.dev;
	t.fsid = r.fsid;
	t.size = (uint64_t)r.sf.f_blocks * frsize;
	t.avail = (uint64_t)r.sf.f_bavail * frsize;
	t.readonly = (r.sf.f_flags & RT_ST_RDONLY) != 0;
	t.ram = ram;
	t.network = network;
	t.reflink = -1;
	return builder_add(b, &t, mnt_fs_get_id(fs));
}

/* Try FICLONE between two unnamed scratch files on the mount at PATH. O_EXCL keeps
 * them from ever being linked; closing them frees their blocks. */
static int try_ficlone(const char *path, int mnt_id, dev_t dev)
{
	char block[PROBE_BLOCK];
	dev_t now;
	int dir = open_mount_root(path, mnt_id, dev, true, &now), src = -1, dst = -1, res = -1;

	if (dir < 0)
		return -1;
	if (now != dev)
		goto out;
	src = openat(dir, ".", O_TMPFILE | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (src < 0)
		goto out; /* no O_TMPFILE here, read-only, not allowed: not tried */
	dst = openat(dir, ".", O_TMPFILE | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (dst < 0)
		goto out;
	memset(block, 0x5a, sizeof(block));
	if (write(src, block, sizeof(block)) != (ssize_t)sizeof(block))
		goto out; /* full, over quota: not tried */
	if (ioctl(dst, FICLONE, src) == 0)
		res = 1;
	else if (errno == EOPNOTSUPP || errno == EINVAL || errno == EXDEV || errno == ENOTTY)
		res = 0;
out:
	if (dst >= 0)
		close(dst);
	if (src >= 0)
		close(src);
	close(dir);
	return res;
}

int target_list_read(struct target_list *out, bool probe_reflink)
{
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	struct builder b = {0};
	int err;

	out->v = NULL;
	out->n = 0;
	tb = mnt_new_table();
	if (!tb)
		return -ENOMEM;
	err = mnt_table_parse_file(tb, "/proc/self/mountinfo");
	if (err < 0) {
		mnt_unref_table(tb);
		return err;
	}
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!it) {
		mnt_unref_table(tb);
		return -ENOMEM;
	}
	while (err == 0 && mnt_table_next_fs(tb, it, &fs) == 0)
		err = consider(&b, fs);
	mnt_free_iter(it);
	mnt_unref_table(tb);
	if (err < 0) {
		out->v = b.v;
		out->n = b.n;
		target_list_free(out);
		free(b.ids);
		return err;
	}
	/* Only root: a user's scratch block could meet a quota or a directory it may not
	 * write, and the answer would say nothing about the filesystem. */
	for (size_t i = 0; probe_reflink && geteuid() == 0 && i < b.n; i++) {
		struct target *t = &b.v[i];
		if (!t->readonly && !t->network && strncmp(t->fstype, "fuse", 4) != 0)
			t->reflink = try_ficlone(t->mountpoint, b.ids[i], t->dev);
	}
	free(b.ids);
	out->v = b.v;
	out->n = b.n;
	return 0;
}

void target_list_free(struct target_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		target_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

bool target_same_fs(const struct target *t, dev_t dev, uint64_t fsid)
{
	return dev == t->dev || (fsid != 0 && fsid == t->fsid);
}

uint64_t target_fsid_of_fd(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return 0;
	return fsid_of(fd, &sf);
}
