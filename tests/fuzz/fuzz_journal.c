/* libFuzzer: the journal beside a .partial, as read back to resume a rescue. Any
 * bytes: no crash, and a journal that parses is complete and names a method that
 * fits its field. */
#include "rescue/journal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	struct journal jr;

	if (!s)
		return 0;
	memcpy(s, data, size);
	if (journal_parse(s, size, &jr) == 0 &&
	    (!jr.complete || memchr(jr.method, '\0', sizeof(jr.method)) == NULL))
		abort();
	free(s);
	return 0;
}
