/* words: the offline results in words. See words.h. */
#include "offline/words.h"

#include "rescue/log.h"
#include "text/fmt.h"
#include "text/shq.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *off_type_name(uint32_t mode)
{
	switch (mode & 0170000) {
	case 0100000:
		return "file";
	case 0040000:
		return "dir";
	case 0120000:
		return "symlink";
	default:
		return "other";
	}
}

void off_mode_text(uint32_t mode, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	const char *t = off_type_name(mode);

	out[0] = t[0] == 'f' ? '-' : t[0] == 'd' ? 'd' : t[0] == 's' ? 'l' : '?';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

void off_cells(const struct off_entry *e, struct off_cells *c)
{
	time_t t = (time_t)e->mtime;
	struct tm tm;

	fmt_size(c->size, sizeof(c->size), e->size);
	fmt_size(c->alloc, sizeof(c->alloc), e->allocated);
	off_mode_text(e->mode, c->mode);
	snprintf(c->owner, sizeof(c->owner), "%u:%u", e->uid, e->gid);
	if (!gmtime_r(&t, &tm) || !strftime(c->mtime, sizeof(c->mtime), "%Y-%m-%d %H:%M", &tm))
		snprintf(c->mtime, sizeof(c->mtime), "?");
}

const char *off_journal_advice(const struct off_info *in)
{
	if (!in->needs_recovery)
		return NULL;
	return "The journal needs recovery: it may hold a newer orphan list than the one on "
	       "disk, so files deleted just before the crash can be missing here and listed "
	       "ones may have been freed already. Copy out what is listed now (--recover "
	       "only reads). Do not mount the filesystem or run e2fsck yet: both replay the "
	       "journal and then free every orphan. To see the newer list, replay only the "
	       "journal on a copy of the device (debugfs -w -R journal_run COPY) and run "
	       "--offline on that copy.";
}

size_t off_recover_checks(const char *dev, const struct off_copy_result *r, bool ok,
                          char lines[][AFTER_LEN])
{
	struct after_facts af = {
	    .method = REC_COPY,
	    .result = r->final_path[0] ? r->final_path : NULL,
	    .content = ok ? after_detect(r->final_path) : CONTENT_UNKNOWN,
	    .ok = ok,
	    .verified = r->verified,
	};
	size_t n = ok ? after_checks(&af, lines) : 0;
	char *q = shq_dup(dev, strlen(dev));

	if (n < AFTER_MAX)
		snprintf(lines[n++], AFTER_LEN,
		         "%s was only read: its orphans are still there. Do not mount it or run "
		         "fsck until everything you need is copied: both free the orphans.",
		         q ? q : "the device");
	free(q);
	return n;
}

int off_fsck_command(const char *dev, char *buf, size_t len)
{
	int n = snprintf(buf, len, "e2fsck -f ");
	size_t need;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	need = shq_quote(buf + n, len - (size_t)n, dev, strlen(dev));
	if (need >= len - (size_t)n) {
		snprintf(buf, len, "e2fsck -f ?");
		return -ENAMETOOLONG;
	}
	return 0;
}

int off_log(const char *log, const char *dev, const char *method, uint32_t ino, const char *target,
            uint64_t bytes, const char *result)
{
	char *id = NULL;
	int err;

	if (asprintf(&id, "%s:%" PRIu32, dev, ino) < 0)
		return -ENOMEM;
	err = rlog_append(
	    log,
	    &(struct rlog_line){
	        .method = method, .id = id, .target = target, .bytes = bytes, .result = result});
	free(id);
	return err;
}
