/* libFuzzer: the selectors of --recover (scan_select) against a small scan: ids,
 * PID:FD, loopN, /dev/loopN and original paths, with any bytes. */
#include "find/scan.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char p0[] = "/var/lib/vm.img", p1[] = "/var/log/app.log", p2[] = "/var/lib/vm.img";
	struct holder h[3] = {
	    {.type = HOLDER_FD, .pid = 100, .fd = 3},
	    {.type = HOLDER_FD, .pid = 200, .fd = 7},
	    {.type = HOLDER_LOOP, .loop_dev = "/dev/loop3"},
	};
	struct entry e[3] = {
	    {.dev = makedev(8, 1), .ino = 12, .path = p0, .path_len = sizeof(p0) - 1,
	     .holders = &h[0], .nholders = 1, .pin = PIN_INIT},
	    {.dev = makedev(8, 1), .ino = 13, .path = p1, .path_len = sizeof(p1) - 1,
	     .holders = &h[1], .nholders = 1, .pin = PIN_INIT},
	    {.dev = makedev(254, 3), .ino = 99, .path = p2, .path_len = sizeof(p2) - 1,
	     .holders = &h[2], .nholders = 1, .pin = PIN_INIT},
	};
	struct scan_result r = {.v = e, .n = 3};
	char *s = malloc(size + 1);
	long i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	i = scan_select(&r, s);
	if (i >= 3 || (i < 0 && i != -ENOENT && i != -ENOTUNIQ && i != -EINVAL))
		abort();
	free(s);
	return 0;
}
