/* loopdev: deleted loop backing files. See loopdev.h. */
#include "find/loopdev.h"

#include "find/parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Read a small sysfs file into BUF (NUL-terminated). Returns length or -errno. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static uint64_t read_u64(int dirfd, const char *name)
{
	char buf[64];
	uint64_t v = 0;

	if (read_small(dirfd, name, buf, sizeof(buf)) > 0)
		(void)parse_sysfs_u64(buf, &v);
	return v;
}

/* Fill D from /sys/block/NAME; returns 1 when its backing file is deleted, 0 when
 * not (or not attached), negative errno on failure. */
static int inspect(int blockfd, const char *name, struct loop_dev *d, unsigned *denied)
{
	char buf[8192], devbuf[32];
	size_t len;
	ssize_t n;
	int dfd, fd;
	struct loop_info64 li;
	struct stat st;

	dfd = openat(blockfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	/* backing_file ends with a newline the kernel adds; the name itself may hold one. */
	n = read_small(dfd, "loop/backing_file", buf, sizeof(buf));
	if (n <= 1) {
		close(dfd);
		return 0;
	}
	len = (size_t)n - 1;
	if (!parse_deleted_suffix(buf, len, &len)) {
		close(dfd);
		return 0;
	}
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->path, sizeof(d->path), "/dev/%s", name);
	d->offset = read_u64(dfd, "loop/offset");
	d->sizelimit = read_u64(dfd, "loop/sizelimit");
	d->autoclear = read_u64(dfd, "loop/autoclear") != 0;
	d->readonly = read_u64(dfd, "ro") != 0;
	if (read_small(dfd, "dev", devbuf, sizeof(devbuf)) > 0) {
		unsigned ma, mi;
		if (sscanf(devbuf, "%u:%u", &ma, &mi) == 2)
			d->devno = makedev(ma, mi);
	}
	close(dfd);

	fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != d->devno) {
		/* /dev may lack the node (minimal rescue systems) or be another device. */
		if (fd >= 0)
			close(fd);
		else if (errno == EACCES || errno == EPERM)
			(*denied)++;
		return 0;
	}
	if (ioctl(fd, LOOP_GET_STATUS64, &li) < 0) {
		if (errno == EACCES || errno == EPERM)
			(*denied)++;
		close(fd);
		return 0;
	}
	close(fd);
	d->file_dev = (dev_t)li.lo_device;
	d->file_ino = li.lo_inode;
	d->backing = malloc(len + 1);
	if (!d->backing)
		return -ENOMEM;
	memcpy(d->backing, buf, len);
	d->backing[len] = '\0';
	d->backing_len = len;
	return 1;
}

int loop_find_deleted(const char *sysroot, struct loop_dev **out, size_t *n, unsigned *denied)
{
	char path[256];
	int blockfd;
	DIR *dir;
	struct dirent *de;
	struct loop_dev *v = NULL;
	size_t cnt = 0, cap = 0;
	int r = 0;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/block", sysroot);
	blockfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (blockfd < 0)
		return -errno;
	dir = fdopendir(blockfd);
	if (!dir) {
		r = -errno;
		close(blockfd);
		return r;
	}
	while ((de = readdir(dir))) {
		struct loop_dev d;
		int k;

		if (strncmp(de->d_name, "loop", 4) != 0)
			continue;
		k = inspect(blockfd, de->d_name, &d, denied);
		if (k < 0) {
			r = k;
			break;
		}
		if (k == 0)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct loop_dev *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				free(d.backing);
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		v[cnt++] = d;
	}
	closedir(dir);
	if (r < 0) {
		loop_free(v, cnt);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void loop_free(struct loop_dev *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].backing);
	free(v);
}
