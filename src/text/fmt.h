/* fmt: numbers for people. */
#ifndef RT_FMT_H
#define RT_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Write BYTES in binary units to BUF (at most LEN bytes, NUL-terminated): "0 B",
 * "512 B", "1.5K", "12M", "3.2G", "1.0T" (one decimal below 10, none above; K, M, G,
 * T, P, E are powers of 1024). Rounds to nearest, and a value that rounds to 1024 of
 * a unit is shown as "1.0" of the next one, so the result is at most 6 characters
 * ("1023 B"). At the top, values that would round to "16E" (2^64, which no uint64_t
 * is) are shown as "15E", so that fmt_parse_size reads back every string printed. A short BUF gets a truncated string; LEN 0 leaves
 * it untouched. Returns BUF. */
char *fmt_size(char *buf, size_t len, uint64_t bytes);

/* Parse a size as a person types it: "4096", "64K", "1.5G", "10MiB", "2M" (powers of
 * 1024; the unit letter in either case, then an optional "B" or "iB"; spaces may
 * separate number and unit, so "512 B" from fmt_size reads back). A fraction needs a
 * unit and is rounded to the nearest byte. Returns 0 and sets *OUT, or -EINVAL
 * (garbage, empty, negative, a sign, surrounding blanks, a fraction of a byte) or
 * -ERANGE (does not fit in 64 bits); *OUT is unchanged on error. */
int fmt_parse_size(const char *s, uint64_t *out);

/* A double (a rate, a product of rates and times) as a uint64_t without undefined
 * behaviour: NaN and negatives are 0, anything at or past 2^64 is UINT64_MAX. Every
 * conversion of a measured double to an integer goes through this or fmt_eta. */
uint64_t fmt_u64_of(double v);

/* An estimated time left, SECS seconds, for a progress line: "M:SS", "H:MM:SS", or
 * ">99h" for anything longer (also a NaN or an infinity); "" for a negative SECS
 * (unknown). Returns BUF. */
char *fmt_eta(char *buf, size_t len, double secs);

#endif
