/* fmt: numbers for people. */
#include "text/fmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const char units[] = "KMGTPE";

char *fmt_size(char *buf, size_t len, uint64_t bytes)
{
	if (len == 0)
		return buf;
	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	/* Integer arithmetic only: a double cannot hold every uint64_t, and the
	 * rounding must be exact at the unit boundaries. */
	for (unsigned k = 1; k <= 6; k++) {
		unsigned shift = 10 * k;
		uint64_t q = bytes >> shift;
		uint64_t r = bytes & ((UINT64_C(1) << shift) - 1);
		uint64_t half = UINT64_C(1) << (shift - 1);
		if (q >= 1024 && k < 6)
			continue;
		/* Value in tenths, rounded half up; r * 10 < 10 << 60 fits. */
		uint64_t tenths = q * 10 + (r * 10 + half) / (UINT64_C(1) << shift);
		if (tenths < 100) {
			snprintf(buf, len, "%u.%u%c", (unsigned)(tenths / 10),
			         (unsigned)(tenths % 10), units[k - 1]);
			return buf;
		}
		uint64_t whole = q + (r >= half);
		/* 15.5E and up would round to "16E", which is 2^64 and does not read back:
		 * the top unit is cut down instead, so every string here parses. */
		if (k == 6 && whole > 15)
			whole = 15;
		/* 1023.5K and up would print as "1024K": that is "1.0M". */
		if (whole >= 1024 && k < 6)
			continue;
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[k - 1]);
		return buf;
	}
	return buf; /* not reached: k == 6 always prints */
}

uint64_t fmt_u64_of(double v)
{
	/* 2^64 is exact in a double; v >= it (or NaN, by the first test) cannot convert. */
	if (!(v > 0))
		return 0;
	if (v >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)v;
}

#define ETA_MAX_S (99.0 * 3600)

char *fmt_eta(char *buf, size_t len, double secs)
{
	unsigned long s;

	if (len == 0)
		return buf;
	if (secs < 0) {
		buf[0] = '\0';
		return buf;
	}
	if (!(secs < ETA_MAX_S)) {
		snprintf(buf, len, ">99h");
		return buf;
	}
	s = (unsigned long)secs;
	if (s >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lu:%02lu", s / 60, s % 60);
	return buf;
}

/* Power of 1024 for a unit letter (either case), or -1. */
static int unit_power(char c)
{
	for (int k = 0; units[k]; k++)
		if (c == units[k] || c == units[k] + ('a' - 'A'))
			return k + 1;
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Round NUM / DEN * 2^SHIFT to the nearest integer, exactly, for NUM < DEN <= 10^18:
 * binary long division, since NUM << SHIFT does not fit in 64 bits. */
static uint64_t frac_scale(uint64_t num, uint64_t den, unsigned shift)
{
	uint64_t q = 0;
	for (unsigned b = 0; b < shift; b++) {
		num <<= 1; /* num < den < 2^60, so no overflow */
		q <<= 1;
		if (num >= den) {
			num -= den;
			q |= 1;
		}
	}
	if (num * 2 >= den)
		q++;
	return q;
}

int fmt_parse_size(const char *s, uint64_t *out)
{
	if (!s || !is_digit(*s))
		return -EINVAL; /* also rejects "", "-1", "+1", " 1" and ".5K" */

	const char *p = s;
	while (is_digit(*p))
		p++;
	/* Only digits are in front of P, so strtoull cannot take a sign, blanks or a
	 * "0x" prefix; it is only here for its overflow check. */
	errno = 0;
	uint64_t whole = strtoull(s, NULL, 10);
	bool too_big = errno == ERANGE;

	/* The fraction as NUM / DEN; digits past the 18th change less than 2 bytes
	 * even for E, and are ignored. */
	uint64_t num = 0, den = 1;
	bool has_frac = false;
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return -EINVAL;
		has_frac = true;
		for (; is_digit(*p); p++) {
			if (den < UINT64_C(1000000000000000000)) {
				num = num * 10 + (uint64_t)(*p - '0');
				den *= 10;
			}
		}
	}

	/* Blanks between number and unit, so that fmt_size's "512 B" reads back; but
	 * not trailing ones. */
	const char *after_blanks = p;
	while (*after_blanks == ' ')
		after_blanks++;
	if (*after_blanks)
		p = after_blanks;
	int k = 0;
	if (*p && *p != 'B') {
		k = unit_power(*p);
		if (k < 0)
			return -EINVAL;
		p++;
		if (*p == 'i' && p[1] == 'B')
			p += 2;
		else if (*p == 'B')
			p++;
	} else if (*p == 'B') {
		p++;
	}
	if (*p)
		return -EINVAL;
	/* A fraction of a byte is a typo, not a size. */
	if (has_frac && k == 0)
		return -EINVAL;
	if (too_big)
		return -ERANGE;

	unsigned shift = 10 * (unsigned)k;
	if (shift > 0 && whole > (UINT64_MAX >> shift))
		return -ERANGE;
	uint64_t v = whole << shift;
	if (has_frac) {
		uint64_t f = frac_scale(num, den, shift);
		if (f > UINT64_MAX - v)
			return -ERANGE;
		v += f;
	}
	*out = v;
	return 0;
}
