/* badmap: the map of unread ranges and its file. See badmap.h. */
#include "rescue/badmap.h"
#include "base/fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BADMAP_MAGIC   "rescuetui-unread 1"
#define BADMAP_END     "end-of-map"
#define BADMAP_LINE    96   /* bytes a range line takes at most */
#define BADMAP_ERR_MAX 4095 /* the kernel's errno values stay below this */

void badmap_init(struct badmap *m)
{
	m->v = NULL;
	m->n = m->cap = 0;
}

void badmap_free(struct badmap *m)
{
	free(m->v);
	badmap_init(m);
}

/* Room for EXTRA more ranges. */
static int reserve(struct badmap *m, size_t extra)
{
	size_t cap = m->cap ? m->cap : 8;
	struct badrange *v;

	if (m->n + extra <= m->cap)
		return 0;
	while (cap < m->n + extra)
		cap *= 2;
	v = realloc(m->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->v = v;
	m->cap = cap;
	return 0;
}

size_t badmap_find(const struct badmap *m, uint64_t off)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->v[mid].start + m->v[mid].len <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int badmap_remove(struct badmap *m, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	size_t i;

	if (len == 0)
		return 0;
	if (end < start)
		end = UINT64_MAX;
	/* a cut in the middle of one range is the only case that needs one more */
	if (reserve(m, 1) < 0)
		return -ENOMEM;
	i = badmap_find(m, start);
	while (i < m->n && m->v[i].start < end) {
		struct badrange *r = &m->v[i];
		uint64_t rend = r->start + r->len;
		if (r->start < start && rend > end) {
			memmove(r + 2, r + 1, (m->n - i - 1) * sizeof(*r));
			m->v[i + 1] = (struct badrange){end, rend - end, r->err};
			r->len = start - r->start;
			m->n++;
			return 0;
		}
		if (r->start < start) { /* keep the head */
			r->len = start - r->start;
			i++;
		} else if (rend > end) { /* keep the tail */
			r->len = rend - end;
			r->start = end;
			i++;
		} else { /* all of it goes */
			memmove(r, r + 1, (m->n - i - 1) * sizeof(*r));
			m->n--;
		}
	}
	return 0;
}

/* Merge range I with its neighbours when they touch and share the error. */
static void merge_around(struct badmap *m, size_t i)
{
	if (i + 1 < m->n && m->v[i].start + m->v[i].len == m->v[i + 1].start &&
	    m->v[i].err == m->v[i + 1].err) {
		m->v[i].len += m->v[i + 1].len;
		memmove(&m->v[i + 1], &m->v[i + 2], (m->n - i - 2) * sizeof(m->v[0]));
		m->n--;
	}
	if (i > 0 && m->v[i - 1].start + m->v[i - 1].len == m->v[i].start &&
	    m->v[i - 1].err == m->v[i].err) {
		m->v[i - 1].len += m->v[i].len;
		memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
		m->n--;
	}
}

int badmap_add(struct badmap *m, uint64_t start, uint64_t len, int err)
{
	size_t i;

	if (len == 0)
		return 0;
	if (start + len < start)
		return -EOVERFLOW;
	/* two more at most: one for a split by the removal, one for the new range */
	if (reserve(m, 2) < 0)
		return -ENOMEM;
	(void)badmap_remove(m, start, len); /* cannot fail: room is reserved */
	i = badmap_find(m, start);
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(m->v[0]));
	m->v[i] = (struct badrange){start, len, err};
	m->n++;
	merge_around(m, i);
	return 0;
}

bool badmap_overlaps(const struct badmap *m, uint64_t start, uint64_t len)
{
	size_t i;

	if (len == 0 || m->n == 0)
		return false;
	i = badmap_find(m, start);
	return i < m->n && m->v[i].start < start + len;
}

uint64_t badmap_total(const struct badmap *m)
{
	uint64_t t = 0;

	for (size_t i = 0; i < m->n; i++)
		t += m->v[i].len;
	return t;
}

int badmap_format(const struct badmap *m, const struct badmap_id *id, char **text, size_t *len)
{
	size_t cap = 256 + m->n * BADMAP_LINE, off;
	char *s = malloc(cap);
	int w;

	if (!s)
		return -ENOMEM;
	w = snprintf(s, cap, BADMAP_MAGIC "\ndev %" PRIu64 "\nino %" PRIu64 "\nsize %" PRIu64 "\n",
	             id->dev, id->ino, id->size);
	off = (size_t)w;
	for (size_t i = 0; i < m->n; i++) {
		w = snprintf(s + off, cap - off, "range %" PRIu64 " %" PRIu64 " %d\n",
		             m->v[i].start, m->v[i].len, m->v[i].err);
		off += (size_t)w;
	}
	w = snprintf(s + off, cap - off, BADMAP_END "\n");
	*text = s;
	*len = off + (size_t)w;
	return 0;
}

/* One "KEY N" line of the header into *OUT; false when LINE is not that. */
static bool header_line(const char *line, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	char *end;

	if (strncmp(line, key, kl) != 0 || line[kl] != ' ' || line[kl + 1] < '0' ||
	    line[kl + 1] > '9')
		return false;
	errno = 0;
	*out = strtoull(line + kl + 1, &end, 10);
	return errno == 0 && *end == '\0';
}

/* One "range START LENGTH ERRNO" line, after the ranges before it. */
static int range_line(const char *line, const struct badmap_id *id, struct badmap *m)
{
	unsigned long long s, l;
	int e, used = 0;

	if (sscanf(line, "range %llu %llu %d%n", &s, &l, &e, &used) != 3 || line[used] != '\0' ||
	    strchr(line, '-'))
		return -EINVAL;
	if (l == 0 || s + l < s || s + l > id->size || e <= 0 || e > BADMAP_ERR_MAX)
		return -EINVAL;
	if (m->n && m->v[m->n - 1].start + m->v[m->n - 1].len > s)
		return -EINVAL; /* out of order or overlapping: not written by us */
	if (reserve(m, 1) < 0)
		return -ENOMEM;
	m->v[m->n++] = (struct badrange){s, l, e};
	return 0;
}

int badmap_parse(const char *text, size_t len, struct badmap_id *id, struct badmap *m)
{
	char *copy, *line, *save = NULL;
	bool done = false;
	int r = 0, k = 0;

	if (memchr(text, '\0', len))
		return -EINVAL;
	if (!(copy = strndup(text, len)))
		return -ENOMEM;
	memset(id, 0, sizeof(*id));
	for (line = strtok_r(copy, "\n", &save); line && !r; line = strtok_r(NULL, "\n", &save)) {
		if (done) {
			r = -EINVAL; /* nothing may follow the end */
		} else if (k == 0) {
			r = strcmp(line, BADMAP_MAGIC) ? -EINVAL : 0;
		} else if (k == 1) {
			r = header_line(line, "dev", &id->dev) ? 0 : -EINVAL;
		} else if (k == 2) {
			r = header_line(line, "ino", &id->ino) ? 0 : -EINVAL;
		} else if (k == 3) {
			r = header_line(line, "size", &id->size) ? 0 : -EINVAL;
		} else if (strcmp(line, BADMAP_END) == 0) {
			done = true;
		} else {
			r = range_line(line, id, m);
		}
		k++;
	}
	free(copy);
	if (!r && !done)
		r = -EINVAL;
	if (r)
		badmap_free(m);
	return r;
}

int badmap_save_at(int dir_fd, const char *name, const struct badmap *m, const struct badmap_id *id)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	char tmp[300], *text;
	size_t len;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if ((r = badmap_format(m, id, &text, &len)) < 0)
		return r;
	fd = openat(dir_fd, tmp, flags, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(dir_fd, tmp, 0) == 0)
		fd = openat(dir_fd, tmp, flags, 0600); /* left by a crash */
	if (fd < 0) {
		r = -errno;
		free(text);
		return r;
	}
	r = fd_write_all(fd, text, len);
	free(text);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dir_fd, tmp, 0);
	else if (fsync(dir_fd) < 0 && errno != EINVAL)
		r = -errno;
	return r;
}

int badmap_load_at(int dir_fd, const char *name, struct badmap_id *id, struct badmap *m)
{
	struct stat st;
	char *text;
	size_t got = 0;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY), r;

	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)BADMAP_FILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, text + got, (size_t)st.st_size - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	r = got == (size_t)st.st_size ? badmap_parse(text, got, id, m) : -EIO;
	free(text);
	return r;
}

int badmap_drop_at(int dir_fd, const char *name)
{
	if (unlinkat(dir_fd, name, 0) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fsync(dir_fd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}
