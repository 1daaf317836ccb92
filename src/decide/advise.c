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

bool adv_same_fs(const struct target *t, const struct entry *e, uint64_t fsid)
{
	return target_same_fs(t, e->dev, fsid);
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

void adv_fit(const struct entry *e, uint64_t fsid, const struct target *t, double copy_bps,
             struct rec_fit *out)
{
	struct rec_target rt = rec_view(t, adv_same_fs(t, e, fsid));
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

void adv_targets_for(const struct entry *e, uint64_t fsid, const struct target_list *tl,
                     struct rec_target *rt)
{
	for (size_t i = 0; i < tl->n; i++) {
		rt[i] = rec_view(&tl->v[i], adv_same_fs(&tl->v[i], e, fsid));
		adv_unusable(&tl->v[i], e, rt[i].unusable, sizeof(rt[i].unusable));
	}
}

int advisor_init(struct advisor *av, const struct scan_result *r, const struct target_list *tl,
                 double copy_bps)
{
	/* The fsid is one per device number: ask the kernel once per device. */
	struct dev_fsid {
		dev_t dev;
		uint64_t fsid;
	} seen[16];
	size_t nseen = 0;

	*av = (struct advisor){.r = r, .tl = tl, .copy_bps = copy_bps};
	av->fsid = calloc(r->n ? r->n : 1, sizeof(*av->fsid));
	av->rt = calloc(tl->n ? tl->n : 1, sizeof(*av->rt));
	if (!av->fsid || !av->rt) {
		advisor_free(av);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		size_t k = 0;

		while (k < nseen && seen[k].dev != e->dev)
			k++;
		if (k < nseen) {
			av->fsid[i] = seen[k].fsid;
			continue;
		}
		av->fsid[i] = adv_fsid(e);
		/* An entry without a usable pin says nothing about its device. */
		if (av->fsid[i] != 0 && nseen < ARRAY_SIZE(seen))
			seen[nseen++] = (struct dev_fsid){e->dev, av->fsid[i]};
	}
	return 0;
}

int advisor_share(struct advisor *av, const struct advisor *from)
{
	*av = (struct advisor){.r = from->r,
	                       .tl = from->tl,
	                       .copy_bps = from->copy_bps,
	                       .fsid = from->fsid,
	                       .shared = true};
	av->rt = calloc(av->tl->n ? av->tl->n : 1, sizeof(*av->rt));
	return av->rt ? 0 : -ENOMEM;
}

static void decide(struct advisor *av, size_t i, struct advice *out)
{
	const struct entry *e = &av->r->v[i];
	struct rec_file f;

	out->fsid = av->fsid[i];
	adv_targets_for(e, out->fsid, av->tl, av->rt);
	rec_file_from_entry(e, &f);
	rec_decide(&f, av->rt, av->tl->n, av->copy_bps, &out->rec);
}

const struct advice *advisor_get(struct advisor *av, size_t i)
{
	decide(av, i, &av->one);
	return &av->one;
}

void advisor_free(struct advisor *av)
{
	if (!av->shared)
		free(av->fsid);
	free(av->rt);
	av->fsid = NULL;
	av->rt = NULL;
}

struct advice *adv_all(const struct scan_result *r, const struct target_list *tl, double copy_bps)
{
	struct advisor av;
	struct advice *adv;

	if (r->n == 0)
		return NULL;
	adv = calloc(r->n, sizeof(*adv));
	if (!adv || advisor_init(&av, r, tl, copy_bps) < 0) {
		free(adv);
		errno = ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++)
		decide(&av, i, &adv[i]);
	advisor_free(&av);
	return adv;
}

void adv_held_on(const struct target *t, const struct scan_result *r, const uint64_t *fsid,
                 uint64_t *bytes, size_t *files)
{
	*bytes = 0;
	*files = 0;
	for (size_t i = 0; r && i < r->n; i++) {
		if (!adv_same_fs(t, &r->v[i], fsid ? fsid[i] : 0))
			continue;
		*bytes += r->v[i].allocated;
		(*files)++;
	}
}
