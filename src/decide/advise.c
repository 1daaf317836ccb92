/* advise: per-file recommendations. See advise.h. */
#include "decide/advise.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t adv_fsid(const struct entry *e)
{
	return e->pin.fd >= 0 && e->pin.kind != PIN_LOOPDEV ? target_fsid_of_fd(e->pin.fd) : 0;
}

bool adv_same_fs(const struct target *t, const struct entry *e, const struct advice *a)
{
	return target_same_fs(t, e->dev, a ? a->fsid : 0);
}

static struct rec_target rec_view(const struct target *t, bool same_fs)
{
	return (struct rec_target){
	    .mountpoint = t->mountpoint,
	    .fstype = t->fstype,
	    .size = t->size,
	    .avail = t->avail,
	    .readonly = t->readonly,
	    .ram = t->ram,
	    .network = t->network,
	    .same_fs = same_fs,
	    .reflink = t->reflink,
	};
}

void adv_fit(const struct entry *e, const struct advice *a, const struct target *t, double copy_bps,
             struct rec_fit *out)
{
	struct rec_target rt = rec_view(t, adv_same_fs(t, e, a));
	struct rec_file f;

	adv_unusable(t, e, rt.unusable, sizeof(rt.unusable));
	rec_file_from_entry(e, &f);
	rec_fit(&f, &rt, copy_bps, out);
}

void adv_unusable(const struct target *t, const struct entry *e, char *why, size_t len)
{
	const char *self = e ? target_on_file(t, e->dev, (uint64_t)e->ino) : NULL;

	if (len)
		why[0] = '\0';
	if (!t->answering)
		snprintf(why, len, "it does not answer (frozen, or its server is gone)");
	else if (self)
		snprintf(why, len, "it lives on this very file (through /dev/%s)", self);
	else if (t->doom_loop)
		snprintf(why, len,
		         "it lives on %s, whose backing file is deleted: it vanishes when that is detached",
		         t->doom_loop);
}

void adv_targets_for(const struct entry *e, const struct advice *a, const struct target_list *tl,
                     struct rec_target *rt)
{
	for (size_t i = 0; i < tl->n; i++) {
		rt[i] = rec_view(&tl->v[i], adv_same_fs(&tl->v[i], e, a));
		adv_unusable(&tl->v[i], e, rt[i].unusable, sizeof(rt[i].unusable));
	}
}

struct advice *adv_all(const struct scan_result *r, const struct target_list *tl, double copy_bps)
{
	struct advice *adv;
	struct rec_target *rt;

	if (r->n == 0)
		return NULL;
	adv = calloc(r->n, sizeof(*adv));
	rt = calloc(tl->n ? tl->n : 1, sizeof(*rt));
	if (!adv || !rt) {
		free(adv);
		free(rt);
		errno = ENOMEM;
		return NULL;
	}
	/* The fsid is one per device number: ask the kernel once per device. */
	struct dev_fsid {
		dev_t dev;
		uint64_t fsid;
	} seen[16];
	size_t nseen = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		struct rec_file f;
		size_t k = 0;

		while (k < nseen && seen[k].dev != e->dev)
			k++;
		if (k < nseen) {
			adv[i].fsid = seen[k].fsid;
		} else {
			adv[i].fsid = adv_fsid(e);
			/* An entry without a usable pin says nothing about its device. */
			if (adv[i].fsid != 0 && nseen < ARRAY_SIZE(seen))
				seen[nseen++] = (struct dev_fsid){e->dev, adv[i].fsid};
		}
		adv_targets_for(e, &adv[i], tl, rt);
		rec_file_from_entry(e, &f);
		rec_decide(&f, rt, tl->n, copy_bps, &adv[i].rec);
	}
	free(rt);
	return adv;
}

void adv_held_on(const struct target *t, const struct scan_result *r, const struct advice *adv,
                 uint64_t *bytes, size_t *files)
{
	*bytes = 0;
	*files = 0;
	for (size_t i = 0; r && i < r->n; i++) {
		if (!adv_same_fs(t, &r->v[i], adv ? &adv[i] : NULL))
			continue;
		*bytes += r->v[i].allocated;
		(*files)++;
	}
}
