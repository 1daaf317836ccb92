/* dest: resolving --to. See dest.h. */
#include "decide/dest.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Names tried in a directory: NAME, NAME.1 ... NAME.999. */
#define DEST_TRIES 1000
/* A base name leaves room for ".999" and DEST_JOURNAL within NAME_MAX. */
#define DEST_BASE_MAX (NAME_MAX - 4 - (sizeof(DEST_JOURNAL) - 1))

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* PATH + SUFFIX exists? */
static bool exists_with(const char *path, const char *suffix)
{
	char buf[4200];

	if (snprintf(buf, sizeof(buf), "%s%s", path, suffix) >= (int)sizeof(buf))
		return false;
	return exists(buf);
}

/* Longest extension kept when a name is shortened (".qcow2", ".tar.gz" is two). */
#define EXT_MAX 16

/* Cut NAME to at most MAX bytes so that its .partial.journal fits in NAME_MAX:
 * the end of the stem goes, the extension stays, and no UTF-8 character is split. */
static void shorten(char *name, size_t max)
{
	size_t len = strlen(name), ext_len = 0, keep;
	const char *dot = strrchr(name, '.');

	if (len <= max)
		return;
	if (dot && dot != name && (size_t)(name + len - dot) <= EXT_MAX)
		ext_len = (size_t)(name + len - dot);
	keep = max - ext_len;
	/* Back off continuation bytes so the cut is at a character boundary. */
	while (keep > 0 && ((unsigned char)name[keep] & 0xc0) == 0x80)
		keep--;
	memmove(name + keep, name + len - ext_len, ext_len + 1);
}

/* PATH is our own incomplete result: a map of unread ranges beside it that OURS
 * says is this file's. */
static bool incomplete_ours(const char *path, bool (*ours)(const char *dest, void *ctx), void *ctx)
{
	return ours && exists(path) && exists_with(path, DEST_UNREAD) && ours(path, ctx);
}

/* The base name to use in a directory: the original one, unless it is empty, a
 * dot name, or the "#INO" the kernel gives O_TMPFILE files. */
static void base_name(const char *orig, size_t len, ino_t ino, char *out, size_t outlen)
{
	const char *slash = memrchr(orig, '/', len);
	const char *b = slash ? slash + 1 : orig;
	size_t bl = len - (size_t)(b - orig);
	char tmpname[32];

	snprintf(tmpname, sizeof(tmpname), "#%llu", (unsigned long long)ino);
	if (bl == 0 || (bl == 1 && b[0] == '.') || (bl == 2 && memcmp(b, "..", 2) == 0) ||
	    (bl == strlen(tmpname) && memcmp(b, tmpname, bl) == 0) || bl >= outlen ||
	    memchr(b, '\0', bl)) {
		snprintf(out, outlen, "rescued-%llu", (unsigned long long)ino);
		return;
	}
	memcpy(out, b, bl);
	out[bl] = '\0';
	shorten(out, DEST_BASE_MAX);
}

int dest_resolve(const char *to, const char *orig, size_t orig_len, ino_t ino, char *out,
                 size_t len, bool *resume)
{
	return dest_resolve_ours(to, orig, orig_len, ino, NULL, NULL, out, len, resume);
}

int dest_resolve_ours(const char *to, const char *orig, size_t orig_len, ino_t ino,
                      bool (*ours)(const char *dest, void *ctx), void *ctx, char *out, size_t len,
                      bool *resume)
{
	struct stat st;
	char base[256];

	*resume = false;
	if (!to || !*to)
		return -EINVAL;
	if (stat(to, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* "out/" and "out//" are "out": no "out//name" (but "/" stays "/"). */
		int tl = (int)strlen(to);
		while (tl > 1 && to[tl - 1] == '/')
			tl--;
		if (tl == 1 && to[0] == '/')
			tl = 0;
		base_name(orig ? orig : "", orig ? orig_len : 0, ino, base, sizeof(base));
		for (unsigned n = 0; n < DEST_TRIES; n++) {
			int w = n ? snprintf(out, len, "%.*s/%s.%u", tl, to, base, n)
			          : snprintf(out, len, "%.*s/%s", tl, to, base);
			if (w < 0 || (size_t)w >= len)
				return -ENAMETOOLONG;
			if (!exists(out) && exists_with(out, DEST_PARTIAL) &&
			    exists_with(out, DEST_JOURNAL) && (!ours || ours(out, ctx))) {
				*resume = true;
				return 0;
			}
			if (incomplete_ours(out, ours, ctx)) {
				*resume = true;
				return 0;
			}
			if (!exists(out) && !exists_with(out, DEST_PARTIAL) &&
			    !exists_with(out, DEST_UNREAD))
				return 0;
		}
		return -EEXIST;
	}
	if (snprintf(out, len, "%s", to) >= (int)len)
		return -ENAMETOOLONG;
	if (incomplete_ours(to, ours, ctx)) {
		*resume = true;
		return 0;
	}
	{
		/* A name given in full is kept as it is: it must leave room for the
		 * suffixes of the files beside it. */
		const char *slash = strrchr(to, '/');
		if (strlen(slash ? slash + 1 : to) + strlen(DEST_JOURNAL) > NAME_MAX)
			return -ENAMETOOLONG;
	}
	if (exists(to))
		return -EEXIST;
	if (exists_with(to, DEST_PARTIAL)) {
		if (!exists_with(to, DEST_JOURNAL))
			return -EEXIST;
		*resume = true;
		return 0;
	}
	/* The directory it would go in must be there: nothing is created on the way. */
	{
		char dir[4200];
		const char *slash = strrchr(to, '/');
		if (!slash)
			return 0;
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - to) + (slash == to), to);
		if (stat(dir, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}
