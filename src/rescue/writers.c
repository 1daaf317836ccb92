/* writers: who can write a file now. See writers.h. */
#include "rescue/writers.h"
#include "base/compat.h"

#include "find/parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* fdinfo of one fd is a few lines; more is ignored by the parser anyway. */
#define FDINFO_MAX 4096

static int add(struct wlist *l, pid_t pid, pid_t tid, int fd)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct job_writer *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct job_writer){.pid = pid, .fd = fd, .tid = tid};
	return 0;
}

/* The access of fd NAME of the process whose /proc directory is PFD, or 0. */
static unsigned fd_access(int pfd, const char *name)
{
	char path[64], buf[FDINFO_MAX];
	struct parse_fdinfo fi;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "fdinfo/%s", name);
	fd = openat(pfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return parse_fdinfo(buf, (size_t)n, &fi) == 0 ? parse_access(fi.flags) : 0;
}

bool writers_same_file(int dir, const char *name, dev_t dev, ino_t ino)
{
	struct statx sx;

	/* Device and inode never change: the cached attributes do, without asking a
	 * filesystem that may not answer getattr any more (FUSE hard_remove). */
	if (statx(dir, name, AT_STATX_DONT_SYNC, STATX_INO, &sx) < 0)
		return false;
	return sx.stx_ino == (uint64_t)ino && makedev(sx.stx_dev_major, sx.stx_dev_minor) == dev;
}

void writers_fd_path(char *buf, size_t len, pid_t pid, pid_t tid, int fd)
{
	if (tid > 0)
		snprintf(buf, len, "/proc/%d/task/%d/fd/%d", (int)pid, (int)tid, fd);
	else
		snprintf(buf, len, "/proc/%d/fd/%d", (int)pid, fd);
}

/* The fds of one fd table that are DEV:INO open for writing: PFD is /proc/PID, or
 * /proc/PID/task/TID for a thread's own table. */
static int scan_fds(int pfd, pid_t pid, pid_t tid, dev_t dev, ino_t ino, struct wlist *out)
{
	int dfd = openat(pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return 0; /* gone, a kernel thread, or not ours to see */
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	while (r == 0 && (de = readdir(d))) {
		int fd = parse_pid(de->d_name); /* digits only, as fd names are */
		if (fd < 0 && strcmp(de->d_name, "0") != 0)
			continue;
		if (!writers_same_file(dfd, de->d_name, dev, ino))
			continue;
		if (fd_access(pfd, de->d_name) & PARSE_ACC_W)
			r = add(out, pid, tid, fd < 0 ? 0 : fd);
	}
	closedir(d);
	return r;
}

/* Is the mapping [START, END) of PID the file DEV:INO? map_files tells for sure
 * (root); without it the maps line's device has to do. */
static bool mapping_is(pid_t pid, const struct parse_maps *m, dev_t dev, ino_t ino)
{
	char path[96];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)pid,
	         (unsigned long long)m->start, (unsigned long long)m->end);
	if (stat(path, &st) == 0)
		return st.st_dev == dev && st.st_ino == ino;
	return makedev(m->dev_major, m->dev_minor) == dev;
}

bool writers_maps_write(pid_t pid, dev_t dev, ino_t ino)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	bool hit = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* getline: a path of any length is one line, never two half lines. */
	while (!hit && (len = getline(&line, &cap, f)) > 0) {
		struct parse_maps m;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (parse_maps_line(line, (size_t)len, &m) == 0 && m.ino == (uint64_t)ino &&
		    m.writable && m.shared && mapping_is(pid, &m, dev, ino))
			hit = true;
	}
	free(line);
	fclose(f);
	return hit;
}

/* Does thread TID of PID have an fd table of its own? Without kcmp (an old kernel, a
 * seccomp filter) every thread counts as having one: a writer listed twice is
 * stopped once. */
static bool own_table(pid_t pid, pid_t tid)
{
	long r = syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0, 0);

	return r != 0;
}

/* The fds of the threads of PID (directory PFD) that have a table of their own. A
 * process directory's "task" has 2 + threads links: one thread costs one fstatat. */
static int scan_threads(int pfd, pid_t pid, dev_t dev, ino_t ino, struct wlist *out)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int tfd, r = 0;

	if (fstatat(pfd, "task", &st, 0) < 0 || st.st_nlink <= 3)
		return 0;
	tfd = openat(pfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return 0;
	d = fdopendir(tfd);
	if (!d) {
		close(tfd);
		return 0;
	}
	while (r == 0 && (de = readdir(d))) {
		pid_t tid = parse_pid(de->d_name);
		int t;
		if (tid <= 0 || tid == pid || !own_table(pid, tid))
			continue;
		t = openat(tfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t < 0)
			continue;
		r = scan_fds(t, pid, tid, dev, ino, out);
		close(t);
	}
	closedir(d);
	return r;
}

int writers_scan(dev_t dev, ino_t ino, struct wlist *out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		pid_t pid = parse_pid(de->d_name);
		int pfd;
		if (pid <= 0 || pid == self)
			continue;
		pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		r = scan_fds(pfd, pid, 0, dev, ino, out);
		if (r == 0)
			r = scan_threads(pfd, pid, dev, ino, out);
		if (r == 0 && writers_maps_write(pid, dev, ino))
			r = add(out, pid, 0, -1);
		close(pfd);
	}
	closedir(d);
	return r;
}
