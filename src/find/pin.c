/* pin: hold deleted files open. See pin.h. */
#include "find/pin.h"
#include "base/compat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* FILEID_INO32_GEN from <linux/exportfs.h>, which is not a uapi header. */
#define RT_FILEID_INO32_GEN 1

/* Is FD the deleted regular file (DEV, INO)? Its stat goes to ST. */
static int confirm(int fd, dev_t dev, ino_t ino, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode) || st->st_dev != dev || st->st_ino != ino)
		return -ESTALE;
	if (st->st_nlink != 0)
		return -ESTALE;
	return 0;
}

/* open() read-only, asking for O_NOATIME but accepting that only the owner (or
 * CAP_FOWNER) may: a rescue should not change the file's times, yet must not fail
 * over it. */
static int open_noatime(int at, const char *name)
{
	int fd = openat(at, name, PIN_OPEN_FLAGS);

	if (fd < 0 && errno == EPERM)
		fd = openat(at, name, PIN_OPEN_FLAGS & ~O_NOATIME);
	return fd < 0 ? -errno : fd;
}

bool pin_flags_match(unsigned flags)
{
	unsigned mask = O_ACCMODE | O_NOATIME | O_NONBLOCK;

	return (flags & mask) == (O_RDONLY | O_NOATIME | O_NONBLOCK);
}

/* The lowest free fd number: how many fds are in use, give or take the gaps. */
static int fds_in_use(void)
{
	int fd = open("/", O_PATH | O_CLOEXEC);

	if (fd < 0)
		return 3;
	close(fd);
	return fd;
}

size_t pin_reserve(size_t n)
{
	struct rlimit rl;
	int hi, top, fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	hi = fds_in_use();
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)hi + n) {
		/* Only with CAP_SYS_RESOURCE; otherwise the old hard limit stays. */
		struct rlimit more = {.rlim_cur = (rlim_t)hi + n, .rlim_max = (rlim_t)hi + n};
		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			rl = more;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)INT_MAX)
		rl.rlim_cur = INT_MAX;
	top = (size_t)hi + n < rl.rlim_cur ? hi + (int)n : (int)rl.rlim_cur - 1;
	/* A dup at the top fd grows the table once, while we are still one thread;
	 * tables never shrink, so closing it again keeps the room. */
	if (top > hi && (fd = open("/", O_PATH | O_CLOEXEC)) >= 0) {
		int d = fcntl(fd, F_DUPFD_CLOEXEC, top);
		if (d >= 0)
			close(d);
		close(fd);
	}
	return rl.rlim_cur > (rlim_t)hi ? (size_t)(rl.rlim_cur - (rlim_t)hi) : 0;
}

int pin_open_at(int at, const char *name, struct stat *st, enum pin_kind kind, struct pin *out)
{
	struct stat now;
	int fd = open_noatime(at, name), r;

	if (fd < 0)
		return fd;
	r = confirm(fd, st->st_dev, st->st_ino, &now);
	if (r == 0)
		*st = now;
	if (r < 0) {
		close(fd);
		return r;
	}
	*out = (struct pin){.fd = fd, .kind = kind};
	return 0;
}

int pin_stat(int fd, struct stat *st)
{
	struct statx sx;

	if (fstat(fd, st) == 0)
		return 0;
	if (errno != ESTALE && errno != ENOENT)
		return -errno;
	/* A FUSE file unlinked with hard_remove no longer answers getattr; what the
	 * kernel has cached (size, inode, device, times) is still right. */
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx) < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = (ino_t)sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_size = (off_t)sx.stx_size;
	st->st_blksize = (blksize_t)sx.stx_blksize;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
	st->st_atim.tv_sec = sx.stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
	return 0;
}

int pin_open_getfd(pid_t pid, int fd, struct stat *st, struct pin *out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), dup, r = 0;

	if (pidfd < 0)
		return -errno;
	/* the new fd comes close-on-exec */
	dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (dup < 0)
		r = -errno;
	close(pidfd);
	if (r < 0)
		return r;
	if ((r = pin_stat(dup, st)) < 0)
		;
	else if (!S_ISREG(st->st_mode) || st->st_nlink != 0)
		r = -ESTALE;
	if (r < 0) {
		close(dup);
		return r;
	}
	*out = (struct pin){.fd = dup, .kind = PIN_GETFD};
	return 0;
}

int pin_open_handle(int mount_fd, dev_t dev, uint64_t ino, struct pin *out, struct stat *st)
{
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + 8];
	} h;
	uint32_t words[2] = {(uint32_t)ino, 0};
	int fd, r;

	if (ino > UINT32_MAX)
		return -EOVERFLOW;
	h.fh.handle_bytes = sizeof(words);
	h.fh.handle_type = RT_FILEID_INO32_GEN;
	memcpy(h.fh.f_handle, words, sizeof(words));
	fd = open_by_handle_at(mount_fd, &h.fh, PIN_OPEN_FLAGS);
	if (fd < 0)
		return -errno;
	r = confirm(fd, dev, (ino_t)ino, st);
	if (r < 0) {
		close(fd);
		return r;
	}
	*out = (struct pin){.fd = fd, .kind = PIN_HANDLE};
	return 0;
}

int pin_open_loopdev(const char *devpath, uint64_t start, struct pin *out)
{
	uint64_t size = 0;
	/* O_DIRECT: a filesystem mounted on the device writes file data around the
	 * device's page cache, so buffered reads of /dev/loopN can return stale blocks. */
	int fd = open(devpath, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_DIRECT);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*out = (struct pin){.fd = fd, .kind = PIN_LOOPDEV, .dev_start = start, .dev_size = size};
	return 0;
}

/* O_DIRECT wants aligned offsets, lengths and memory: read the aligned span that
 * covers [off, off + n) into a bounce buffer and copy the asked part out. */
#define DIRECT_ALIGN 4096u
#define DIRECT_MAX   (4u << 20)

static ssize_t pread_direct(int fd, void *buf, size_t n, uint64_t off, uint64_t limit)
{
	uint64_t start = off & ~(uint64_t)(DIRECT_ALIGN - 1), end;
	size_t span;
	void *bounce;
	ssize_t r;

	if (n > DIRECT_MAX)
		n = DIRECT_MAX;
	end = (off + n + DIRECT_ALIGN - 1) & ~(uint64_t)(DIRECT_ALIGN - 1);
	span = (size_t)(end - start);
	if (posix_memalign(&bounce, DIRECT_ALIGN, span) != 0)
		return -ENOMEM;
	do
		r = pread(fd, bounce, span, (off_t)start);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		r = -errno;
	else if ((uint64_t)r <= off - start)
		r = 0;
	else {
		size_t got = (size_t)r - (size_t)(off - start);
		if (got > n)
			got = n;
		if (off + got > limit)
			got = (size_t)(limit - off);
		memcpy(buf, (char *)bounce + (off - start), got);
		r = (ssize_t)got;
	}
	free(bounce);
	return r;
}

ssize_t pin_pread(const struct pin *p, void *buf, size_t n, uint64_t off)
{
	ssize_t r;

	if (p->fd < 0)
		return -EBADF;
	if (p->kind == PIN_LOOPDEV) {
		if (off < p->dev_start)
			return -ENXIO;
		off -= p->dev_start;
		if (off >= p->dev_size)
			return 0;
		if (n > p->dev_size - off)
			n = (size_t)(p->dev_size - off);
		return pread_direct(p->fd, buf, n, off, p->dev_size);
	}
	do
		r = pread(p->fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

void pin_release(struct pin *p)
{
	if (p->fd >= 0)
		close(p->fd);
	*p = (struct pin)PIN_INIT;
}

const char *pin_kind_name(enum pin_kind k)
{
	switch (k) {
	case PIN_FD:
		return "fd";
	case PIN_MAP:
		return "map";
	case PIN_HANDLE:
		return "handle";
	case PIN_LOOPDEV:
		return "loopdev";
	case PIN_GETFD:
		return "getfd";
	default:
		return "none";
	}
}
