/* reclaim: truncating a held deleted file through its holder; see rescue/reclaim.h. */
#include "rescue/reclaim.h"

#include "decide/reclaim.h"
#include "find/scan.h"
#include "rescue/busy.h"
#include "rescue/log.h"
#include "rescue/writers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static uint64_t free_bytes(int fd)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	return (uint64_t)sv.f_bfree * (uint64_t)sv.f_frsize;
}

/* Open E for writing through holder H; the fd, or a negative errno. */
static int open_through(const struct entry *e, const struct holder *h)
{
	char p[64];
	struct stat st;
	int fd;

	writers_fd_path(p, sizeof(p), h->pid, h->tid, h->fd);
	/* O_NONBLOCK: never wait on a lease or a FIFO that took the fd's number */
	fd = open(p, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != e->dev ||
	    st.st_ino != e->ino || st.st_nlink != 0) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int reclaim_truncate(const struct entry *e, struct reclaim_result *out)
{
	int fd = -ENOENT;
	const struct holder *h = NULL;
	struct stat st;

	for (size_t i = 0; i < e->nholders && fd < 0; i++) {
		if (e->holders[i].type != HOLDER_FD || e->holders[i].others_pin)
			continue;
		h = &e->holders[i];
		fd = open_through(e, h);
		if (fd == -ESTALE || fd == -EACCES)
			return fd;
	}
	if (fd < 0)
		return fd;
	*out = (struct reclaim_result){.pid = h->pid, .fd = h->fd};
	out->size_before = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	(void)syncfs(fd);
	out->free_before = free_bytes(fd);
	if (ftruncate(fd, 0) < 0) {
		int e2 = errno;
		close(fd);
		return -e2;
	}
	/* freed blocks are counted once the change is committed */
	(void)fsync(fd);
	(void)syncfs(fd);
	out->free_after = free_bytes(fd);
	out->freed = out->free_after > out->free_before ? out->free_after - out->free_before : 0;
	close(fd);
	return 0;
}

void reclaim_gather(const struct entry *e, const char *id, const char *log,
                    struct reclaim_facts *out)
{
	struct rlog_rescue lr;
	struct statvfs sv;
	int busy = busy_check(e->dev, e->ino);

	*out = (struct reclaim_facts){.e = e, .busy = busy != 0};
	if (e->pin.fd >= 0 && fstatvfs(e->pin.fd, &sv) == 0)
		out->readonly_fs = (sv.f_flag & ST_RDONLY) != 0;
	if (rlog_find_rescue(log, id, &lr) == 1) {
		out->rescued = true;
		out->rescued_size = lr.src_size;
		out->rescued_when = lr.when;
	}
}

int reclaim_log(const char *log, const struct entry *e, const char *id, uint64_t freed,
                const char *result)
{
	struct rlog_line l = {
	    .method = "reclaim",
	    .id = id,
	    .path = e->path,
	    .path_len = e->path_len,
	    .target = NULL,
	    .bytes = freed,
	    .result = result,
	    .src_size = e->size,
	};

	return rlog_append(log, &l);
}
