/* json: a small streaming JSON writer for the --json outputs.
 *
 * It only tracks nesting and commas; strings go through esc_json(), so names that
 * are not UTF-8 stay reversible. Output is compact, one document per call sequence,
 * with a newline after the outermost value.
 *
 * A document is made in a buffer of the writer's own and handed to its FILE in
 * large pieces with the unlocked stdio calls (a report is megabytes, and a stdio
 * call, let alone a lock, per value cost more than the formatting): while a
 * document is written, no other thread may write to its FILE, or the writer holds
 * the lock (flockfile) for the document. What is buffered reaches the FILE when
 * the buffer is full, when the outermost value ends, and at json_flush: anything
 * else written to the FILE in the middle of a document needs a json_flush first.
 */
#ifndef RT_JSON_H
#define RT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32
#define JSON_BUF       16384

struct json {
	FILE *f;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
	size_t len; /* bytes in buf not yet handed to f */
	char buf[JSON_BUF];
};

/* Start writing to F. Nothing is allocated; a document that ends needs no cleanup
 * (one left open needs json_flush). */
void json_init(struct json *j, FILE *f);

/* Hand what is buffered to the FILE (a part's end, or before writing to the FILE
 * otherwise). */
void json_flush(struct json *j);

/* Go on with FROM's document in another FILE F, from where FROM stands now: a part
 * written beside it (by another thread), to be appended to FROM's output, in
 * order, before FROM writes on; both are flushed before that (json_flush). MORE:
 * FROM writes values at this level before the part is appended, so the part's
 * first value takes a comma. */
void json_fork(struct json *j, const struct json *from, FILE *f, bool more);

/* Open/close an object or array, as a value (after a key or in an array) or at top
 * level. Closing the outermost value writes a newline. Nesting deeper than
 * JSON_MAX_DEPTH is a programming error (assert). */
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

/* Write an object key (a plain ASCII literal); the next call writes its value. */
void json_key(struct json *j, const char *key);

/* Values. json_str writes a NUL-terminated string, json_bytes LEN raw bytes (both
 * escaped with esc_json); json_str with NULL writes null. json_double writes the
 * shortest form that reads back as the same double, with a '.' whatever LC_NUMERIC
 * says, and null for NaN and infinities (JSON has neither). A value at top level is
 * a document of its own and is followed by a newline too. */
void json_str(struct json *j, const char *s);
void json_bytes(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

#endif
