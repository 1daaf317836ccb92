/* shq: quoting for a POSIX shell. See shq.h. */
#include "text/shq.h"

#include <errno.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What one output piece appends, written through a cursor that counts past OUTLEN. */
struct sink {
	char *out;
	size_t cap, n;
};

static void put(struct sink *k, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++, k->n++)
		if (k->n + 1 < k->cap)
			k->out[k->n] = s[i];
}

/* Length of the valid, printable UTF-8 character at S (N bytes left), or 0 when the
 * byte there must be written as an octal escape. */
static size_t printable_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] >= 0x20 && s[0] < 0x7f)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0; /* controls, DEL, continuation bytes, overlong leads */
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls and the characters that reorder a line on a terminal. */
	if ((cp >= 0x80 && cp < 0xa0) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return len;
}

/* A word the shell takes as it is: only these bytes, and not empty. */
static bool bare(const char *s, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                           "0123456789_./-:+,@%";

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '\0' || !strchr(safe, s[i]))
			return false;
	return true;
}

size_t shq_quote(char *out, size_t outlen, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	struct sink k = {out, outlen, 0};
	bool open = false; /* inside '...' */
	size_t i = 0;

	if (len == 0)
		put(&k, "''", 2);
	if (bare(s, len)) {
		put(&k, s, len);
		i = len;
	}
	while (i < len) {
		size_t c = printable_len(u + i, len - i);
		if (c > 0 && u[i] != '\'') {
			if (!open)
				put(&k, "'", 1);
			open = true;
			put(&k, s + i, c);
			i += c;
			continue;
		}
		if (open)
			put(&k, "'", 1);
		open = false;
		if (u[i] == '\'') {
			/* "'" rather than \': a face that shows the line escapes backslashes */
			put(&k, "\"'\"", 3);
		} else if (u[i] == '\n') {
			put(&k, "'\n'", 3);
		} else {
			char esc[] = "\"$(printf '\\000')\"";
			esc[12] = (char)('0' + (u[i] >> 6));
			esc[13] = (char)('0' + ((u[i] >> 3) & 7));
			esc[14] = (char)('0' + (u[i] & 7));
			put(&k, esc, sizeof(esc) - 1);
		}
		i++;
	}
	if (open)
		put(&k, "'", 1);
	if (outlen > 0)
		out[k.n < outlen ? k.n : outlen - 1] = '\0';
	return k.n;
}

char *shq_dup(const char *s, size_t len)
{
	size_t need = shq_quote(NULL, 0, s, len);
	char *out = malloc(need + 1);

	if (out)
		shq_quote(out, need + 1, s, len);
	return out;
}

int shq_append(char *buf, size_t len, size_t *used, const char *s)
{
	size_t at = *used + (*used ? 1 : 0), need;

	if (at >= len)
		return -ENAMETOOLONG;
	need = shq_quote(buf + at, len - at, s, strlen(s));
	if (need >= len - at) {
		buf[*used] = '\0';
		return -ENAMETOOLONG;
	}
	if (*used)
		buf[*used] = ' ';
	*used = at + need;
	return 0;
}
