/* mounts: filesystem lookups by device number. See mounts.h. */
#include "find/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tables of other namespaces, keyed by the namespace's inode number. */
struct ns_table {
	ino_t ns;
	struct libmnt_table *tb;
};

struct mounts {
	struct libmnt_table *own;
	ino_t own_ns;
	int *ids; /* our mount ids, sorted */
	size_t nids;
	struct ns_table *other;
	size_t nother;
};

static ino_t ns_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

static int collect_ids(struct mounts *m)
{
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs;
	int n = mnt_table_get_nents(m->own);

	if (!it)
		return -ENOMEM;
	m->ids = malloc((size_t)(n > 0 ? n : 1) * sizeof(*m->ids));
	if (!m->ids) {
		mnt_free_iter(it);
		return -ENOMEM;
	}
	while (mnt_table_next_fs(m->own, it, &fs) == 0 && m->nids < (size_t)n)
		m->ids[m->nids++] = mnt_fs_get_id(fs);
	mnt_free_iter(it);
	if (m->nids > 1)
		qsort(m->ids, m->nids, sizeof(*m->ids), cmp_int);
	return 0;
}

bool mounts_is_own_id(const struct mounts *m, int id)
{
	return id >= 0 && m->nids > 0 &&
	       bsearch(&id, m->ids, m->nids, sizeof(*m->ids), cmp_int) != NULL;
}

struct mounts *mounts_open(void)
{
	struct mounts *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->own = mnt_new_table_from_file("/proc/self/mountinfo");
	if (!m->own) {
		free(m);
		errno = errno ? errno : EIO;
		return NULL;
	}
	m->own_ns = ns_of("/proc/self/ns/mnt");
	if (collect_ids(m) < 0) {
		mounts_close(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void mounts_close(struct mounts *m)
{
	if (!m)
		return;
	mnt_unref_table(m->own);
	free(m->ids);
	for (size_t i = 0; i < m->nother; i++)
		mnt_unref_table(m->other[i].tb);
	free(m->other);
	free(m);
}

/* The table of PID's namespace, read once; our own when it shares ours. */
static struct libmnt_table *table_for(struct mounts *m, pid_t pid)
{
	char path[64];
	ino_t ns;
	struct libmnt_table *tb;
	struct ns_table *nv;

	if (pid <= 0)
		return m->own;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	ns = ns_of(path);
	if (ns == 0 || ns == m->own_ns)
		return m->own;
	for (size_t i = 0; i < m->nother; i++)
		if (m->other[i].ns == ns)
			return m->other[i].tb;
	snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
	tb = mnt_new_table_from_file(path);
	if (!tb)
		return NULL;
	nv = realloc(m->other, (m->nother + 1) * sizeof(*nv));
	if (!nv) {
		mnt_unref_table(tb);
		return NULL;
	}
	m->other = nv;
	m->other[m->nother++] = (struct ns_table){.ns = ns, .tb = tb};
	return tb;
}

static struct libmnt_fs *find_id(struct libmnt_table *tb, int id)
{
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs = NULL, *hit = NULL;

	if (!it)
		return NULL;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		if (mnt_fs_get_id(fs) == id) {
			hit = fs;
			break;
		}
	}
	mnt_free_iter(it);
	return hit;
}

int mounts_find(struct mounts *m, pid_t pid, dev_t dev, int mnt_id, struct mounts_hit *hit)
{
	struct libmnt_table *tb = table_for(m, pid);
	struct libmnt_fs *fs = NULL;

	if (!tb)
		return -EIO;
	if (mnt_id >= 0)
		fs = find_id(tb, mnt_id);
	if (!fs)
		fs = mnt_table_find_devno(tb, dev, MNT_ITER_FORWARD);
	if (!fs)
		return -ENOENT;
	hit->fstype = mnt_fs_get_fstype(fs);
	hit->target = mnt_fs_get_target(fs);
	hit->source = mnt_fs_get_source(fs);
	return 0;
}

int mounts_open_fs(struct mounts *m, dev_t dev)
{
	struct libmnt_fs *fs = mnt_table_find_devno(m->own, dev, MNT_ITER_FORWARD);
	const char *target;
	int fd;
	struct stat st;

	if (!fs || !(target = mnt_fs_get_target(fs)))
		return -ENOENT;
	fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The path may have been mounted over since the table was read. */
	if (fstat(fd, &st) < 0 || st.st_dev != dev) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}
