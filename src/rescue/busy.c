/* busy: the cross-process "a job reads this file" marks; see rescue/busy.h. */
#include "rescue/busy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define BUSY_ROOT "/run/rescuetui"
#define BUSY_DIR  BUSY_ROOT "/busy"

/* The directory may be moved for tests of programs that cannot write /run. */
static const char *busy_dir(void)
{
	const char *d = getenv("RESCUETUI_BUSY_DIR");

	return d && *d ? d : BUSY_DIR;
}

static int open_mark(dev_t dev, ino_t ino, int flags)
{
	char path[256];
	const char *dir = busy_dir();

	if (flags & O_CREAT) {
		if (!getenv("RESCUETUI_BUSY_DIR"))
			(void)mkdir(BUSY_ROOT, 0700);
		(void)mkdir(dir, 0700);
	}
	snprintf(path, sizeof(path), "%s/%u:%u:%llu", dir, major(dev), minor(dev),
	         (unsigned long long)ino);
	return open(path, flags | O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
}

int busy_hold(dev_t dev, ino_t ino)
{
	int fd = open_mark(dev, ino, O_CREAT);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

void busy_release(int fd)
{
	if (fd >= 0)
		close(fd);
}

int busy_check(dev_t dev, ino_t ino)
{
	int fd = open_mark(dev, ino, 0), r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		r = errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return r;
}
