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
 * - Any filesystem can hang a look: a dead server or FUSE daemon on statfs, a frozen
 *   one (fsfreeze, a backup tool, our own --freeze) on the reflink probe's write. All
 *   looks and probes run in orphaned grandchildren, at once, and are given up after
 *   TARGET_TIMEOUT_MS: a process, not a thread, because a thread stuck in an
 *   uninterruptible wait would keep our own exit from finishing. Network and FUSE
 *   reflinks are never probed (-1).
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
#include <linux/loop.h>
#include <linux/magic.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x1000U
#endif
#ifndef BTRFS_FIRST_FREE_OBJECTID
#define BTRFS_FIRST_FREE_OBJECTID 256ULL
#endif
#define RT_ST_RDONLY 0x0001 /* statfs f_flags, as ST_RDONLY in <sys/statvfs.h> */

#define PROBE_BLOCK 4096

/* What looking at a mountpoint found. */
struct look {
	dev_t dev;
	struct statfs sf;
	uint64_t fsid;
};

static int64_t monotonic_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

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
	free(t->doom_loop);
	free(t->backing);
	t->mountpoint = t->fstype = t->source = t->doom_loop = NULL;
	t->backing = NULL;
	t->nbacking = 0;
}

/* Is A a better place than B to name one filesystem? */
static bool better(const struct target *a, const struct target *b)
{
	if (a->answering != b->answering)
		return a->answering;
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

/* A mount that may be a target, before anything of it was looked at. */
struct cand {
	const char *mp, *fstype, *src; /* in the libmount table */
	int mnt_id;
	dev_t devno;   /* from mountinfo */
	dev_t blockdev; /* the block device under it, 0 when none */
	bool btrfs, ram, network;
};

/* Is this mount table entry a candidate? Fills C when it is. */
static bool candidate(struct libmnt_fs *fs, struct cand *c)
{
	const char *mp = mnt_fs_get_target(fs), *fstype = mnt_fs_get_fstype(fs);
	const char *src = mnt_fs_get_source(fs);
	struct stat st;

	if (!mp || mp[0] != '/' || !fstype || kernel_path(mp))
		return false;
	*c = (struct cand){.mp = mp, .fstype = fstype, .src = src, .mnt_id = mnt_fs_get_id(fs),
	                   .devno = mnt_fs_get_devno(fs), .btrfs = strcmp(fstype, "btrfs") == 0};
	c->ram = is_ram(fstype);
	c->network = !c->ram && is_network(fs, fstype);
	if (!c->ram && !c->network) {
		if (mnt_fs_is_pseudofs(fs) && strcmp(fstype, "overlay") != 0)
			return false;
		if (!block_backed(fs) && !local_without_block(fstype))
			return false;
	}
	if (major(c->devno) != 0)
		c->blockdev = c->devno;
	else if (!c->network && src && strncmp(src, "/dev/", 5) == 0 && stat(src, &st) == 0 &&
	         S_ISBLK(st.st_mode))
		c->blockdev = st.st_rdev; /* btrfs: an anonymous device in mountinfo */
	return true;
}

/* ---- probes in a child, with a deadline ---- */

/* What a probe child sends back. */
struct answer {
	int err;
	struct look r;
	int reflink;
};

/* A probe under way: the read end of its pipe, and what came back so far. */
struct probe {
	int fd;
	size_t got;
	struct answer a;
	bool done;
};

/* Start FN(ARG) in a grandchild that writes its answer to a pipe: the child in
 * between exits at once, so nothing is left to reap even when the grandchild is
 * stuck in the kernel for ever (a frozen filesystem, a dead server); it is then
 * orphaned and ends when the filesystem answers. FN runs in a process forked from a
 * possibly threaded one: system calls only. Returns the pipe's read end, or a
 * negative errno (then the caller runs FN itself). */
static int probe_start(void (*fn)(const void *arg, struct answer *a), const void *arg)
{
	int p[2], st;
	pid_t c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c = fork();
	if (c < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (c == 0) {
		struct answer a = {.err = 0, .reflink = -1};
		close(p[0]);
		if (fork() != 0)
			_exit(0);
		fn(arg, &a);
		(void)!write(p[1], &a, sizeof(a));
		_exit(0);
	}
	close(p[1]);
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	/* probe_wait reads every pipe after each poll: none may block */
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	return p[0];
}

/* Collect the answers of the N probes P until each answered or TIMEOUT_MS passed;
 * a probe that did not answer has DONE false. Closes every pipe. */
static void probe_wait(struct probe *p, size_t n, int timeout_ms)
{
	int64_t end = monotonic_ms() + timeout_ms;
	struct pollfd *pf = calloc(n ? n : 1, sizeof(*pf));

	for (;;) {
		size_t k = 0;
		int64_t left = end - monotonic_ms();
		for (size_t i = 0; pf && i < n; i++)
			if (p[i].fd >= 0 && !p[i].done)
				pf[k++] = (struct pollfd){.fd = p[i].fd, .events = POLLIN};
		if (k == 0 || left <= 0 || !pf)
			break;
		if (poll(pf, k, (int)left) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			ssize_t r;
			if (p[i].fd < 0 || p[i].done)
				continue;
			r = read(p[i].fd, (char *)&p[i].a + p[i].got, sizeof(p[i].a) - p[i].got);
			if (r > 0)
				p[i].got += (size_t)r;
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				close(p[i].fd); /* the child died without a full answer */
				p[i].fd = -1;
			}
			p[i].done = p[i].got == sizeof(p[i].a);
		}
	}
	free(pf);
	for (size_t i = 0; i < n; i++)
		if (p[i].fd >= 0) {
			close(p[i].fd);
			p[i].fd = -1;
		}
}

static void look_child(const void *arg, struct answer *a)
{
	const struct cand *c = arg;

	a->err = look_at(c->mp, c->mnt_id, c->devno, c->btrfs, &a->r);
}

/* ---- the storage under a target ---- */

/* Read the first line of sysfs file DIR/NAME into BUF. 0 or -1. */
static int sys_line(int dir, const char *name, char *buf, size_t len)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

struct walk {
	const char *sys;
	struct target_backing *v;
	size_t n;
	char *doom;
	size_t doom_len;
	dev_t seen[TARGET_CHAIN_DEPTH];
	size_t nseen;
};

static int walk_dev(struct walk *w, dev_t devno, unsigned depth);

/* A loop device DIR (its /sys/block/loopN directory): note its backing file, and
 * walk on into the device that file lives on. */
static int walk_loop(struct walk *w, int dir, const char *name, unsigned depth)
{
	static const char deleted[] = " (deleted)";
	char bf[4200], dev[48];
	struct loop_info64 li;
	struct target_backing b = {0};
	struct target_backing *v;
	size_t bl;
	int fd;

	if (sys_line(dir, "loop/backing_file", bf, sizeof(bf)) < 0)
		return 0; /* a loop device with nothing attached */
	snprintf(b.loop, sizeof(b.loop), "%s", name);
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		if (ioctl(fd, LOOP_GET_STATUS64, &li) == 0) {
			b.dev = (dev_t)li.lo_device;
			b.ino = li.lo_inode;
		}
		close(fd);
	}
	v = realloc(w->v, (w->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	w->v = v;
	w->v[w->n++] = b;
	bl = strlen(bf);
	if (!w->doom[0] && bl >= sizeof(deleted) - 1 &&
	    strcmp(bf + bl - (sizeof(deleted) - 1), deleted) == 0)
		snprintf(w->doom, w->doom_len, "/dev/%s", name);
	/* The file lives on another device: what is under that counts too. */
	return b.dev ? walk_dev(w, b.dev, depth + 1) : 0;
}

/* Walk the block device DEVNO: a partition goes to its whole disk, a loop device to
 * its backing file's device, dm and md to their slaves. */
static int walk_dev(struct walk *w, dev_t devno, unsigned depth)
{
	char path[96], real[4096], *base;
	struct dirent *de;
	int dir, r = 0;
	DIR *d;

	if (depth >= TARGET_CHAIN_DEPTH || major(devno) == 0)
		return 0;
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == devno)
			return 0;
	if (w->nseen < TARGET_CHAIN_DEPTH)
		w->seen[w->nseen++] = devno;
	snprintf(path, sizeof(path), "%s/dev/block/%u:%u", w->sys, major(devno), minor(devno));
	if (!realpath(path, real))
		return 0;
	dir = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return 0;
	base = strrchr(real, '/') + 1;
	if (faccessat(dir, "partition", F_OK, 0) == 0) {
		/* a partition: the disk it is part of is the directory above */
		char disk[4200], devs[32];
		unsigned ma, mi;
		snprintf(disk, sizeof(disk), "%.*s/dev", (int)(base - 1 - real), real);
		int dfd = open(disk, O_RDONLY | O_CLOEXEC);
		if (dfd >= 0) {
			ssize_t n = read(dfd, devs, sizeof(devs) - 1);
			close(dfd);
			if (n > 0 && (devs[n] = '\0', sscanf(devs, "%u:%u", &ma, &mi) == 2))
				r = walk_dev(w, makedev(ma, mi), depth + 1);
		}
		close(dir);
		return r;
	}
	if (strncmp(base, "loop", 4) == 0)
		r = walk_loop(w, dir, base, depth);
	d = r == 0 ? fdopendir(openat(dir, "slaves", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) : NULL;
	while (d && r == 0 && (de = readdir(d))) {
		char dv[32];
		unsigned ma, mi;
		int sd;
		if (de->d_name[0] == '.')
			continue;
		sd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sd < 0)
			continue;
		if (sys_line(sd, "dev", dv, sizeof(dv)) == 0 && sscanf(dv, "%u:%u", &ma, &mi) == 2)
			r = walk_dev(w, makedev(ma, mi), depth + 1);
		close(sd);
	}
	if (d)
		closedir(d);
	close(dir);
	return r;
}

int target_walk_storage(const char *sys, dev_t devno, struct target_backing **backing, size_t *n,
                        char *doom, size_t doom_len)
{
	struct walk w = {.sys = sys, .v = *backing, .n = *n, .doom = doom, .doom_len = doom_len};
	int r;

	if (doom_len)
		doom[0] = '\0';
	r = walk_dev(&w, devno, 0);
	*backing = w.v;
	*n = w.n;
	return r;
}

const char *target_on_file(const struct target *t, dev_t dev, uint64_t ino)
{
	for (size_t i = 0; i < t->nbacking; i++)
		if (t->backing[i].ino == ino && t->backing[i].dev == dev && ino != 0)
			return t->backing[i].loop;
	return NULL;
}

/* ---- building the list ---- */

/* Add the candidate C as the look L found it (or, when it did not answer, as a
 * target that is never written to). Returns 0 or -ENOMEM. */
static int add_cand(struct builder *b, const struct cand *c, const struct answer *a, bool answered)
{
	struct target t = {0};
	uint64_t frsize;
	char doom[48];

	t.mountpoint = strdup(c->mp);
	t.fstype = strdup(c->fstype);
	t.source = strdup(c->src ? c->src : "none");
	if (!t.mountpoint || !t.fstype || !t.source) {
		target_clear(&t);
		return -ENOMEM;
	}
	t.answering = answered;
	t.ram = c->ram;
	t.network = c->network;
	t.reflink = -1;
	t.dev = c->devno;
	if (answered) {
		frsize = a->r.sf.f_frsize ? (uint64_t)a->r.sf.f_frsize : (uint64_t)a->r.sf.f_bsize;
		t.dev = a->r.dev;
		t.fsid = a->r.fsid;
		t.size = (uint64_t)a->r.sf.f_blocks * frsize;
		t.avail = (uint64_t)a->r.sf.f_bavail * frsize;
		t.readonly = (a->r.sf.f_flags & RT_ST_RDONLY) != 0;
	}
	if (c->blockdev) {
		if (target_walk_storage("/sys", c->blockdev, &t.backing, &t.nbacking, doom,
		                        sizeof(doom)) < 0) {
			target_clear(&t);
			return -ENOMEM;
		}
		if (doom[0] && !(t.doom_loop = strdup(doom))) {
			target_clear(&t);
			return -ENOMEM;
		}
	}
	return builder_add(b, &t, c->mnt_id);
}

/* Look at every candidate at once, each in its own child, and add what answered. */
static int look_all(struct builder *b, const struct cand *c, size_t n)
{
	struct probe *p = calloc(n ? n : 1, sizeof(*p));
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		p[i].fd = probe_start(look_child, &c[i]);
		if (p[i].fd < 0) {
			/* no fd or process to spare: look from here (local ones cannot hang
			 * on a server; a frozen one answers statfs) */
			look_child(&c[i], &p[i].a);
			p[i].done = true;
		}
	}
	probe_wait(p, n, TARGET_TIMEOUT_MS);
	for (size_t i = 0; err == 0 && i < n; i++) {
		if (p[i].done && p[i].a.err == -ENOMEM)
			err = -ENOMEM;
		else if (!p[i].done)
			err = add_cand(b, &c[i], NULL, false);
		else if (p[i].a.err == 0)
			err = add_cand(b, &c[i], &p[i].a, true);
		/* else: gone, overmounted, not ours to see: left out */
	}
	free(p);
	return err;
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

struct ficlone_arg {
	const struct target *t;
	int mnt_id;
};

static void ficlone_child(const void *arg, struct answer *a)
{
	const struct ficlone_arg *f = arg;

	a->reflink = try_ficlone(f->t->mountpoint, f->mnt_id, f->t->dev);
}

/* The reflink probe of every writable local target that answered, all at once, with
 * the deadline: writing the scratch block is what hangs on a frozen filesystem. */
static int probe_reflinks(struct builder *b)
{
	struct probe *p = calloc(b->n ? b->n : 1, sizeof(*p));
	struct ficlone_arg *fa = calloc(b->n ? b->n : 1, sizeof(*fa));

	if (!p || !fa) {
		free(p);
		free(fa);
		return -ENOMEM;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct target *t = &b->v[i];
		p[i].fd = -1;
		if (!t->answering || t->readonly || t->network || strncmp(t->fstype, "fuse", 4) == 0)
			continue;
		fa[i] = (struct ficlone_arg){t, b->ids[i]};
		p[i].fd = probe_start(ficlone_child, &fa[i]);
	}
	probe_wait(p, b->n, TARGET_TIMEOUT_MS);
	for (size_t i = 0; i < b->n; i++) {
		struct target *t = &b->v[i];
		if (!t->answering || t->readonly || t->network || strncmp(t->fstype, "fuse", 4) == 0)
			continue;
		if (p[i].done)
			t->reflink = p[i].a.reflink;
		else
			t->answering = false; /* statfs answered, a write did not: frozen */
	}
	free(p);
	free(fa);
	return 0;
}

int target_list_read(struct target_list *out, bool probe_reflink)
{
	struct libmnt_table *tb;
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	struct builder b = {0};
	struct cand *c = NULL;
	size_t nc = 0, cap = 0;
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
	while (err == 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
		if (nc == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct cand *nv = realloc(c, ncap * sizeof(*nv));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			c = nv;
			cap = ncap;
		}
		if (candidate(fs, &c[nc]))
			nc++;
	}
	mnt_free_iter(it);
	if (err == 0)
		err = look_all(&b, c, nc);
	free(c);
	mnt_unref_table(tb);
	/* Only root: a user's scratch block could meet a quota or a directory it may not
	 * write, and the answer would say nothing about the filesystem. */
	if (err == 0 && probe_reflink && geteuid() == 0)
		err = probe_reflinks(&b);
	free(b.ids);
	out->v = b.v;
	out->n = b.n;
	if (err < 0)
		target_list_free(out);
	return err;
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
