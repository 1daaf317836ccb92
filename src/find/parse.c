/* parse: pure parsers for /proc and /sys text. See parse.h. */
#include "find/parse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>

/* The kernel's O_TMPFILE includes O_DIRECTORY; only this bit marks a tmpfile. */
#define TMPFILE_BIT 020000000u

bool parse_deleted_suffix(const char *s, size_t len, size_t *stripped)
{
	size_t sl = sizeof(PARSE_DELETED_SUFFIX) - 1;

	if (len < sl || memcmp(s + len - sl, PARSE_DELETED_SUFFIX, sl) != 0)
		return false;
	if (stripped)
		*stripped = len - sl;
	return true;
}

/* Read an unsigned number in BASE from [*p, end), advancing *p. */
static int take_u64(const char **p, const char *end, int base, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end)
		return -EINVAL;
	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (d >= (unsigned)base)
			break;
		if (v > (UINT64_MAX - d) / (unsigned)base)
			return -ERANGE;
		v = v * (unsigned)base + d;
	}
	if (s == *p)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static void skip_blanks(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

int parse_fdinfo(const char *buf, size_t len, struct parse_fdinfo *out)
{
	const char *p = buf, *end = buf + len;
	bool have_pos = false, have_flags = false;

	out->pos = 0;
	out->flags = 0;
	out->mnt_id = -1;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;
		uint64_t v;

		if (!eol)
			eol = end;
		q = memchr(p, ':', (size_t)(eol - p));
		if (q) {
			size_t klen = (size_t)(q - p);
			const char *val = q + 1;

			skip_blanks(&val, eol);
			if (klen == 3 && memcmp(p, "pos", 3) == 0) {
				if (take_u64(&val, eol, 10, &v) < 0)
					return -EINVAL;
				out->pos = v;
				have_pos = true;
			} else if (klen == 5 && memcmp(p, "flags", 5) == 0) {
				if (take_u64(&val, eol, 8, &v) < 0 || v > UINT_MAX)
					return -EINVAL;
				out->flags = (unsigned)v;
				have_flags = true;
			} else if (klen == 6 && memcmp(p, "mnt_id", 6) == 0) {
				if (take_u64(&val, eol, 10, &v) == 0 && v <= INT_MAX)
					out->mnt_id = (int)v;
			}
		}
		p = eol + 1;
	}
	return have_pos && have_flags ? 0 : -EINVAL;
}

unsigned parse_access(unsigned flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		return PARSE_ACC_R;
	case O_WRONLY:
		return PARSE_ACC_W;
	default:
		return PARSE_ACC_R | PARSE_ACC_W;
	}
}

bool parse_is_append(unsigned flags)
{
	return flags & O_APPEND;
}

bool parse_is_tmpfile(unsigned flags)
{
	return flags & TMPFILE_BIT;
}

/* Expect one character C at *p. */
static int take_char(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

int parse_maps_line(const char *line, size_t len, struct parse_maps *out)
{
	const char *p = line, *end = line + len;
	uint64_t maj, min;

	memset(out, 0, sizeof(*out));
	if (take_u64(&p, end, 16, &out->start) || take_char(&p, end, '-') ||
	    take_u64(&p, end, 16, &out->end) || take_char(&p, end, ' '))
		return -EINVAL;
	if (end - p < 5 || p[4] != ' ')
		return -EINVAL;
	out->readable = p[0] == 'r';
	out->writable = p[1] == 'w';
	out->shared = p[3] == 's';
	p += 5;
	if (take_u64(&p, end, 16, &out->offset) || take_char(&p, end, ' ') ||
	    take_u64(&p, end, 16, &maj) || take_char(&p, end, ':') || take_u64(&p, end, 16, &min) ||
	    take_char(&p, end, ' ') || take_u64(&p, end, 10, &out->ino))
		return -EINVAL;
	if (maj > UINT_MAX || min > UINT_MAX)
		return -EINVAL;
	out->dev_major = (unsigned)maj;
	out->dev_minor = (unsigned)min;
	/* The kernel pads the path to a column with spaces; a path itself may start with
	 * a space only for names it made up, never for files (those start with '/'). */
	skip_blanks(&p, end);
	out->path = p;
	out->path_len = (size_t)(end - p);
	out->deleted = parse_deleted_suffix(p, out->path_len, &out->path_len);
	return 0;
}

size_t parse_maps_unescape(char *dst, const char *src, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (len - i >= 4 && memcmp(src + i, "\\012", 4) == 0) {
			dst[o++] = '\n';
			i += 4;
		} else {
			dst[o++] = src[i++];
		}
	}
	dst[o] = '\0';
	return o;
}

int parse_sysfs_u64(const char *buf, uint64_t *out)
{
	const char *p = buf, *end = buf + strlen(buf);
	int r;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	r = take_u64(&p, end, 10, out);
	if (r)
		return r;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	return p == end ? 0 : -EINVAL;
}

int parse_stat_comm(const char *buf, size_t len, char *comm, size_t cap, char *state)
{
	const char *open = memchr(buf, '(', len), *close = NULL;
	size_t n;

	for (const char *p = buf + len; open && p > open + 1; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	/* ") S " at least after the name */
	if (!open || !close || buf + len - close < 4 || close[1] != ' ' || close[3] != ' ' ||
	    !cap)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= cap)
		n = cap - 1;
	memcpy(comm, open + 1, n);
	comm[n] = '\0';
	*state = close[2];
	return 0;
}

int parse_stat_num(const char *buf, size_t len, int field, uint64_t *out)
{
	const char *end = buf + len, *p = NULL;

	if (field < 4)
		return -EINVAL;
	for (const char *q = end; q > buf; q--)
		if (q[-1] == ')') {
			p = q;
			break;
		}
	/* after the name: " S" is field 3, then one number per field */
	for (int f = 3; p && f <= field; f++) {
		if (p == end || *p != ' ')
			return -EINVAL;
		p++;
		if (f == field)
			break;
		while (p < end && *p != ' ')
			p++;
	}
	if (!p || take_u64(&p, end, 10, out) < 0 || (p < end && *p != ' ' && *p != '\n'))
		return -EINVAL;
	return 0;
}

int parse_loadavg_tasks(const char *buf, uint64_t *out)
{
	const char *p = buf, *end = buf + strlen(buf);
	uint64_t running;

	/* three load figures, then "running/existing" */
	for (int field = 0; field < 3; field++) {
		while (p < end && *p != ' ')
			p++;
		while (p < end && *p == ' ')
			p++;
	}
	if (take_u64(&p, end, 10, &running) || p == end || *p++ != '/')
		return -EINVAL;
	return take_u64(&p, end, 10, out) || p == end || *p != ' ' ? -EINVAL : 0;
}

int parse_pid(const char *name)
{
	long v = 0;

	if (!*name)
		return -1;
	for (; *name; name++) {
		if (*name < '0' || *name > '9')
			return -1;
		v = v * 10 + (*name - '0');
		if (v > INT_MAX)
			return -1;
	}
	return v > 0 ? (int)v : -1;
}
