/* shq: names quoted for a POSIX shell, for the commands we suggest pasting.
 *
 * A suggested command ("e2fsck -fn FILE", "losetup -d DEV") must run exactly that
 * command whatever the file is called: a name is one shell word, and no byte of it
 * can end the quoting, start a command or reach the terminal raw.
 */
#ifndef RT_SHQ_H
#define RT_SHQ_H

#include <stddef.h>

/* Quote LEN bytes of S as one POSIX shell word into OUT (OUTLEN bytes, always
 * NUL-terminated when OUTLEN > 0). A word of only letters, digits and "_./-:+,@%"
 * is left as it is ("/dev/loop4"). Otherwise printable text (valid UTF-8, no control
 * characters) goes between single quotes, a ' as '"'"' (no backslash, so that the
 * display escaping, which doubles backslashes, leaves it alone). Every other byte (controls,
 * DEL, bytes that are not valid UTF-8, C1 and bidi controls) is written as
 * "$(printf '\OOO')", so that the word holds only printable ASCII and UTF-8 and the
 * shell rebuilds the exact byte. A newline cannot be made that way (command
 * substitution drops trailing newlines) and is written as a quoted literal newline:
 * the face shows it escaped, and such a line must be typed, not pasted. (Shown
 * through the display escaping, the backslash of "\OOO" is doubled: pasted, that
 * names another file, and still runs nothing else.) Returns the
 * length the full result needs (excluding the NUL); a result that did not fit
 * (return >= OUTLEN) must not be used, since a cut quote is no command. */
size_t shq_quote(char *out, size_t outlen, const char *s, size_t len);

/* shq_quote into a malloc'ed string; NULL when out of memory. */
char *shq_dup(const char *s, size_t len);

/* Append S as one more quoted word to the command in BUF (LEN bytes, *USED of them
 * used), with a space before it unless it is the first. 0, or -ENAMETOOLONG when it
 * does not fit (BUF is then left as it was). */
int shq_append(char *buf, size_t len, size_t *used, const char *s);

#endif
