/* reclaim: the rules for giving back the space of a held deleted file; see
 * decide/reclaim.h. */
#include "decide/reclaim.h"

#include "find/scan.h"
#include "text/fmt.h"

#include <stdio.h>

/* The first holder of TYPE that is not another rescuetui's pin, or NULL. */
static const struct holder *holder_of(const struct entry *e, enum holder_type type)
{
	for (size_t i = 0; i < e->nholders; i++)
		if (e->holders[i].type == type && !e->holders[i].others_pin)
			return &e->holders[i];
	return NULL;
}

/* The reasons that forbid it whatever the admin says. */
static bool refused(const struct reclaim_facts *f, char *why, size_t len)
{
	const struct entry *e = f->e;
	const struct holder *h;

	if ((h = holder_of(e, HOLDER_MMAP)))
		snprintf(
		    why, len,
		    "it is memory-mapped by %s[%d]: truncating a mapped file kills that process with SIGBUS",
		    h->comm ? h->comm : "?", (int)h->pid);
	else if ((h = holder_of(e, HOLDER_LOOP)))
		snprintf(
		    why, len,
		    "it is the backing file of %s: truncating it would destroy the filesystem on that loop device",
		    h->loop_dev);
	else if (e->kind == KIND_TMPFILE && holder_of(e, HOLDER_FD))
		snprintf(
		    why, len,
		    "it is an O_TMPFILE file that can be linked back under a name (--recover with --method relink) instead of being lost");
	else if (e->kind == KIND_MEMFD || e->kind == KIND_SHM)
		snprintf(why, len, "it is memory (memfd or shared memory), not space on a disk");
	else if (!holder_of(e, HOLDER_FD))
		snprintf(
		    why, len,
		    "no process holds it open: there is no file descriptor to truncate it through");
	else if (f->busy)
		snprintf(why, len, "a rescue job is reading it right now: wait for the job to end");
	else if (f->readonly_fs)
		snprintf(why, len, "its filesystem is mounted read-only");
	else
		return false;
	return true;
}

enum reclaim_verdict reclaim_judge(const struct reclaim_facts *f, char *why, size_t len)
{
	const struct entry *e = f->e;
	char then[16], now[16];

	if (refused(f, why, len))
		return RECLAIM_REFUSED;
	if (!f->rescued) {
		snprintf(why, len,
		         "the action log holds no verified rescue of it: its data would be lost");
		return RECLAIM_NEEDS_DISCARD;
	}
	if (e->size != f->rescued_size) {
		snprintf(
		    why, len,
		    "it changed since its verified rescue (%s then, %s now): the rescue does not hold all of it",
		    fmt_size(then, sizeof(then), f->rescued_size),
		    fmt_size(now, sizeof(now), e->size));
		return RECLAIM_NEEDS_DISCARD;
	}
	if ((long long)e->mtime.tv_sec > f->rescued_when) {
		snprintf(
		    why, len,
		    "it was written to after its verified rescue: the rescue does not hold all of it");
		return RECLAIM_NEEDS_DISCARD;
	}
	snprintf(why, len,
	         "a verified rescue of it is in the action log and it has not changed since");
	return RECLAIM_OK;
}
