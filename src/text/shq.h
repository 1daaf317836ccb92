/* shq: words quoted for a POSIX shell, so that a command we print can be pasted. */
#ifndef RT_SHQ_H
#define RT_SHQ_H

#include <stddef.h>

/* Append S quoted for a shell to BUF (LEN bytes, NUL-terminated, holding *USED
 * bytes), preceded by a space unless BUF is empty: as is when it holds only
 * characters no shell treats specially, else in single quotes ('\'' for a quote).
 * Returns 0, or -1 when it does not fit (BUF is then left as it was). */
int shq_append(char *buf, size_t len, size_t *used, const char *s);

#endif
