/* procs: holder details through libproc2. See procs.h. */
#include "procs.h"

#include "scan.h"

#include <errno.h>
#include <libproc2/pids.h>
#include <stdlib.h>
#include <string.h>

enum { I_PID, I_CMD, I_USER, I_STATE, I_CMDLINE };

static enum pids_item items[] = {PIDS_ID_PID, PIDS_CMD, PIDS_ID_EUSER, PIDS_STATE, PIDS_CMDLINE};

/* libproc2 selects at most this many pids per call. */
#define SELECT_MAX 255

/* Holders sorted by pid, so a fetched process finds its holders by binary search. */
struct ref {
	unsigned pid;
	struct holder *h;
};

static int dup_into(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static int by_pid(const void *a, const void *b)
{
	unsigned x = ((const struct ref *)a)->pid, y = ((const struct ref *)b)->pid;
	return x < y ? -1 : x > y;
}

static int fill(struct ref *refs, size_t n, struct pids_stack *st)
{
	struct ref key = {.pid = (unsigned)PIDS_VAL(I_PID, s_int, st, NULL)};
	struct ref *hit = bsearch(&key, refs, n, sizeof(*refs), by_pid);

	if (!hit)
		return 0;
	while (hit > refs && hit[-1].pid == key.pid)
		hit--;
	for (; hit < refs + n && hit->pid == key.pid; hit++) {
		struct holder *h = hit->h;
		if (dup_into(&h->comm, PIDS_VAL(I_CMD, str, st, NULL)) ||
		    dup_into(&h->user, PIDS_VAL(I_USER, str, st, NULL)) ||
		    dup_into(&h->cmdline, PIDS_VAL(I_CMDLINE, str, st, NULL)))
			return -ENOMEM;
		h->state = (char)PIDS_VAL(I_STATE, s_ch, st, NULL);
	}
	return 0;
}

int procs_describe(struct scan_result *r)
{
	struct pids_info *info = NULL;
	struct ref *refs = NULL;
	unsigned *pids = NULL;
	size_t n = 0, cap = 0, u = 0;
	int err = 0;

	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->v[i].nholders; j++) {
			struct holder *h = &r->v[i].holders[j];
			if (h->type == HOLDER_LOOP)
				continue;
			h->state = '?';
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct ref *nr = realloc(refs, nc * sizeof(*nr));
				if (!nr) {
					free(refs);
					return -ENOMEM;
				}
				refs = nr;
				cap = nc;
			}
			refs[n++] = (struct ref){.pid = (unsigned)h->pid, .h = h};
		}
	}
	if (n == 0)
		return 0;
	qsort(refs, n, sizeof(*refs), by_pid);
	pids = malloc(n * sizeof(*pids));
	if (!pids) {
		free(refs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (u == 0 || pids[u - 1] != refs[i].pid)
			pids[u++] = refs[i].pid;
	if (procps_pids_new(&info, items, (int)(sizeof(items) / sizeof(items[0]))) == 0) {
		for (size_t off = 0; off < u && err == 0; off += SELECT_MAX) {
			int cnt = (int)(u - off < SELECT_MAX ? u - off : SELECT_MAX);
			struct pids_fetch *f =
			    procps_pids_select(info, pids + off, cnt, PIDS_SELECT_PID);
			for (int k = 0; f && k < f->counts->total && err == 0; k++)
				err = fill(refs, n, f->stacks[k]);
		}
		procps_pids_unref(&info);
	}
	free(pids);
	free(refs);
	return err;
}
