/* esc: make bytes from the system safe to show on a terminal or in JSON. */
#include "text/esc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

static const char hex_digits[] = "0123456789abcdef";

/* Bidirectional overrides and isolates are "printable" to iswprint, but they reorder
 * whatever follows on the line in terminals that do bidi, so a name could pose as
 * another ("Trojan Source"). They are treated like controls. */
static bool is_bidi_control(uint32_t c)
{
	return c == 0x200e || c == 0x200f || c == 0x061c || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

static char *put_hex(char *o, unsigned char c)
{
	*o++ = '\\';
	*o++ = 'x';
	*o++ = hex_digits[c >> 4];
	*o++ = hex_digits[c & 0xf];
	return o;
}

static bool wide_is_safe(wchar_t wc)
{
	return iswprint((wint_t)wc) && wcwidth(wc) >= 0 && !is_bidi_control((uint32_t)wc);
}

char *esc_display(const char *s, size_t len)
{
	/* "\xNN" is the longest escape, so 4 bytes out per byte in is always enough;
	 * one allocation up front beats growing a buffer for names this short. */
	if (len > (SIZE_MAX - 1) / 4) {
		errno = ENOMEM;
		return NULL;
	}
	char *out = malloc(4 * len + 1);
	if (!out)
		return NULL;

	/* In an 8-bit locale every byte "decodes", but names on a modern system are
	 * UTF-8 or garbage: showing their bytes as Latin-1 would be mojibake that
	 * looks like a real, different name. */
	bool single_byte = MB_CUR_MAX == 1;
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	char *o = out;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			switch (c) {
			case '\\':
				*o++ = '\\';
				*o++ = '\\';
				break;
			case '\n':
				*o++ = '\\';
				*o++ = 'n';
				break;
			case '\t':
				*o++ = '\\';
				*o++ = 't';
				break;
			case '\r':
				*o++ = '\\';
				*o++ = 'r';
				break;
			case 0x1b:
				*o++ = '\\';
				*o++ = 'e';
				break;
			default:
				if (c < 0x20 || c == 0x7f)
					o = put_hex(o, c);
				else
					*o++ = (char)c;
			}
			i++;
			continue;
		}
		if (single_byte) {
			o = put_hex(o, c);
			i++;
			continue;
		}
		wchar_t wc;
		size_t r = mbrtowc(&wc, s + i, len - i, &st);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
			/* Escape only the first byte and try again after it: the next
			 * byte may start a valid character. */
			memset(&st, 0, sizeof(st));
			o = put_hex(o, c);
			i++;
			continue;
		}
		if (wide_is_safe(wc)) {
			memcpy(o, s + i, r);
			o += r;
		} else {
			/* C1 controls and the like: show their bytes, which is what is
			 * in the name. */
			for (size_t k = 0; k < r; k++)
				o = put_hex(o, (unsigned char)s[i + k]);
		}
		i += r;
	}
	*o = '\0';
	return out;
}

/* Decode the character at S (N > 0 bytes left): returns its length in bytes and sets
 * *COLS to its width. A byte that does not decode, or a character of unknown width,
 * counts as one column, as esc_width promises. */
static size_t next_char(const char *s, size_t n, mbstate_t *st, size_t *cols)
{
	unsigned char c = (unsigned char)*s;
	if (c < 0x80) {
		*cols = 1;
		return 1;
	}
	wchar_t wc;
	size_t r = mbrtowc(&wc, s, n, st);
	if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
		memset(st, 0, sizeof(*st));
		*cols = 1;
		return 1;
	}
	int w = wcwidth(wc);
	*cols = w < 0 ? 1 : (size_t)w;
	return r;
}

size_t esc_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t n = strlen(s), i = 0, width = 0;
	while (i < n) {
		size_t cols;
		i += next_char(s + i, n - i, &st, &cols);
		width += cols;
	}
	return width;
}

static void put_spaces(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

void esc_put_width(FILE *f, const char *s, size_t width, int left_cut)
{
	size_t n = strlen(s);
	size_t total = esc_width(s);
	if (total <= width) {
		fwrite(s, 1, n, f);
		put_spaces(f, width - total);
		return;
	}
	if (width == 0)
		return;

	size_t budget = width - 1; /* one column for the '~' */
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t i = 0, cols;
	if (!left_cut) {
		size_t used = 0;
		while (i < n) {
			mbstate_t before = st;
			size_t l = next_char(s + i, n - i, &st, &cols);
			if (used + cols > budget) {
				st = before;
				break;
			}
			used += cols;
			i += l;
		}
		fwrite(s, 1, i, f);
		/* A double-width character that did not fit leaves one column. */
		put_spaces(f, budget - used);
		fputc('~', f);
		return;
	}

	/* Only forward decoding works in every locale, so walk from the start and drop
	 * characters until the rest fits. */
	size_t rest = total;
	while (i < n && rest > budget) {
		i += next_char(s + i, n - i, &st, &cols);
		rest -= cols;
	}
	/* Zero-width (combining) characters belong to the character just dropped. */
	while (i < n) {
		mbstate_t peek = st;
		size_t l = next_char(s + i, n - i, &peek, &cols);
		if (cols != 0)
			break;
		st = peek;
		i += l;
	}
	fputc('~', f);
	put_spaces(f, budget - rest);
	fwrite(s + i, 1, n - i, f);
}

/* Length of the valid UTF-8 sequence at S (N > 0 bytes left) and its code point in
 * *CP, or 0 when the bytes there are not one. The ranges of the second byte are the
 * ones in RFC 3629, which is what excludes overlong forms, surrogates and code
 * points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3f);
	}
	return len;
}

/* "\uNNNN" at O (ESC_JSON_CHAR_MAX bytes). */
static size_t put_json_u(char *o, unsigned v)
{
	o[0] = '\\';
	o[1] = 'u';
	for (int k = 0; k < 4; k++)
		o[2 + k] = hex_digits[(v >> (12 - 4 * k)) & 0xf];
	return ESC_JSON_CHAR_MAX;
}

/* The two-character escape of CP, or NULL. */
static const char *json_short_escape(uint32_t cp)
{
	switch (cp) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	default:
		return NULL;
	}
}

static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

size_t esc_json_mem(char *dst, size_t room, const char *s, size_t len, size_t *used)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;

	while (i < len) {
		const char *e;
		uint32_t cp;
		size_t run = i, l;

		/* Plain printable ASCII, the bulk of any name, is copied in one piece. */
		while (run < len && run - i < room - o && json_plain(u[run]))
			run++;
		if (run > i) {
			memcpy(dst + o, u + i, run - i);
			o += run - i;
			i = run;
			continue;
		}
		if (room - o < ESC_JSON_CHAR_MAX)
			break;
		l = utf8_seq(u + i, len - i, &cp);
		if (l == 0) {
			/* PEP 383: the lone byte 0xNN becomes the surrogate U+DCNN. */
			o += put_json_u(dst + o, 0xdc00u | u[i]);
			i++;
			continue;
		}
		if ((e = json_short_escape(cp))) {
			memcpy(dst + o, e, 2);
			o += 2;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || is_bidi_control(cp)) {
			/* JSON allows DEL, C1 controls and bidi controls raw, but escaping
			 * them keeps `rescuetui --json | less` safe and loses nothing. */
			o += put_json_u(dst + o, cp);
		} else {
			memcpy(dst + o, u + i, l);
			o += l;
		}
		i += l;
	}
	*used = i;
	return o;
}

void esc_json(FILE *f, const char *s, size_t len)
{
	char buf[1024];

	putc_unlocked('"', f);
	while (len > 0) {
		size_t used, n = esc_json_mem(buf, sizeof(buf), s, len, &used);
		fwrite_unlocked(buf, 1, n, f);
		s += used;
		len -= used;
	}
	putc_unlocked('"', f);
}
