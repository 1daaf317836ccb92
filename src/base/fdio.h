/* fdio: writing a whole buffer to an fd, the way every small state file here
 * (journal, map of unread ranges) is written. */
#ifndef RT_BASE_FDIO_H
#define RT_BASE_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* Write all N bytes of P to FD, again after EINTR and short writes. 0, or the
 * negative errno of the write that failed. */
static inline int fd_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

#endif
