/* rate: how fast a held deleted file is changing (see rate.h).
 *
 * A snapshot is the size and mtime of the file plus the XXH3 hashes of K blocks of
 * RATE_BLOCK bytes chosen at random, read in offset order. Memory is two arrays of K
 * words per file whatever the file's size; I/O is K blocks per snapshot.
 */
#include "find/rate.h"
#include "find/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

struct rate_sample {
	struct pin pin; /* a copy: the fd stays the caller's */
	void *buf;      /* one block, aligned for O_DIRECT */
	bool watch;     /* size and mtime are the file's (not a loop device's) */
	uint64_t base;  /* file offset of block 0 (the loop offset for PIN_LOOPDEV) */
	uint64_t size0; /* bytes from BASE on at the first snapshot */
	struct timespec mtime0, t0;
	unsigned k;          /* blocks sampled */
	uint64_t *blk;       /* their indices, ascending */
	uint64_t *hash;      /* their hashes at the first snapshot */
	uint64_t bytes_read; /* over both snapshots */
};

/* splitmix64: a tiny, well-mixed generator; the same SEED picks the same blocks. */
static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Open-addressing set of block indices for Floyd's sampling; UINT64_MAX is empty. */
static bool set_insert(uint64_t *set, size_t mask, uint64_t v)
{
	size_t i = (size_t)((v * 0x9e3779b97f4a7c15ull) >> 20) & mask;

	while (set[i] != UINT64_MAX) {
		if (set[i] == v)
			return false;
		i = (i + 1) & mask;
	}
	set[i] = v;
	return true;
}

/* K distinct indices below N into OUT, ascending. Floyd's algorithm takes exactly K
 * draws whatever N is (rejection sampling would crawl when K is close to N) and
 * needs only a set of K. The modulo bias is below N / 2^64: nothing at file sizes. */
static int pick_blocks(uint64_t n, unsigned k, uint64_t seed, uint64_t *out)
{
	size_t cap = 1, used = 0;
	uint64_t *set;

	if (n <= k) {
		for (uint64_t i = 0; i < n; i++)
			out[i] = i;
		return 0;
	}
	while (cap < 2 * (size_t)k)
		cap <<= 1;
	set = malloc(cap * sizeof(*set));
	if (!set)
		return -ENOMEM;
	memset(set, 0xff, cap * sizeof(*set));
	for (uint64_t j = n - k; j < n; j++) {
		uint64_t t = splitmix(&seed) % (j + 1);
		if (!set_insert(set, cap - 1, t)) {
			set_insert(set, cap - 1, j); /* j was never drawn before: new */
			t = j;
		}
		out[used++] = t;
	}
	free(set);
	qsort(out, used, sizeof(*out), cmp_u64);
	return 0;
}

/* Hash block I as it is now. A short read (the file shrank, or the last partial
 * block) hashes what is there, so a changed length is a changed hash. */
static int hash_block(struct rate_sample *s, uint64_t i, uint64_t *h)
{
	ssize_t r = pin_pread(&s->pin, s->buf, RATE_BLOCK, s->base + i * RATE_BLOCK);
	if (r < 0)
		return (int)r;
	s->bytes_read += (uint64_t)r;
	*h = XXH3_64bits(s->buf, (size_t)r);
	return 0;
}

/* Size and mtime now, with the moment they were taken. */
static int observe(const struct rate_sample *s, uint64_t *size, struct timespec *mtime,
                   struct timespec *now)
{
	struct stat st;

	clock_gettime(CLOCK_MONOTONIC, now);
	if (!s->watch) {
		*size = s->pin.dev_size;
		*mtime = (struct timespec){0};
		return 0;
	}
	if (pin_stat(s->pin.fd, &st) < 0)
		return -errno;
	*size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	*mtime = st.st_mtim;
	return 0;
}

void rate_free(struct rate_sample *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s->blk);
	free(s->hash);
	free(s);
}

int rate_begin(const struct pin *pin, unsigned k, uint64_t seed, struct rate_sample **out)
{
	struct rate_sample *s;
	uint64_t n;
	int err;

	*out = NULL;
	if (!pin || pin->fd < 0 || pin->kind == PIN_NONE)
		return -EBADF;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pin = *pin;
	s->watch = pin->kind != PIN_LOOPDEV;
	s->base = pin->kind == PIN_LOOPDEV ? pin->dev_start : 0;
	if (posix_memalign(&s->buf, RATE_BLOCK, RATE_BLOCK) != 0) {
		s->buf = NULL;
		rate_free(s);
		return -ENOMEM;
	}
	/* A loop device pin reads with O_DIRECT itself (pin_pread): a filesystem
	 * mounted on the device would otherwise leave stale blocks in its cache. */
	if (pin->kind != PIN_LOOPDEV) {
		/* Our reads should not make the holder's pages look hot nor push them
		 * out. NOREUSE sets a mode on this open file only, which is ours;
		 * DONTNEED would drop the holder's cached pages too. */
		(void)posix_fadvise(pin->fd, 0, 0, POSIX_FADV_NOREUSE);
	}
	err = observe(s, &s->size0, &s->mtime0, &s->t0);
	if (err < 0) {
		rate_free(s);
		return err;
	}
	n = (s->size0 + RATE_BLOCK - 1) / RATE_BLOCK;
	s->k = n < k ? (unsigned)n : k;
	s->blk = malloc(((size_t)s->k + 1) * sizeof(*s->blk));
	s->hash = malloc(((size_t)s->k + 1) * sizeof(*s->hash));
	if (!s->blk || !s->hash) {
		rate_free(s);
		return -ENOMEM;
	}
	err = pick_blocks(n, s->k, seed, s->blk);
	/* Ask for every block before reading any: the device then gets them all at
	 * once instead of one by one (1 GiB cold on virtio: 13 ms instead of 50). */
	for (unsigned i = 0; err == 0 && s->watch && i < s->k; i++)
		(void)posix_fadvise(pin->fd, (off_t)(s->blk[i] * RATE_BLOCK), RATE_BLOCK,
		                    POSIX_FADV_WILLNEED);
	for (unsigned i = 0; err == 0 && i < s->k; i++)
		err = hash_block(s, s->blk[i], &s->hash[i]);
	if (err < 0) {
		rate_free(s);
		return err;
	}
	*out = s;
	return 0;
}

int rate_end(struct rate_sample *s, bool has_writer, struct rate_result *res)
{
	uint64_t size1, ninterior, lim;
	struct timespec mtime1, t1;
	unsigned kin = 0, changed = 0;
	bool mtime_changed;
	double dt;
	int err;

	if (!s)
		return -EINVAL;
	err = observe(s, &size1, &mtime1, &t1);
	if (err < 0)
		return err;
	dt = (double)(t1.tv_sec - s->t0.tv_sec) + (double)(t1.tv_nsec - s->t0.tv_nsec) / 1e9;
	*res = (struct rate_result){.seconds = dt};
	if (!has_writer) {
		res->cls = CHANGE_STATIC;
		res->bytes_read = s->bytes_read;
		return 0;
	}
	mtime_changed = mtime1.tv_sec != s->mtime0.tv_sec || mtime1.tv_nsec != s->mtime0.tv_nsec;
	/* Interior: blocks wholly inside the first size. The last partial block
	 * changes with every append and says nothing about rewrites. After a
	 * truncation only what is left can be compared. A loop device shows a
	 * fixed size (whole sectors), so every block it shows counts. */
	lim = s->watch ? s->size0 : (s->size0 + RATE_BLOCK - 1) / RATE_BLOCK * RATE_BLOCK;
	if (size1 < s->size0)
		lim = size1;
	ninterior = lim / RATE_BLOCK;
	for (unsigned i = 0; i < s->k && s->blk[i] < ninterior; i++) {
		uint64_t h = 0;
		err = hash_block(s, s->blk[i], &h);
		if (err < 0)
			return err;
		kin++;
		changed += h != s->hash[i];
	}
	res->cls = rate_classify(true, true, s->size0, size1, mtime_changed, changed);
	res->rate_bps = rate_estimate(ninterior, kin, changed, dt);
	res->growth_bps = dt > 0 ? ((double)size1 - (double)s->size0) / dt : 0;
	res->bytes_read = s->bytes_read;
	res->k = kin;
	res->changed = changed;
	res->truncated = size1 < s->size0;
	return 0;
}

double rate_estimate(uint64_t nblocks, unsigned k, unsigned changed, double seconds)
{
	double c = changed, n = (double)nblocks;

	if (k == 0 || changed == 0 || nblocks == 0 || !(seconds > 0))
		return 0;
	if (changed > k)
		c = k;
	/* Every block seen: the count is exact, nothing to extrapolate. */
	if (nblocks <= k)
		return c * RATE_BLOCK / seconds;
	if (c >= k)
		c = k - 0.5;
	/* With writes spread uniformly, a fraction p = 1 - e^(-w/n) of the blocks
	 * shows a change after w block writes; inverting gives w. */
	return -n * log1p(-c / k) * RATE_BLOCK / seconds;
}

/* mtime moved but neither the size nor any sampled block did: something was written
 * inside, only not where we looked (or the bytes written were the same). The file is
 * not quiet, and a plain copy of it may be torn, so the class is random; the rate
 * stays what the sample shows, 0, meaning "too slow for this sample to measure". An
 * invented floor (half a sampled block) would be n/(2K) blocks per second: tens of
 * MB/s for a big image, which would call for freezing a file that barely changes. */
enum rate_class rate_classify(bool has_writer, bool sampled, uint64_t size0, uint64_t size1,
                              bool mtime_changed, unsigned changed_interior)
{
	if (!has_writer)
		return CHANGE_STATIC;
	if (!sampled)
		return CHANGE_UNKNOWN;
	/* Truncation throws data away under a copy: nothing append-like about it. */
	if (size1 < size0 || changed_interior > 0)
		return CHANGE_RANDOM;
	if (size1 > size0)
		return CHANGE_APPEND;
	if (mtime_changed)
		return CHANGE_RANDOM;
	return CHANGE_QUIET;
}

const char *rate_class_name(enum rate_class c)
{
	switch (c) {
	case CHANGE_STATIC:
		return "static";
	case CHANGE_QUIET:
		return "quiet";
	case CHANGE_APPEND:
		return "append";
	case CHANGE_RANDOM:
		return "random";
	default:
		return "unknown";
	}
}

/* A repeatable seed per file: the same file samples the same blocks every run. */
static uint64_t seed_of(const struct entry *e)
{
	uint64_t s = (uint64_t)e->ino;

	return splitmix(&s);
}

/* Sleep SECONDS on the monotonic clock; an absolute deadline survives EINTR. */
static void sleep_for(double seconds)
{
	struct timespec t;
	double whole = floor(seconds);

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += (time_t)whole;
	t.tv_nsec += (long)((seconds - whole) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

int rate_sample_all(struct scan_result *r, double seconds, uint64_t budget)
{
	struct rate_sample **s;
	size_t nw = 0;
	uint64_t per;
	unsigned k;
	int ret = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->v[i];
		bool w = scan_entry_writable(e);
		e->change = (struct rate_result){.cls = w ? CHANGE_UNKNOWN : CHANGE_STATIC};
		if (w && e->pin.fd >= 0)
			nw++;
	}
	if (!(seconds > 0) || nw == 0)
		return 0;
	per = budget / RATE_BLOCK / nw;
	k = per < 64 ? 64 : per > RATE_K_DEFAULT ? RATE_K_DEFAULT : (unsigned)per;
	s = calloc(r->n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->v[i];
		if (e->change.cls != CHANGE_UNKNOWN || e->pin.fd < 0)
			continue;
		if (rate_begin(&e->pin, k, seed_of(e), &s[i]) == -ENOMEM)
			ret = -ENOMEM;
	}
	sleep_for(seconds);
	for (size_t i = 0; i < r->n; i++) {
		struct rate_result res;
		if (!s[i])
			continue;
		if (rate_end(s[i], true, &res) == 0)
			r->v[i].change = res;
		rate_free(s[i]);
	}
	free(s);
	return ret;
}
