/* libFuzzer: sizes and rates as people type them (--max-rate, fmt_parse_size), and
 * the round trip: every string fmt_size prints reads back, close to the value. */
#include "text/fmt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[16];
	uint64_t v, back, x = 0;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (fmt_parse_size(s, &v) == 0) {
		fmt_size(buf, sizeof(buf), v);
		if (fmt_parse_size(buf, &back) != 0)
			abort();
	}
	free(s);
	memcpy(&x, data, size < sizeof(x) ? size : sizeof(x));
	fmt_size(buf, sizeof(buf), x);
	if (strlen(buf) > 6 || fmt_parse_size(buf, &back) != 0)
		abort();
	/* within rounding: 5% (6.3% at the very top, shown as "15E") */
	if (x >= 1024) {
		long double err = ((long double)back - (long double)x) / (long double)x;
		if (err > 0.0625L || err < -0.0667L)
			abort();
	}
	return 0;
}
