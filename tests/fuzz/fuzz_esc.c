/* libFuzzer: display escaping, JSON escaping and shell quoting of arbitrary bytes.
 * - esc_display: no control byte (C0, DEL) in the output.
 * - esc_json: the output is a JSON string that decodes (surrogateescape for invalid
 *   UTF-8) back to exactly the input bytes.
 * - shq_quote: the word, read the way a POSIX shell reads it, is exactly the input;
 *   no control byte but a quoted newline is in it. */
#include "text/esc.h"
#include "text/shq.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned hexval(char c)
{
	return c >= '0' && c <= '9' ? (unsigned)(c - '0')
	       : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
	       : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
	                              : 99;
}

static void put_utf8(unsigned cp, unsigned char *out, size_t *n)
{
	if (cp < 0x80) {
		out[(*n)++] = (unsigned char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (unsigned char)(0xc0 | cp >> 6);
		out[(*n)++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (unsigned char)(0xe0 | cp >> 12);
		out[(*n)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (unsigned char)(0xf0 | cp >> 18);
		out[(*n)++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		out[(*n)++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (unsigned char)(0x80 | (cp & 0x3f));
	}
}

/* Decode the JSON string J (quotes included) into OUT; returns the length or -1. */
static long json_decode(const char *j, size_t len, unsigned char *out)
{
	size_t n = 0;

	if (len < 2 || j[0] != '"' || j[len - 1] != '"')
		return -1;
	for (size_t i = 1; i < len - 1; i++) {
		unsigned char c = (unsigned char)j[i];
		if (c < 0x20)
			return -1; /* a raw control character is no JSON */
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = (unsigned char)j[++i];
		if (c == 'u') {
			unsigned cp = 0;
			for (int k = 1; k <= 4; k++) {
				unsigned h = hexval(j[i + (size_t)k]);
				if (h > 15)
					return -1;
				cp = cp << 4 | h;
			}
			i += 4;
			if (cp >= 0xdc80 && cp <= 0xdcff)
				out[n++] = (unsigned char)(cp - 0xdc00); /* surrogateescape */
			else if (cp >= 0xd800 && cp <= 0xdbff && j[i + 1] == '\\' && j[i + 2] == 'u') {
				unsigned lo = 0;
				for (int k = 3; k <= 6; k++)
					lo = lo << 4 | hexval(j[i + (size_t)k]);
				i += 6;
				put_utf8(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00), out, &n);
			} else
				put_utf8(cp, out, &n);
			continue;
		}
		switch (c) {
		case 'n': out[n++] = '\n'; break;
		case 't': out[n++] = '\t'; break;
		case 'r': out[n++] = '\r'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		default: return -1;
		}
	}
	return (long)n;
}

/* Read the shell word W as sh does (only the forms shq_quote writes: bare text,
 * '...', "'", and "$(printf '\OOO')"). Returns the length or -1. */
static long sh_decode(const char *w, unsigned char *out)
{
	static const char pf[] = "\"$(printf '\\";
	size_t n = 0;

	while (*w) {
		if (*w == '\'') {
			const char *e = strchr(w + 1, '\'');
			if (!e)
				return -1;
			memcpy(out + n, w + 1, (size_t)(e - w - 1));
			n += (size_t)(e - w - 1);
			w = e + 1;
		} else if (w[0] == '"' && w[1] == '\'' && w[2] == '"') {
			out[n++] = '\'';
			w += 3;
		} else if (strncmp(w, pf, sizeof(pf) - 1) == 0) {
			const char *o = w + sizeof(pf) - 1;
			if (strncmp(o + 3, "')\"", 3) != 0)
				return -1;
			out[n++] = (unsigned char)((o[0] - '0') << 6 | (o[1] - '0') << 3 | (o[2] - '0'));
			w = o + 6;
		} else if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-:+,@%",
		                  *w)) {
			out[n++] = (unsigned char)*w++;
		} else {
			return -1;
		}
	}
	return (long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *d = esc_display(s, size), *q, *jbuf = NULL;
	unsigned char *back;
	size_t jlen = 0;
	long n;
	FILE *f;

	if (d) {
		for (const unsigned char *p = (const unsigned char *)d; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				abort();
		free(d);
	}
	back = malloc(size * 4 + 16);
	if (!back)
		return 0;
	f = open_memstream(&jbuf, &jlen);
	if (f) {
		esc_json(f, s, size);
		fclose(f);
		n = json_decode(jbuf, jlen, back);
		if (n != (long)size || memcmp(back, data, size) != 0)
			abort();
		free(jbuf);
	}
	q = shq_dup(s, size);
	if (q && !memchr(data, '\0', size)) {
		n = sh_decode(q, back);
		if (n != (long)size || memcmp(back, data, size) != 0)
			abort();
		for (const unsigned char *p = (const unsigned char *)q; *p; p++)
			if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
				abort();
	}
	free(q);
	free(back);
	return 0;
}
