/* json: a small streaming JSON writer. */
#include "text/json.h"

#include "text/esc.h"

#include <assert.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->after_key = false;
	j->len = 0;
}

void json_flush(struct json *j)
{
	if (j->len)
		fwrite_unlocked(j->buf, 1, j->len, j->f);
	j->len = 0;
}

void json_fork(struct json *j, const struct json *from, FILE *f, bool more)
{
	j->f = f;
	j->depth = from->depth;
	memcpy(j->need_comma, from->need_comma, sizeof(j->need_comma));
	j->after_key = from->after_key;
	j->len = 0; /* what FROM has buffered is FROM's */
	if (j->depth > 0 && more)
		j->need_comma[j->depth - 1] = true;
}

static void put_c(struct json *j, char c)
{
	if (j->len == JSON_BUF)
		json_flush(j);
	j->buf[j->len++] = c;
}

/* N bytes of a literal or a number (at most 64: strings go through put_str). */
static void put_mem(struct json *j, const char *s, size_t n)
{
	assert(n <= 64);
	if (n > JSON_BUF - j->len)
		json_flush(j);
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

/* S (LEN bytes) as a JSON string, quotes included (esc.h, esc_json). */
static void put_str(struct json *j, const char *s, size_t len)
{
	put_c(j, '"');
	while (len > 0) {
		size_t used;
		if (JSON_BUF - j->len < ESC_JSON_CHAR_MAX)
			json_flush(j);
		j->len += esc_json_mem(j->buf + j->len, JSON_BUF - j->len, s, len, &used);
		s += used;
		len -= used;
	}
	put_c(j, '"');
}

/* Before any value: a comma when it is not the first in its array or object (after
 * a key, json_key already wrote it). */
static void value_begin(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth - 1])
			put_c(j, ',');
		j->need_comma[j->depth - 1] = true;
	}
}

/* The end of the outermost value ends the document: it goes to the FILE. */
static void value_end(struct json *j)
{
	if (j->depth == 0) {
		put_c(j, '\n');
		json_flush(j);
	}
}

static void open_container(struct json *j, char c)
{
	assert(j->depth < JSON_MAX_DEPTH);
	/* Without asserts, write nothing rather than overrun need_comma. */
	if (j->depth >= JSON_MAX_DEPTH)
		return;
	value_begin(j);
	put_c(j, c);
	j->need_comma[j->depth++] = false;
}

static void close_container(struct json *j, char c)
{
	assert(j->depth > 0 && !j->after_key);
	if (j->depth <= 0)
		return;
	j->depth--;
	put_c(j, c);
	value_end(j);
}

void json_obj_begin(struct json *j)
{
	open_container(j, '{');
}

void json_obj_end(struct json *j)
{
	close_container(j, '}');
}

void json_arr_begin(struct json *j)
{
	open_container(j, '[');
}

void json_arr_end(struct json *j)
{
	close_container(j, ']');
}

void json_key(struct json *j, const char *key)
{
	assert(j->depth > 0 && !j->after_key);
	value_begin(j);
	put_str(j, key, strlen(key));
	put_c(j, ':');
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_bytes(j, s, strlen(s));
}

void json_bytes(struct json *j, const char *s, size_t len)
{
	value_begin(j);
	put_str(j, s, len);
	value_end(j);
}

/* Digits of V, sign first when NEG, in one write (fprintf costs more than the rest
 * of a large report's numbers together). */
static void put_number(struct json *j, uint64_t v, bool neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (neg)
		*--p = '-';
	put_mem(j, p, (size_t)(buf + sizeof(buf) - p));
}

void json_int(struct json *j, int64_t v)
{
	value_begin(j);
	put_number(j, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
	value_end(j);
}

void json_uint(struct json *j, uint64_t v)
{
	value_begin(j);
	put_number(j, v, false);
	value_end(j);
}

/* Replace the locale's decimal point in BUF with '.': a program that sets LC_NUMERIC
 * from the environment would otherwise write "1,5", which is not JSON. */
static void fix_decimal_point(char *buf)
{
	const char *dp = localeconv()->decimal_point;
	if (!dp || !*dp || strcmp(dp, ".") == 0)
		return;
	char *p = strstr(buf, dp);
	if (!p)
		return;
	size_t dl = strlen(dp);
	*p = '.';
	memmove(p + 1, p + dl, strlen(p + dl) + 1);
}

void json_double(struct json *j, double v)
{
	value_begin(j);
	if (!isfinite(v)) {
		put_mem(j, "null", 4);
	} else {
		/* The shortest of 15..17 significant digits that reads back as the same
		 * double: 0.1 stays "0.1", and no precision is lost. */
		char buf[64];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		fix_decimal_point(buf);
		put_mem(j, buf, strlen(buf));
	}
	value_end(j);
}

void json_bool(struct json *j, bool v)
{
	value_begin(j);
	if (v)
		put_mem(j, "true", 4);
	else
		put_mem(j, "false", 5);
	value_end(j);
}

void json_null(struct json *j)
{
	value_begin(j);
	put_mem(j, "null", 4);
	value_end(j);
}
