/* libFuzzer: the parsers of text from /proc and /sys (find/parse.h): fdinfo, maps
 * lines and their unescaping, " (deleted)" links and loop backing files, sysfs
 * numbers, pid names. Each must take any bytes without reading past them, and its
 * results must stay inside the input. */
#include "find/parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copies, so that ASan sees any read past the end. */
	char *s = malloc(size + 1);
	struct parse_fdinfo fi;
	struct parse_maps m;
	uint64_t v;
	size_t stripped;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)parse_fdinfo(s, size, &fi);
	if (parse_deleted_suffix(s, size, &stripped) && stripped > size)
		abort();
	if (parse_maps_line(s, size, &m) == 0) {
		if (m.path_len && (m.path < s || m.path + m.path_len > s + size))
			abort(); /* the path must point into the line */
		char *u = malloc(m.path_len + 1);
		if (u) {
			size_t n = parse_maps_unescape(u, m.path, m.path_len);
			if (n > m.path_len || u[n] != '\0')
				abort();
			free(u);
		}
	}
	(void)parse_sysfs_u64(s, &v);
	(void)parse_pid(s);
	free(s);
	return 0;
}
