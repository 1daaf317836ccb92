/* fmt: numbers for people. */
#ifndef RT_FMT_H
#define RT_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Write BYTES in binary units to BUF (at most LEN bytes, NUL-terminated): "0 B",
 * "512 B", "1.5K", "12M", "3.2G", "1.0T" (one decimal below 10, none above; K, M, G,
 * T, P, E are powers of 1024). Returns BUF. */
char *fmt_size(char *buf, size_t len, uint64_t bytes);

/* Parse a size as a person types it: "4096", "64K", "1.5G", "10MiB", "2M" (powers of
 * 1024; an optional "B"/"iB"). Returns 0 and sets *OUT, or -EINVAL (garbage, empty,
 * negative) or -ERANGE (does not fit in 64 bits). */
int fmt_parse_size(const char *s, uint64_t *out);

#endif
