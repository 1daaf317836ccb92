/* words: what the offline results mean, in the same sentences for every face.
 *
 * The CLI (--offline) and the console show the same facts after a list, a copy or a
 * relink: what a journal that needs recovery means for the orphan list, the
 * reminders after a copy, the command to run before mounting, and the line in the
 * action log. They are made here once, so that the two faces cannot drift apart.
 * The strings carry names as they are (commands have them quoted for a POSIX
 * shell): a face escapes them for display. Nothing here prints.
 */
#ifndef RT_OFF_WORDS_H
#define RT_OFF_WORDS_H

#include "decide/after.h"
#include "offline/extract.h"
#include "offline/orphan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "file", "dir", "symlink" or "other" for an i_mode. */
const char *off_type_name(uint32_t mode);

/* ls -l's mode text ("-rw-r--r--") of an i_mode into OUT. */
void off_mode_text(uint32_t mode, char out[11]);

/* The cells of an orphan's row, as the list (CLI and console) shows them: sizes,
 * mode, uid:gid and the mtime in UTC to the minute ("?" when it cannot be shown). */
struct off_cells {
	char size[16], alloc[16], mode[11], owner[24], mtime[32];
};
void off_cells(const struct off_entry *e, struct off_cells *c);

/* What the journal's state means for the orphan list and what to do, or NULL when
 * the journal needs no recovery. A static string. */
const char *off_journal_advice(const struct off_info *in);

/* The reminders after copying an inode out of DEV: the generic ones of a copy
 * (decide/after.h, when OK) and that DEV's orphans are still there. Fills at most
 * AFTER_MAX LINES; returns how many. */
size_t off_recover_checks(const char *dev, const struct off_copy_result *r, bool ok,
                          char lines[][AFTER_LEN]);

/* "e2fsck -f DEV" with DEV quoted for a POSIX shell, into BUF (LEN bytes): the
 * command to run before mounting after a relink. 0, or -ENAMETOOLONG (BUF then
 * holds "e2fsck -f ?"). */
int off_fsck_command(const char *dev, char *buf, size_t len);

/* Append the action log line of an offline action (rescue/log.h) to LOG (NULL: the
 * default): METHOD "offline-copy" or "offline-relink", the id "DEV:INO", TARGET
 * (may be NULL), BYTES and RESULT ("ok..." or why not). Returns rlog_append's
 * value: 0 or a negative errno (-EINVAL: LOG is not a regular file). */
int off_log(const char *log, const char *dev, const char *method, uint32_t ino, const char *target,
            uint64_t bytes, const char *result);

#endif
