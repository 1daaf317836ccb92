/* esc: make bytes from the system (file names, command lines) safe to show.
 *
 * Names on Linux are bytes, not text. Nothing from /proc or a directory reaches a
 * terminal or a JSON document raw: control characters and bytes that are not valid
 * in the current locale are escaped, and cutting is done by display width.
 */
#ifndef RT_ESC_H
#define RT_ESC_H

#include <stddef.h>
#include <stdio.h>

/* Escape LEN bytes of S for a terminal in the current locale (LC_CTYPE). Printable
 * characters pass; '\\' becomes "\\\\"; \n \t \r \e and other C0/C1 controls and
 * DEL become "\n", "\t", "\r", "\e", "\xNN"; bytes that do not decode in the locale
 * (any byte >= 0x80 in a non-UTF-8 locale) become "\xNN". NN is lower-case hex of the
 * original bytes: U+0085 in UTF-8 is "\xc2\x85", an embedded NUL is "\x00". Bidi
 * override/isolate characters (U+202A..E, U+2066..9, U+200E/F, U+061C) are escaped
 * like controls, since they reorder the rest of the line. Distinct inputs give
 * distinct outputs. Returns a malloc'ed NUL-terminated string the caller frees, or
 * NULL when out of memory. */
char *esc_display(const char *s, size_t len);

/* Display width in columns of the NUL-terminated, already escaped string S (wcwidth
 * per character; a character of unknown width counts as 1). */
size_t esc_width(const char *s);

/* Write the already escaped string S to F in exactly WIDTH columns: cut at a
 * character boundary (never in the middle of a multibyte or double-width character)
 * with the last column a '~' when something was cut, padded with spaces when short.
 * LEFT_CUT keeps the end of the string instead of the start (for paths, whose end is
 * what tells them apart); the '~' is then the first column. When a double-width
 * character does not fit, a space between the text and the '~' fills its column.
 * WIDTH 0 writes nothing. */
void esc_put_width(FILE *f, const char *s, size_t width, int left_cut);

/* Write LEN bytes of S to F as a JSON string, quotes included, whatever the locale.
 * Valid UTF-8 passes, except '"', '\\' and controls, which get JSON escapes (\n \t \r
 * \b \f, else "\u00NN"; DEL, C1 controls and the bidi characters above also become
 * "\uNNNN" so the output stays safe on a terminal). Each byte that is not part
 * of valid UTF-8 becomes "\udcNN" (PEP 383 "surrogateescape"), so the original bytes
 * come back with e.g. Python's s.encode("utf-8", "surrogateescape"). Overlong forms,
 * surrogates and code points above U+10FFFF count as invalid. Written with the
 * unlocked stdio calls, as json.h says. */
void esc_json(FILE *f, const char *s, size_t len);

/* The most bytes one character of S takes in esc_json's output ("\uNNNN"). */
#define ESC_JSON_CHAR_MAX 6

/* esc_json's escaping into memory, without the quotes: as much of S (LEN bytes) as
 * fits in DST (ROOM bytes), in whole characters; *USED tells how many bytes of S
 * that was. Returns how many bytes were written. A ROOM of ESC_JSON_CHAR_MAX or
 * more always takes at least one character. */
size_t esc_json_mem(char *dst, size_t room, const char *s, size_t len, size_t *used);

#endif
