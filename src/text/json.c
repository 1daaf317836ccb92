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
	memset(j, 0, sizeof(*j));
	j->f = f;
}

void json_fork(struct json *j, const struct json *from, FILE *f, bool more)
{
	*j = *from;
	j->f = f;
	if (j->depth > 0 && more)
		j->need_comma[j->depth - 1] = true;
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
			putc_unlocked(',', j->f);
		j->need_comma[j->depth - 1] = true;
	}
}

static void value_end(struct json *j)
{
	if (j->depth == 0)
		putc_unlocked('\n', j->f);
}

static void open_container(struct json *j, char c)
{
	assert(j->depth < JSON_MAX_DEPTH);
	/* Without asserts, write nothing rather than overrun need_comma. */
	if (j->depth >= JSON_MAX_DEPTH)
		return;
	value_begin(j);
	putc_unlocked(c, j->f);
	j->need_comma[j->depth++] = false;
}

static void close_container(struct json *j, char c)
{
	assert(j->depth > 0 && !j->after_key);
	if (j->depth <= 0)
		return;
	j->depth--;
	putc_unlocked(c, j->f);
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
	esc_json(j->f, key, strlen(key));
	putc_unlocked(':', j->f);
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
	esc_json(j->f, s, len);
	value_end(j);
}

/* Digits of V, sign first when NEG, in one write (fprintf costs more than the rest
 * of a large report's numbers together). */
static void put_number(FILE *f, uint64_t v, bool neg)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (neg)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(buf + sizeof(buf) - p), f);
}

void json_int(struct json *j, int64_t v)
{
	value_begin(j);
	put_number(j->f, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
	value_end(j);
}

void json_uint(struct json *j, uint64_t v)
{
	value_begin(j);
	put_number(j->f, v, false);
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
		fputs_unlocked("null", j->f);
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
		fputs_unlocked(buf, j->f);
	}
	value_end(j);
}

void json_bool(struct json *j, bool v)
{
	value_begin(j);
	fputs_unlocked(v ? "true" : "false", j->f);
	value_end(j);
}

void json_null(struct json *j)
{
	value_begin(j);
	fputs_unlocked("null", j->f);
	value_end(j);
}
