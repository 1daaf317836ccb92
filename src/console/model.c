/* model: the console's data and its worker thread. See model.h. */
#include "console/model.h"

#include "find/rate.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Bytes one sampling round may read over all files (as the CLI's --list). */
#define SAMPLE_BUDGET (64ull << 20)
/* Fewest blocks hashed per file when many files share the budget. */
#define SAMPLE_K_MIN 64u
/* Seconds between automatic rescans: new files show up, gone ones are marked. */
#define RESCAN_SECONDS 5
/* How long quitting waits for the worker to finish a scan or a read. A read on a
 * dying disk can block for minutes; the admin asked to quit. */
#define STOP_WAIT_SECONDS 3

struct key_idx {
	dev_t dev;
	ino_t ino;
	size_t i;
};

static int key_cmp(const void *a, const void *b)
{
	const struct key_idx *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* A sorted index of R by (dev, ino), for lookups while merging. NULL when R is empty
 * or memory runs out (then lookups find nothing). */
static struct key_idx *index_of(const struct scan_result *r)
{
	struct key_idx *k = r->n ? malloc(r->n * sizeof(*k)) : NULL;

	for (size_t i = 0; k && i < r->n; i++)
		k[i] = (struct key_idx){r->v[i].dev, r->v[i].ino, i};
	if (k)
		qsort(k, r->n, sizeof(*k), key_cmp);
	return k;
}

static long index_find(const struct key_idx *k, size_t n, dev_t dev, ino_t ino)
{
	struct key_idx want = {dev, ino, 0};
	const struct key_idx *hit = k ? bsearch(&want, k, n, sizeof(*k), key_cmp) : NULL;

	return hit ? (long)hit->i : -1;
}

static void poke(struct model *m)
{
	uint64_t one = 1;

	m->gen++;
	if (write(m->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is full only if nobody reads it: the main loop is gone. */
	}
}

bool model_is_released(const struct model *m, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < m->nrel; i++)
		if (m->rel[i].dev == dev && (m->rel[i].ino == 0 || m->rel[i].ino == ino))
			return true;
	return false;
}

long model_find(const struct model *m, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < m->r.n; i++)
		if (m->r.v[i].dev == dev && m->r.v[i].ino == ino)
			return (long)i;
	return -1;
}

double model_rate(const struct entry *e)
{
	if (e->change.cls == CHANGE_RANDOM)
		return e->change.rate_bps;
	if (e->change.cls == CHANGE_APPEND)
		return e->change.growth_bps;
	return 0;
}

static void push_hist(struct model_meta *mm, double v)
{
	if (mm->nhist == MODEL_HIST) {
		memmove(mm->hist, mm->hist + 1, (MODEL_HIST - 1) * sizeof(mm->hist[0]));
		mm->nhist--;
	}
	mm->hist[mm->nhist++] = v;
}

/* Free what entry E owns through scan_free, which knows what that is, and leave E
 * empty. Without memory for the copy scan_free wants, E's memory leaks (it is
 * emptied all the same: a pin must not stay open behind the user's back). */
static void free_entry(struct entry *e)
{
	struct scan_result tmp = {.v = malloc(sizeof(*e)), .n = 1};

	if (tmp.v) {
		tmp.v[0] = *e;
		scan_free(&tmp);
	} else {
		pin_release(&e->pin);
	}
	*e = (struct entry){.pin = PIN_INIT, .unreadable = -1};
}

/* Apply the released set to every entry (MU held): close our pins, and a file that
 * only our pin kept is gone. */
static void apply_releases(struct model *m)
{
	for (size_t i = 0; i < m->r.n; i++) {
		struct entry *e = &m->r.v[i];

		if (!model_is_released(m, e->dev, e->ino))
			continue;
		m->meta[i].released = true;
		if (e->pin.fd >= 0)
			pin_release(&e->pin);
		if (m->meta[i].orphan)
			m->meta[i].gone = true;
	}
}

/* Empty the holders of an entry that no scan finds any more: they exited. */
static void drop_holders(struct entry *e)
{
	struct entry tmp = {.holders = e->holders, .nholders = e->nholders, .pin = PIN_INIT};

	free_entry(&tmp);
	e->holders = NULL;
	e->nholders = 0;
}

/* Carry from the old result what a new scan does not know (readings, marks), and
 * move over old entries it did not find: kept by our pin (orphan) or gone. NR and NM
 * become the new model content; the old entries left in M->r are freed by the
 * caller. Returns 0 or -ENOMEM. MU held. */
static int merge_old(struct model *m, struct scan_result *nr, struct model_meta **nm)
{
	struct key_idx *ni = index_of(nr);
	size_t extra = 0, n = nr->n;
	struct model_meta *meta;
	struct entry *nv;

	if (nr->n && !ni)
		return -ENOMEM;
	for (size_t i = 0; i < m->r.n; i++)
		extra += index_find(ni, nr->n, m->r.v[i].dev, m->r.v[i].ino) < 0;
	meta = calloc(n + extra + 1, sizeof(*meta));
	nv = extra ? realloc(nr->v, (n + extra) * sizeof(*nv)) : nr->v;
	if (!meta || (extra && !nv)) {
		free(ni);
		free(meta);
		return -ENOMEM;
	}
	nr->v = nv;
	for (size_t i = 0; i < m->r.n; i++) {
		struct entry *o = &m->r.v[i];
		long k = index_find(ni, n, o->dev, o->ino);

		if (k >= 0) {
			meta[k] = m->meta[i];
			meta[k].gone = meta[k].orphan = false;
			/* A fresh scan knows only the free signals: keep the last reading. */
			if (nr->v[k].change.cls == CHANGE_UNKNOWN)
				nr->v[k].change = o->change;
			/* The scan could not pin it again (its holder was closing the fd just
			 * then): our old pin is what keeps the data, hand it over. */
			if (nr->v[k].pin.fd < 0 && o->pin.fd >= 0) {
				nr->v[k].pin = o->pin;
				nr->v[k].unreadable = o->unreadable;
				o->pin = (struct pin)PIN_INIT;
			}
			continue;
		}
		nr->v[nr->n] = *o;
		meta[nr->n] = m->meta[i];
		if (o->pin.fd >= 0) {
			if (!meta[nr->n].orphan)
				drop_holders(&nr->v[nr->n]);
			meta[nr->n].orphan = true;
			nr->v[nr->n].change = (struct rate_result){.cls = CHANGE_STATIC};
		} else {
			meta[nr->n].gone = true;
		}
		/* Moved: the old result must not free it. */
		*o = (struct entry){.pin = PIN_INIT};
		nr->n++;
	}
	free(ni);
	*nm = meta;
	return 0;
}

/* Reflink was probed on the last manual scan: keep what it found for the same
 * filesystems instead of writing scratch blocks every few seconds. */
static void carry_reflink(struct target_list *nt, const struct target_list *ot)
{
	for (size_t i = 0; i < nt->n; i++)
		for (size_t k = 0; k < ot->n; k++)
			if (nt->v[i].dev == ot->v[k].dev && nt->v[i].reflink < 0)
				nt->v[i].reflink = ot->v[k].reflink;
}

/* One scan, published. Runs in the worker, without MU but for the swap. */
static void do_scan(struct model *m, bool all, bool probe)
{
	struct scan_opts o = {.all = all,
	                      .proc = "/proc",
	                      .sys = "/sys",
	                      .only = m->filter.only,
	                      .nonly = m->filter.nonly,
	                      .pids = m->filter.pids,
	                      .npids = m->filter.npids};
	struct scan_result nr = {0}, old;
	struct target_list nt = {0}, ot;
	struct model_meta *nm = NULL;
	struct advice *adv;
	int err = scan_run(&o, &nr);

	if (err == 0)
		rate_sample_all(&nr, 0, 0); /* the free signals: static or unknown */
	if (err == 0)
		err = target_list_read(&nt, probe);
	pthread_mutex_lock(&m->mu);
	if (err == 0)
		err = merge_old(m, &nr, &nm);
	if (err < 0) {
		m->err = err;
		m->ready = true;
		poke(m);
		pthread_mutex_unlock(&m->mu);
		scan_free(&nr);
		target_list_free(&nt);
		return;
	}
	if (!probe)
		carry_reflink(&nt, &m->tl);
	old = m->r;
	ot = m->tl;
	free(m->meta);
	free(m->adv);
	m->r = nr;
	m->meta = nm;
	m->tl = nt;
	apply_releases(m);
	adv = adv_all(&m->r, &m->tl, REC_COPY_BPS_DEFAULT);
	m->adv = adv;
	m->err = m->r.n && !adv ? -ENOMEM : 0;
	m->ready = true;
	m->scanned = time(NULL);
	poke(m);
	pthread_mutex_unlock(&m->mu);
	scan_free(&old);
	target_list_free(&ot);
}

struct probe {
	dev_t dev;
	ino_t ino;
	struct pin pin; /* a copy: the fd stays ours, only this thread closes it */
	struct rate_sample *s;
};

/* Is a request waiting that should cut a sampling round short? MU held. */
static bool interrupted(const struct model *m)
{
	return m->quit || m->want_rescan || m->want_release;
}

/* Wait on the condition until ABS (CLOCK_MONOTONIC) or a request. MU held. Returns
 * true when a request came. */
static bool wait_until(struct model *m, const struct timespec *abs)
{
	while (!interrupted(m))
		if (pthread_cond_timedwait(&m->cv, &m->mu, abs) == ETIMEDOUT)
			break;
	return interrupted(m);
}

static struct timespec after(double seconds)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)seconds;
	t.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* The files worth sampling: pinned by us, with a holder that can write. MU held.
 * Returns how many went into *OUT (malloc'ed), 0 for none or no memory. */
static size_t probes_of(struct model *m, struct probe **out)
{
	size_t n = 0;
	struct probe *p = m->r.n ? calloc(m->r.n, sizeof(*p)) : NULL;

	for (size_t i = 0; p && i < m->r.n; i++) {
		const struct entry *e = &m->r.v[i];

		if (e->pin.fd >= 0 && !m->meta[i].orphan && scan_entry_writable(e))
			p[n++] = (struct probe){e->dev, e->ino, e->pin, NULL};
	}
	*out = p;
	return n;
}

/* Store one round's readings in the model. MU held. */
static void publish(struct model *m, struct probe *p, const struct rate_result *res, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		long i = model_find(m, p[k].dev, p[k].ino);

		if (i < 0 || !p[k].s || res[k].cls == CHANGE_UNKNOWN)
			continue;
		m->r.v[i].change = res[k];
		push_hist(&m->meta[i], model_rate(&m->r.v[i]));
	}
	free(m->adv);
	/* The recommendation depends on how the file changes: decide again. */
	m->adv = adv_all(&m->r, &m->tl, REC_COPY_BPS_DEFAULT);
	m->rounds++;
	poke(m);
}

/* One sampling round over every writable file, SECONDS long unless a request cuts it
 * short (then nothing is published). MU held on entry and exit. */
static void do_sample(struct model *m, double seconds)
{
	struct probe *p;
	struct rate_result *res;
	size_t n = probes_of(m, &p);
	unsigned k = RATE_K_DEFAULT;
	struct timespec until;
	bool cut;

	res = n ? calloc(n, sizeof(*res)) : NULL;
	if (!res) {
		/* Nothing to sample (or no memory): the round is a pause all the same, or
		 * the worker would spin with the mutex. */
		free(p);
		until = after(seconds);
		wait_until(m, &until);
		return;
	}
	if (SAMPLE_BUDGET / RATE_BLOCK / n < k)
		k = SAMPLE_BUDGET / RATE_BLOCK / n < SAMPLE_K_MIN
		        ? SAMPLE_K_MIN
		        : (unsigned)(SAMPLE_BUDGET / RATE_BLOCK / n);
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n && !atomic_load(&m->hurry); i++)
		if (rate_begin(&p[i].pin, k, (uint64_t)p[i].ino, &p[i].s) < 0)
			p[i].s = NULL;
	pthread_mutex_lock(&m->mu);
	until = after(seconds);
	cut = wait_until(m, &until);
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n && !cut; i++) {
		cut = atomic_load(&m->hurry);
		if (!cut && p[i].s && rate_end(p[i].s, true, &res[i]) < 0)
			res[i].cls = CHANGE_UNKNOWN;
	}
	pthread_mutex_lock(&m->mu);
	if (!cut)
		publish(m, p, res, n);
	for (size_t i = 0; i < n; i++)
		rate_free(p[i].s);
	free(p);
	free(res);
}

static void *worker(void *arg)
{
	struct model *m = arg;
	struct timespec next_scan = after(0);

	pthread_mutex_lock(&m->mu);
	while (!m->quit) {
		struct timespec now;
		bool all = m->all, probe = m->probe_reflink;

		clock_gettime(CLOCK_MONOTONIC, &now);
		atomic_store(&m->hurry, false);
		if (m->want_rescan || !m->ready || now.tv_sec > next_scan.tv_sec ||
		    (now.tv_sec == next_scan.tv_sec && now.tv_nsec >= next_scan.tv_nsec)) {
			m->want_rescan = false;
			m->probe_reflink = false;
			pthread_mutex_unlock(&m->mu);
			do_scan(m, all, probe);
			pthread_mutex_lock(&m->mu);
			next_scan = after(m->rescan_s);
		}
		if (m->want_release) {
			m->want_release = false;
			apply_releases(m);
			poke(m);
		}
		if (m->sample > 0 && !interrupted(m))
			do_sample(m, m->sample);
		else if (!interrupted(m))
			wait_until(m, &next_scan);
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* What every model has, worker or not: zeroed, the wake fd, the mutex and the
 * condition on the monotonic clock. Returns 0 or a negative errno. */
static int model_init(struct model *m)
{
	pthread_condattr_t ca;

	memset(m, 0, sizeof(*m));
	m->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

int model_start(struct model *m, bool all, double sample, const struct model_filter *filter)
{
	int err = model_init(m);

	if (err < 0)
		return err;
	m->all = all;
	m->sample = sample;
	if (filter)
		m->filter = *filter;
	m->rescan_s = RESCAN_SECONDS;
	m->probe_reflink = geteuid() == 0; /* writes a scratch block: as root only */
	scan_reserve(); /* while the console is one thread (scan.h) */
	err = pthread_create(&m->th, NULL, worker, m);
	if (err) {
		close(m->wake_fd);
		return -err;
	}
	m->started = true;
	return 0;
}

int model_start_idle(struct model *m)
{
	int err = model_init(m);

	if (err < 0)
		return err;
	/* Where a copy could go; no reflink probe: nothing is cloned offline. */
	err = target_list_read(&m->tl, false);
	m->ready = true;
	return err < 0 ? err : 0;
}

void model_stop(struct model *m)
{
	if (m->started) {
		struct timespec until;

		pthread_mutex_lock(&m->mu);
		m->quit = true;
		atomic_store(&m->hurry, true);
		pthread_cond_signal(&m->cv);
		pthread_mutex_unlock(&m->mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += STOP_WAIT_SECONDS;
		if (pthread_timedjoin_np(m->th, NULL, &until) != 0)
			return; /* stuck in a read: exit() takes the thread and the pins */
		m->started = false;
	}
	scan_free(&m->r);
	target_list_free(&m->tl);
	free(m->meta);
	free(m->adv);
	free(m->rel);
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
}

void model_rescan(struct model *m, bool all)
{
	m->all = all;
	m->want_rescan = true;
	m->probe_reflink = geteuid() == 0;
	atomic_store(&m->hurry, true);
	pthread_cond_signal(&m->cv);
}

int model_release(struct model *m, struct model_key k)
{
	struct model_key *v = realloc(m->rel, (m->nrel + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	m->rel = v;
	m->rel[m->nrel++] = k;
	m->want_release = true;
	atomic_store(&m->hurry, true);
	pthread_cond_signal(&m->cv);
	return 0;
}

void model_repin(struct model *m, struct model_key k)
{
	for (size_t i = 0; i < m->nrel;) {
		if (m->rel[i].dev == k.dev && (m->rel[i].ino == 0 || m->rel[i].ino == k.ino))
			m->rel[i] = m->rel[--m->nrel];
		else
			i++;
	}
	for (size_t i = 0; i < m->r.n; i++)
		if (m->r.v[i].dev == k.dev && (k.ino == 0 || m->r.v[i].ino == k.ino))
			m->meta[i].released = false;
	m->want_rescan = true;
	pthread_cond_signal(&m->cv);
}

bool model_forget_gone(struct model *m)
{
	size_t w = 0, n0 = m->r.n;

	for (size_t i = 0; i < m->r.n; i++) {
		if (m->meta[i].gone) {
			free_entry(&m->r.v[i]);
			continue;
		}
		m->r.v[w] = m->r.v[i];
		m->meta[w] = m->meta[i];
		if (m->adv)
			m->adv[w] = m->adv[i];
		w++;
	}
	m->r.n = w;
	return w != n0;
}

/* The first holder's command name, or the loop device: what the holder sort uses. */
static const char *holder_name(const struct entry *e)
{
	const struct holder *h = e->nholders ? &e->holders[0] : NULL;

	if (!h)
		return "";
	if (h->type == HOLDER_LOOP)
		return h->loop_dev;
	return h->comm ? h->comm : "";
}

static int cmp_path(const struct entry *x, const struct entry *y)
{
	size_t n = x->path_len < y->path_len ? x->path_len : y->path_len;
	int c = n ? memcmp(x->path ? x->path : "", y->path ? y->path : "", n) : 0;

	return c ? c : (x->path_len > y->path_len) - (x->path_len < y->path_len);
}

/* qsort has no context argument in C11: the sort reads these. Main thread only. */
static const struct model *sort_m;
static enum view_sort sort_key;

static int cmp_rows(const void *a, const void *b)
{
	const struct entry *x = &sort_m->r.v[*(const size_t *)a];
	const struct entry *y = &sort_m->r.v[*(const size_t *)b];
	double rx, ry;
	int c = 0;

	switch (sort_key) {
	case SORT_SIZE: /* biggest first */
		c = (x->size < y->size) - (x->size > y->size);
		break;
	case SORT_RATE: /* fastest first */
		rx = model_rate(x);
		ry = model_rate(y);
		c = (rx < ry) - (rx > ry);
		break;
	case SORT_PATH:
		c = cmp_path(x, y);
		break;
	case SORT_HOLDER:
		c = strcmp(holder_name(x), holder_name(y));
		break;
	case SORT_N:
		break;
	}
	if (!c)
		c = cmp_path(x, y);
	if (!c)
		c = (x->ino > y->ino) - (x->ino < y->ino);
	return c;
}

static bool has_text(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	if (!s || n > len)
		return false;
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(s + i, needle, n) == 0)
			return true;
	return false;
}

/* Does the filter text appear in the path, a holder's command, command line, pid, or
 * the loop device? */
static bool matches(const struct entry *e, const char *f)
{
	char num[32];

	if (!*f || has_text(e->path, e->path_len, f))
		return true;
	for (size_t i = 0; i < e->nholders; i++) {
		const struct holder *h = &e->holders[i];

		if (h->type == HOLDER_LOOP) {
			if (has_text(h->loop_dev, strlen(h->loop_dev), f))
				return true;
			continue;
		}
		snprintf(num, sizeof(num), "%d", (int)h->pid);
		if (strcmp(num, f) == 0 || (h->comm && has_text(h->comm, strlen(h->comm), f)) ||
		    (h->cmdline && has_text(h->cmdline, strlen(h->cmdline), f)))
			return true;
	}
	return false;
}

bool view_move(struct view *v, long row)
{
	if (v->n == 0) {
		v->sel = v->top = 0;
		return false;
	}
	if (row < 0)
		row = 0;
	if ((size_t)row >= v->n)
		row = (long)v->n - 1;
	v->sel = (size_t)row;
	v->have_sel = true;
	return true;
}

void view_select(struct view *v, const struct model *m, long row)
{
	if (!view_move(v, row))
		return;
	v->sel_dev = m->r.v[v->idx[v->sel]].dev;
	v->sel_ino = m->r.v[v->idx[v->sel]].ino;
}

int view_rebuild(struct view *v, const struct model *m)
{
	size_t old = v->sel;

	if (m->r.n > v->cap) {
		size_t *p = realloc(v->idx, m->r.n * sizeof(*p));
		if (!p)
			return -ENOMEM;
		v->idx = p;
		v->cap = m->r.n;
	}
	v->n = 0;
	for (size_t i = 0; i < m->r.n; i++)
		if (matches(&m->r.v[i], v->filter))
			v->idx[v->n++] = i;
	sort_m = m;
	sort_key = v->sort;
	if (v->n)
		qsort(v->idx, v->n, sizeof(v->idx[0]), cmp_rows);
	if (v->rev)
		for (size_t i = 0; i < v->n / 2; i++) {
			size_t t = v->idx[i];
			v->idx[i] = v->idx[v->n - 1 - i];
			v->idx[v->n - 1 - i] = t;
		}
	for (size_t i = 0; v->have_sel && i < v->n; i++) {
		const struct entry *e = &m->r.v[v->idx[i]];
		if (e->dev == v->sel_dev && e->ino == v->sel_ino) {
			v->sel = i;
			return 0;
		}
	}
	view_select(v, m, (long)old);
	return 0;
}

void view_scroll(struct view *v, size_t rows)
{
	if (rows == 0)
		return;
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + rows)
		v->top = v->sel - rows + 1;
	if (v->top + rows > v->n)
		v->top = v->n > rows ? v->n - rows : 0;
}

const char *view_sort_name(enum view_sort s)
{
	static const char *const names[] = {"size", "rate", "path", "holder"};

	return s < SORT_N ? names[s] : "?";
}

void view_free(struct view *v)
{
	free(v->idx);
	v->idx = NULL;
	v->n = v->cap = 0;
}
