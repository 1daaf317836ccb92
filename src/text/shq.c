/* shq: shell quoting. See shq.h. */
#include "text/shq.h"

#include <stdbool.h>
#include <string.h>

/* Characters that mean nothing to a shell, anywhere in a word. */
static const char SHQ_PLAIN[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-./:@%+=,";

int shq_append(char *buf, size_t len, size_t *used, const char *s)
{
	size_t o = *used;
	bool plain = *s && strspn(s, SHQ_PLAIN) == strlen(s);

#define SHQ_PUT(c)                                                                                 \
	do {                                                                                       \
		if (o + 1 >= len)                                                                  \
			goto full;                                                                 \
		buf[o++] = (c);                                                                    \
	} while (0)
	if (o)
		SHQ_PUT(' ');
	if (!plain)
		SHQ_PUT('\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'' && !plain) {
			SHQ_PUT('\'');
			SHQ_PUT('\\');
			SHQ_PUT('\'');
		}
		SHQ_PUT(*p);
	}
	if (!plain)
		SHQ_PUT('\'');
#undef SHQ_PUT
	buf[o] = '\0';
	*used = o;
	return 0;
full:
	if (len)
		buf[*used] = '\0';
	return -1;
}
