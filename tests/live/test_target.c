/* Candidate targets on real filesystems of our own: btrfs, xfs with reflink, ext4,
 * tmpfs and a read-only ext4, each on its own loop device, plus bind mounts and an
 * overmount made by single tests. Every assertion is one an admin could check by hand
 * with findmnt, df, cp --reflink and ls. */
#include "find/target.h"
#include "testlib.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024 * 1024ULL)

enum fs { FS_BTRFS, FS_XFS, FS_EXT4, FS_TMPFS, FS_RO, NFS };

static const char *const fs_type[NFS] = {"btrfs", "xfs", "ext4", "tmpfs", "ext4"};
static const char *const fs_name[NFS] = {"btrfs", "xfs", "ext4", "tmpfs", "ro"};

static char dir[] = "/tmp/rt-target.XXXXXX";
static pid_t owner;       /* the process that made the world; only it undoes it */
static char mp[NFS][200]; /* mountpoints */
static char loopdev[NFS][64];
/* Mounts single tests make, undone by the undo file (testlib.h). */
static char bind_long[200], bind_short[200], over[200];

/* Undo everything, in the process that made it (check's forked tests inherit this
 * atexit handler and must leave the world alone). Idempotent. */
static void undo(void)
{
	char img[256], cmd[512], dev[64];
	FILE *p;

	if (getpid() != owner || strcmp(dir, "/tmp/rt-target.XXXXXX") == 0)
		return;
	for (int i = NFS - 1; i >= 0; i--)
		tl_umount(mp[i]);
	/* Every loop device whose backing file is one of our images is ours, also one a
	 * racing "losetup -f" attached while it reported a failure. */
	for (int i = 0; i < NFS; i++) {
		snprintf(img, sizeof(img), "%s/%s.img", dir, fs_name[i]);
		snprintf(cmd, sizeof(cmd), "losetup -n -O NAME -j '%s' 2>/dev/null", img);
		p = popen(cmd, "r");
		while (p && fgets(dev, sizeof(dev), p)) {
			dev[strcspn(dev, "\n")] = '\0';
			if (strncmp(dev, "/dev/loop", 9) == 0)
				(void)!tl_system("losetup -d '%s' 2>/dev/null", dev);
		}
		if (p)
			pclose(p);
	}
	(void)!tl_system("rm -rf --one-file-system '%s'", dir);
	strcpy(dir, "/tmp/rt-target.XXXXXX");
}

static void die(const char *what)
{
	fprintf(stderr, "setup failed: %s\n", what);
	exit(1); /* undo() runs from atexit */
}

static void make_world(void)
{
	static const char *const size[NFS] = {"128M", "300M", "32M", "", "16M"};
	static const char *const mkfs[NFS] = {"mkfs.btrfs -q -f", "mkfs.xfs -q -f -m reflink=1",
	                                      "mkfs.ext4 -q -F", "", "mkfs.ext4 -q -F"};
	char img[256];

	owner = getpid();
	if (!mkdtemp(dir))
		die("mkdtemp");
	atexit(undo);
	snprintf(bind_long, sizeof(bind_long), "%s/ext4-bind-long", dir);
	snprintf(bind_short, sizeof(bind_short), "%s/b", dir);
	snprintf(over, sizeof(over), "%s/over", dir);
	for (int i = 0; i < NFS; i++) {
		snprintf(mp[i], sizeof(mp[i]), "%s/%s", dir, fs_name[i]);
		if (mkdir(mp[i], 0755) < 0)
			die("mkdir");
		if (i == FS_TMPFS) {
			if (tl_system("mount -t tmpfs -o size=16m rt-target '%s'", mp[i]) != 0)
				die("mount tmpfs");
			continue;
		}
		/* Sparse images: they cost only what mkfs writes. */
		snprintf(img, sizeof(img), "%s/%s.img", dir, fs_name[i]);
		if (tl_system("truncate -s %s '%s' && %s '%s' >/dev/null", size[i], img, mkfs[i],
		              img) != 0)
			die(mkfs[i]);
		if (tl_loop_attach_try(loopdev[i], sizeof(loopdev[i]), "", img) != 0)
			die("cannot attach a loop device");
		if (tl_system("mount %s '%s' '%s'", i == FS_RO ? "-o ro" : "", loopdev[i], mp[i]) !=
		    0)
			die("mount");
	}
}

static void read_list(struct target_list *l, bool probe)
{
	int err = target_list_read(l, probe);

	ck_assert_msg(err == 0, "target_list_read: %s", strerror(-err));
}

static dev_t dev_of(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	return st.st_dev;
}

/* The one target at PATH; it must also be the only target of PATH's filesystem. */
static const struct target *only(const struct target_list *l, const char *path)
{
	const struct target *hit = NULL;
	dev_t dev = dev_of(path);
	size_t same = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].mountpoint, path) == 0) {
			ck_assert_msg(hit == NULL, "%s listed twice", path);
			hit = &l->v[i];
		}
		if (l->v[i].dev == dev)
			same++;
	}
	ck_assert_msg(hit != NULL, "%s not listed", path);
	ck_assert_msg(same == 1, "the filesystem at %s is listed %zu times", path, same);
	return hit;
}

static const struct target *at(const struct target_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].mountpoint, path) == 0)
			return &l->v[i];
	return NULL;
}

/* Each of our mounts once, with what findmnt would say about it. */
START_TEST(own_mounts_listed_once)
{
	struct target_list l;

	read_list(&l, false);
	for (int i = 0; i < NFS; i++) {
		const struct target *t = only(&l, mp[i]);

		ck_assert_str_eq(t->fstype, fs_type[i]);
		ck_assert_str_eq(t->source, i == FS_TMPFS ? "rt-target" : loopdev[i]);
		ck_assert_msg(t->ram == (i == FS_TMPFS), "%s: ram %d", mp[i], t->ram);
		ck_assert_msg(t->readonly == (i == FS_RO), "%s: readonly %d", mp[i], t->readonly);
		ck_assert(!t->network);
		ck_assert_msg(t->reflink == -1, "%s: probed although not asked", mp[i]);
		ck_assert_uint_gt(t->size, 0);
		ck_assert_uint_le(t->avail, t->size);
	}
	ck_assert_uint_eq(at(&l, mp[FS_TMPFS])->size, 16 * MiB);
	target_list_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

/* The names in a directory, sorted and joined with '/': enough to see a new one. */
static void entries(const char *path, char *buf, size_t len)
{
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);

	ck_assert_msg(n >= 0, "scandir %s: %s", path, strerror(errno));
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		strncat(buf, names[i]->d_name, len - strlen(buf) - 1);
		strncat(buf, "/", len - strlen(buf) - 1);
		free(names[i]);
	}
	free(names);
}

static unsigned long long avail_of(const char *path)
{
	struct statvfs sv;

	ck_assert_int_eq(statvfs(path, &sv), 0);
	return (unsigned long long)sv.f_bavail * sv.f_frsize;
}

/* FICLONE works where the filesystem shares extents, and the probe leaves nothing
 * behind: no name in the directory, no space taken. */
START_TEST(reflink_probe)
{
	static const int want[NFS] = {1, 1, 0, 0, -1};
	unsigned long long before[NFS];
	char names[NFS][512], now[512];
	struct target_list l;

	for (int i = 0; i < NFS; i++) {
		before[i] = avail_of(mp[i]);
		entries(mp[i], names[i], sizeof(names[i]));
	}
	read_list(&l, true);
	for (int i = 0; i < NFS; i++) {
		const struct target *t = only(&l, mp[i]);
		ck_assert_msg(t->reflink == want[i], "%s (%s): reflink %d, expected %d", mp[i],
		              t->fstype, t->reflink, want[i]);
	}
	target_list_free(&l);
	for (int i = 0; i < NFS; i++) {
		unsigned long long a = avail_of(mp[i]);
		/* Blocks of unlinked files may be given back a moment later. */
		for (int n = 0; n < 30 && (a + MiB < before[i] || a > before[i] + MiB); n++) {
			usleep(100000);
			a = avail_of(mp[i]);
		}
		ck_assert_msg(a + MiB >= before[i] && a <= before[i] + MiB,
		              "%s: free space %llu before, %llu after the probe", mp[i], before[i],
		              a);
		entries(mp[i], now, sizeof(now));
		ck_assert_msg(strcmp(now, names[i]) == 0, "%s: entries '%s' became '%s'", mp[i],
		              names[i], now);
	}
}
END_TEST

/* What the probe says is what cp --reflink=always finds. */
START_TEST(reflink_agrees_with_cp)
{
	struct target_list l;

	read_list(&l, true);
	for (int i = 0; i < NFS; i++) {
		const struct target *t = only(&l, mp[i]);
		int rc;

		if (i == FS_RO)
			continue;
		tl_sh("head -c 65536 /dev/urandom > '%s/src'", mp[i]);
		rc = tl_system("cp --reflink=always '%s/src' '%s/dst' 2>/dev/null", mp[i], mp[i]);
		ck_assert_msg((rc == 0) == (t->reflink == 1), "%s: cp --reflink %s, probe %d",
		              mp[i], rc == 0 ? "worked" : "failed", t->reflink);
		tl_sh("rm -f '%s/src' '%s/dst'", mp[i], mp[i]);
	}
	target_list_free(&l);
}
END_TEST

/* Free space as df shows it. */
START_TEST(avail_matches_df)
{
	struct target_list l;
	char out[64];

	read_list(&l, false);
	for (int i = 0; i < NFS; i++) {
		const struct target *t = only(&l, mp[i]);
		unsigned long long df;

		tl_sh_out(out, sizeof(out), "df --output=avail -B1 '%s' | tail -n 1",
		          t->mountpoint);
		df = strtoull(out, NULL, 10);
		ck_assert_msg(t->avail + 4 * MiB >= df && t->avail <= df + 4 * MiB,
		              "%s: avail %llu, df says %llu", mp[i], (unsigned long long)t->avail,
		              df);
	}
	target_list_free(&l);
}
END_TEST

static bool under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Nothing of the kernel's own: no /proc, /sys, cgroup, devpts..., though the machine
 * has them mounted. */
START_TEST(kernel_mounts_left_out)
{
	static const char *const pseudo[] = {
	    "proc",    "sysfs",     "cgroup",      "cgroup2", "devpts", "devtmpfs", "mqueue",
	    "debugfs", "tracefs",   "securityfs",  "bpf",     "pstore", "autofs",   "configfs",
	    "fusectl", "hugetlbfs", "binfmt_misc", "nsfs",    NULL};
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct target_list l;

	ck_assert_ptr_nonnull(tb);
	ck_assert_msg(mnt_table_find_target(tb, "/proc", MNT_ITER_FORWARD) != NULL,
	              "/proc is not mounted: nothing to test");
	mnt_unref_table(tb);
	read_list(&l, false);
	for (size_t i = 0; i < l.n; i++) {
		const struct target *t = &l.v[i];

		ck_assert_msg(!under(t->mountpoint, "/proc") && !under(t->mountpoint, "/sys"),
		              "%s listed", t->mountpoint);
		ck_assert_msg(!under(t->mountpoint, "/dev") || under(t->mountpoint, "/dev/shm"),
		              "%s listed", t->mountpoint);
		for (int k = 0; pseudo[k]; k++)
			ck_assert_msg(strcmp(t->fstype, pseudo[k]) != 0, "%s (%s) listed",
			              t->mountpoint, t->fstype);
	}
	target_list_free(&l);
}
END_TEST

/* Does the target list say the file at PATH lives on the filesystem mounted at MP? */
static bool on(const struct target_list *l, const char *mpath, const char *path)
{
	const struct target *t = at(l, mpath);
	struct stat st;
	uint64_t fsid;
	int fd;
	bool same;

	ck_assert_msg(t != NULL, "%s not listed", mpath);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	fsid = target_fsid_of_fd(fd);
	ck_assert_uint_ne(fsid, 0);
	same = target_same_fs(t, st.st_dev, fsid);
	close(fd);
	return same;
}

/* A file is on the filesystem it was created on, also inside a btrfs subvolume (its
 * own st_dev), and on no other. */
START_TEST(same_fs_of_a_file)
{
	struct target_list l;
	char path[512], sv[256];

	snprintf(sv, sizeof(sv), "%s/sv", mp[FS_BTRFS]);
	if (access(sv, F_OK) != 0)
		tl_sh("btrfs subvolume create '%s' >/dev/null", sv);
	read_list(&l, false);
	snprintf(path, sizeof(path), "%s/f", mp[FS_BTRFS]);
	ck_assert(on(&l, mp[FS_BTRFS], path));
	ck_assert(!on(&l, mp[FS_EXT4], path));
	ck_assert(!on(&l, mp[FS_XFS], path));
	snprintf(path, sizeof(path), "%s/f", sv);
	ck_assert_msg(dev_of(sv) != dev_of(mp[FS_BTRFS]), "a subvolume should have its own st_dev");
	ck_assert_msg(on(&l, mp[FS_BTRFS], path), "a file in a subvolume is on its btrfs");
	ck_assert(!on(&l, mp[FS_EXT4], path));
	snprintf(path, sizeof(path), "%s/f", mp[FS_EXT4]);
	ck_assert(on(&l, mp[FS_EXT4], path));
	ck_assert(!on(&l, mp[FS_BTRFS], path));
	ck_assert(!on(&l, mp[FS_RO], path));
	/* Without an fsid only the device can tell. */
	ck_assert(!target_same_fs(at(&l, mp[FS_BTRFS]), dev_of(sv), 0));
	target_list_free(&l);
}
END_TEST

/* A filesystem mounted at several places is listed once, at its shortest path,
 * whichever was mounted first. */
START_TEST(bind_mount_listed_once)
{
	struct target_list l;

	tl_sh("mkdir -p '%s' '%s'", bind_long, bind_short);
	tl_undo_umount(bind_long);
	tl_sh("mount --bind '%s' '%s'", mp[FS_EXT4], bind_long);
	read_list(&l, false);
	only(&l, mp[FS_EXT4]);
	ck_assert_ptr_null(at(&l, bind_long));
	target_list_free(&l);

	tl_undo_umount(bind_short);
	tl_sh("mount --bind '%s' '%s'", mp[FS_EXT4], bind_short);
	read_list(&l, false);
	ck_assert_str_eq(only(&l, bind_short)->fstype, "ext4");
	ck_assert_ptr_null(at(&l, mp[FS_EXT4]));
	ck_assert_ptr_null(at(&l, bind_long));
	target_list_free(&l);
}
END_TEST

/* A mount hidden under another one at the same place is no target: a copy "to" that
 * path would land on the top one. */
START_TEST(overmount_left_out)
{
	struct target_list l;
	dev_t lower, upper;

	tl_sh("mkdir -p '%s'", over);
	tl_undo_umount(over); /* both: it unmounts all that is stacked there */
	tl_sh("mount -t tmpfs -o size=8m rt-lower '%s'", over);
	lower = dev_of(over);
	tl_sh("mount -t tmpfs -o size=4m rt-upper '%s'", over);
	upper = dev_of(over);
	ck_assert(lower != upper);
	read_list(&l, false);
	ck_assert_str_eq(only(&l, over)->source, "rt-upper");
	ck_assert_uint_eq(only(&l, over)->size, 4 * MiB);
	for (size_t i = 0; i < l.n; i++)
		ck_assert_msg(l.v[i].dev != lower, "the hidden tmpfs is listed at %s",
		              l.v[i].mountpoint);
	target_list_free(&l);
}
END_TEST

/* A network filesystem whose server does not answer (a FUSE mount, typed as sshfs,
 * whose daemon never replies) is left out, and the list still comes in seconds. The
 * mount lives in a private mount namespace of this test's process, so nobody else's
 * df meets it; it goes away with the process. */
START_TEST(dead_network_fs_not_answering)
{
	char dead[256], opts[128];
	struct libmnt_table *tb;
	struct libmnt_fs *fs;
	struct target_list l;
	struct timespec t0, t1;
	double secs;
	int fd;

	/* CK_FORK=no: unsharing here would strand our mounts */
	ck_assert_msg(getpid() != owner, "needs CK_FORK (the default)");
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		tl_skip("cannot open /dev/fuse (%s): no FUSE mount to hang on", strerror(errno));
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(dead, sizeof(dead), "%s/dead", dir);
	ck_assert(mkdir(dead, 0755) == 0 || errno == EEXIST);
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
	ck_assert_msg(mount("rt-dead:/export", dead, "fuse.sshfs", MS_NOSUID | MS_NODEV, opts) == 0,
	              "mount fuse: %s", strerror(errno));
	tb = mnt_new_table_from_file("/proc/self/mountinfo");
	ck_assert_ptr_nonnull(tb);
	fs = mnt_table_find_target(tb, dead, MNT_ITER_FORWARD);
	ck_assert_msg(fs && strcmp(mnt_fs_get_fstype(fs), "fuse.sshfs") == 0,
	              "the dead sshfs is not in the mount table");
	mnt_unref_table(tb);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_list(&l, true);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* A hang, not a speed: the tcase's 30 s timeout would say less. */
	ck_assert_msg(secs < 20, "the list hung for %.1f s on a dead server", secs);
	/* listed, so that --targets can say so, but never a place to write to */
	ck_assert_ptr_nonnull(at(&l, dead));
	ck_assert(!at(&l, dead)->answering);
	ck_assert_uint_eq(at(&l, dead)->avail, 0);
	only(&l, mp[FS_EXT4]);
	target_list_free(&l);
	/* Closing the device aborts the connection: the helper thread left waiting on it
	 * gets an error and ends. */
	close(fd);
	usleep(100000);
	umount2(dead, MNT_DETACH);
}
END_TEST

/* Interrupted: still undo the world (exit runs undo() in the process that made it). */
static void on_signal(int sig)
{
	(void)sig;
	exit(1);
}

static bool have(const char *cmd)
{
	return tl_system("command -v %s >/dev/null 2>&1", cmd) == 0;
}

int main(void)
{
	static const char *const tools[] = {"mkfs.btrfs", "mkfs.xfs", "mkfs.ext4",  "losetup",
	                                    "btrfs",      "df",       "mountpoint", NULL};
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("live");
	static char missing[64];
	int rc;

	for (int i = 0; tools[i] && !missing[0]; i++)
		if (!have(tools[i]))
			snprintf(missing, sizeof(missing), "needs %s", tools[i]);
	/* Every test then says why it could not run (tl_setup skips it). */
	if (geteuid() != 0)
		tl_skip_all("needs root (loop devices and mounts)");
	else if (missing[0])
		tl_skip_all(missing);
	else {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
		make_world();
	}
	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, own_mounts_listed_once);
	tcase_add_test(tc, reflink_probe);
	tcase_add_test(tc, reflink_agrees_with_cp);
	tcase_add_test(tc, avail_matches_df);
	tcase_add_test(tc, kernel_mounts_left_out);
	tcase_add_test(tc, same_fs_of_a_file);
	tcase_add_test(tc, bind_mount_listed_once);
	tcase_add_test(tc, overmount_left_out);
	tcase_add_test(tc, dead_network_fs_not_answering);
	suite_add_tcase(s, tc);
	rc = tl_run(s); /* undoes what single tests left, before the world goes */
	undo();
	return rc;
}
