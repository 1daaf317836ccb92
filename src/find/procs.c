/* procs: holder details, read from /proc or through libproc2. See procs.h. */
#include "find/procs.h"
#include "base/util.h"

#include "find/parse.h"
#include "find/scan.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <libproc2/pids.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

/* libproc2 is asked only about a process that neither the walk of /proc nor the
 * kernel described (one gone in the middle of being read): rare. A dynamic build
 * loads it then, with the eight libraries it brings (libsystemd, its compressors
 * and crypto), instead of at every start (half a millisecond); should it be
 * missing, those details stay empty. The static build links it in. */
#ifndef RT_PROC2_DLOPEN
#define RT_PROC2_DLOPEN 0
#endif
#if RT_PROC2_DLOPEN
/* The library whose headers this was built with: ABI 0 (procps 4). */
#define PROC2_SONAME "libproc2.so.0"

static struct {
	int (*pids_new)(struct pids_info **, enum pids_item *, int);
	struct pids_fetch *(*pids_select)(struct pids_info *, unsigned *, int,
	                                  enum pids_select_type);
	int (*pids_unref)(struct pids_info **);
} proc2;
static pthread_once_t proc2_once = PTHREAD_ONCE_INIT;

static void proc2_load(void)
{
	void *h = dlopen(PROC2_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	*(void **)&proc2.pids_new = dlsym(h, "procps_pids_new");
	*(void **)&proc2.pids_select = dlsym(h, "procps_pids_select");
	*(void **)&proc2.pids_unref = dlsym(h, "procps_pids_unref");
	if (!proc2.pids_new || !proc2.pids_select || !proc2.pids_unref)
		proc2.pids_new = NULL; /* not the library we know: as if missing */
}

/* procps_pids_new, once the library is loaded; -ENOSYS when it cannot be. */
static int pids_new(struct pids_info **info, enum pids_item *items, int n)
{
	pthread_once(&proc2_once, proc2_load);
	return proc2.pids_new ? proc2.pids_new(info, items, n) : -ENOSYS;
}
#define pids_select proc2.pids_select
#define pids_unref  proc2.pids_unref
#else
#define pids_new    procps_pids_new
#define pids_select procps_pids_select
#define pids_unref  procps_pids_unref
#endif

enum { I_PID, I_CMD, I_EUID, I_STATE, I_CMDLINE };

/* The uid, not the user name: libproc2 would look names up with getpwuid() in every
 * worker thread at once. */
static enum pids_item items[] = {PIDS_ID_PID, PIDS_CMD, PIDS_ID_EUID, PIDS_STATE, PIDS_CMDLINE};

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

/* Give every holder of PID in REFS (sorted) the details of ROW. */
static int apply(struct ref *refs, size_t n, const struct procs_row *row)
{
	struct ref key = {.pid = (unsigned)row->pid};
	struct ref *hit = bsearch(&key, refs, n, sizeof(*refs), by_pid);

	if (!hit)
		return 0;
	while (hit > refs && hit[-1].pid == key.pid)
		hit--;
	for (; hit < refs + n && hit->pid == key.pid; hit++) {
		struct holder *h = hit->h;
		if (dup_into(&h->comm, row->comm) || dup_into(&h->cmdline, row->cmdline))
			return -ENOMEM;
		h->uid = row->uid;
		h->uid_known = true;
		h->state = row->state;
	}
	return 0;
}

/* One process as libproc2 gave it (strings still libproc2's). */
static struct procs_row row_of(struct pids_stack *st)
{
	return (struct procs_row){.pid = PIDS_VAL(I_PID, s_int, st, NULL),
	                          .comm = PIDS_VAL(I_CMD, str, st, NULL),
	                          .cmdline = PIDS_VAL(I_CMDLINE, str, st, NULL),
	                          .uid = (uid_t)PIDS_VAL(I_EUID, u_int, st, NULL),
	                          .state = (char)PIDS_VAL(I_STATE, s_ch, st, NULL)};
}

static int by_row_pid(const void *a, const void *b)
{
	pid_t x = ((const struct procs_row *)a)->pid, y = ((const struct procs_row *)b)->pid;
	return x < y ? -1 : x > y;
}

void procs_table_sort(struct procs_table *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), by_row_pid);
}

void procs_table_free(struct procs_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].comm);
		free(t->v[i].cmdline);
	}
	free(t->v);
	*t = (struct procs_table){0};
}

int procs_describe(struct scan_result *r, const struct procs_table *t)
{
	struct pids_info *info = NULL;
	struct ref *refs = NULL;
	unsigned *pids = NULL;
	size_t n = 0, cap = 0, u = 0, from_table = 0;
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
	for (size_t i = 0; i < n && err == 0; i++) {
		struct procs_row key = {.pid = (pid_t)refs[i].pid};
		const struct procs_row *row;

		if (u > 0 && pids[u - 1] == refs[i].pid)
			continue;
		row = t && t->n ? bsearch(&key, t->v, t->n, sizeof(*t->v), by_row_pid) : NULL;
		if (row) {
			err = apply(refs, n, row); /* all of its holders at once */
			from_table++;
		} else
			pids[u++] = refs[i].pid; /* not in the table: started after it */
		while (row && i + 1 < n && refs[i + 1].pid == refs[i].pid)
			i++;
	}
	if (err == 0 && u > 0 && pids_new(&info, items, (int)ARRAY_SIZE(items)) == 0) {
		for (size_t off = 0; off < u && err == 0; off += SELECT_MAX) {
			int cnt = (int)(u - off < SELECT_MAX ? u - off : SELECT_MAX);
			struct pids_fetch *f = pids_select(info, pids + off, cnt, PIDS_SELECT_PID);
			for (int k = 0; f && k < f->counts->total && err == 0; k++) {
				struct procs_row row = row_of(f->stacks[k]);
				err = apply(refs, n, &row);
			}
		}
		pids_unref(&info);
	}
	free(pids);
	free(refs);
	return err < 0 ? err : (int)(from_table > INT_MAX ? INT_MAX : from_table);
}

/* A uid and its name, remembered for the rest of one call. */
struct uname {
	uid_t uid;
	char *name;
};

static char *name_of(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024], num[16];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name[0])
		return strdup(res->pw_name);
	snprintf(num, sizeof(num), "%u", (unsigned)uid);
	return strdup(num);
}

int procs_name_users(struct scan_result *r)
{
	struct uname *seen = NULL;
	size_t nseen = 0;
	int err = 0;

	for (size_t i = 0; i < r->n && err == 0; i++) {
		for (size_t j = 0; j < r->v[i].nholders && err == 0; j++) {
			struct holder *h = &r->v[i].holders[j];
			size_t k = 0;

			if (!h->uid_known || h->user)
				continue;
			while (k < nseen && seen[k].uid != h->uid)
				k++;
			if (k == nseen) {
				struct uname *ns = realloc(seen, (nseen + 1) * sizeof(*ns));
				if (!ns) {
					err = -ENOMEM;
					break;
				}
				seen = ns;
				seen[nseen] = (struct uname){h->uid, name_of(h->uid)};
				if (!seen[nseen].name) {
					err = -ENOMEM;
					break;
				}
				nseen++;
			}
			if (!(h->user = strdup(seen[k].name)))
				err = -ENOMEM;
		}
	}
	for (size_t k = 0; k < nseen; k++)
		free(seen[k].name);
	free(seen);
	return err;
}

/* The bytes of /proc/PID/cmdline, at most CMDLINE_MAX of them. */
#define CMDLINE_MAX (128u << 10)

/* The bytes of the file NAME under AT (a process's cmdline), at most CAP of them. */
static ssize_t read_cmdline(int at, const char *name, char *buf, size_t cap)
{
	size_t len = 0;
	int fd;

	fd = openat(at, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < cap) {
		size_t want = cap - len;
		ssize_t n = read(fd, buf + len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if ((size_t)n < want)
			break; /* procfs hands over all it has: a short read is the end */
	}
	close(fd);
	return (ssize_t)len;
}

/* Replace what cannot be shown by '?', as libproc2 does: in a UTF-8 locale
 * invalid sequences and characters that are not printable, elsewhere bytes that
 * are not printable. Writes at most LEN bytes to OUT (never more than the input). */
static size_t shown(const char *in, size_t len, char *out)
{
	const char *cs = nl_langinfo(CODESET);
	bool utf8 = cs && strcasecmp(cs, "UTF-8") == 0;
	mbstate_t mb;
	size_t o = 0;

	memset(&mb, 0, sizeof(mb));
	for (size_t i = 0; i < len;) {
		wchar_t wc;
		size_t k;

		/* printable ASCII, most of any command line, is shown in every locale
		 * (and MB is in its initial state here: a character ended or was reset) */
		if (in[i] >= 0x20 && in[i] < 0x7f) {
			out[o++] = in[i++];
			continue;
		}
		k = utf8 ? mbrtowc(&wc, in + i, len - i, &mb) : 1;
		if (!utf8) {
			out[o++] = isprint((unsigned char)in[i]) ? in[i] : '?';
			i++;
		} else if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&mb, 0, sizeof(mb));
			out[o++] = '?';
			i++;
		} else if (!iswprint((wint_t)wc)) {
			out[o++] = '?';
			i += k;
		} else {
			memcpy(out + o, in + i, k);
			o += k;
			i += k;
		}
	}
	return o;
}

/* Room for most command lines without a heap buffer. */
#define CMDLINE_SHORT 4096u

/* RAW (LEN bytes, changed) as procs_cmdline() shows it, into *OUT. */
static int show_cmdline(char *raw, size_t len, char **out)
{
	char *s;

	while (len && raw[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < len; i++)
		if (raw[i] == '\0' || raw[i] == '\n')
			raw[i] = ' ';
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	s[shown(raw, len, s)] = '\0';
	*out = s;
	return 0;
}

/* The command line in the file NAME under AT, shown (see procs_cmdline). */
static int cmdline_at(int at, const char *name, char **out)
{
	char small[CMDLINE_SHORT], *raw = small;
	ssize_t n = read_cmdline(at, name, small, sizeof(small));
	int r;

	*out = NULL;
	if (n == (ssize_t)sizeof(small)) {
		/* a long one: read it again, whole */
		raw = malloc(CMDLINE_MAX);
		if (!raw)
			return -ENOMEM;
		n = read_cmdline(at, name, raw, CMDLINE_MAX);
	}
	r = n < 0 ? (int)n : show_cmdline(raw, (size_t)n, out);
	if (raw != small)
		free(raw);
	return r;
}

/* The command line of PID straight from its memory, in get_mm_cmdline()'s plain
 * case (fs/proc/base.c): the bytes from ARG_START to ARG_END (stat gives both)
 * when the last of them is still a NUL. One system call instead of an open, a read
 * and a close of cmdline. Only as root: for anyone else reading another user's
 * memory is refused (and may be audited), where cmdline is not. The read goes by
 * pid, not through the directory the walk holds: a process that ended after its
 * stat was read and whose pid came round again in those microseconds would lend
 * its arguments; its name, state and user still come from the stat and directory
 * read before. Returns 0, -ENOMEM, or -EAGAIN: ask /proc (not the plain case, too
 * long for one read here, not allowed, or the process is gone). */
static int cmdline_direct(pid_t pid, uint64_t start, uint64_t end, char **out)
{
	static atomic_int root = -1; /* asked once, not once per process */
	char raw[CMDLINE_SHORT];
	struct iovec here, there;
	size_t len;

	*out = NULL;
	if (atomic_load_explicit(&root, memory_order_relaxed) < 0)
		atomic_store_explicit(&root, geteuid() == 0, memory_order_relaxed);
	if (!atomic_load_explicit(&root, memory_order_relaxed) || start == 0 || end <= start ||
	    end - start > sizeof(raw))
		return -EAGAIN;
	len = (size_t)(end - start);
	here = (struct iovec){.iov_base = raw, .iov_len = len};
	there = (struct iovec){.iov_base = (void *)(uintptr_t)start, .iov_len = len};
	if (process_vm_readv(pid, &here, 1, &there, 1, 0) != (ssize_t)len || raw[len - 1] != '\0')
		return -EAGAIN;
	return show_cmdline(raw, len, out);
}

int procs_cmdline(int proc_dir, pid_t pid, char **out)
{
	char name[32];

	snprintf(name, sizeof(name), "%d/cmdline", (int)pid);
	return cmdline_at(proc_dir, name, out);
}

int procs_read_row(int pid_dir, pid_t pid, struct procs_row *row)
{
	char buf[1024], comm[64];
	uint64_t threads, arg_start = 0, arg_end = 0;
	struct stat st;
	ssize_t n;
	int fd, r;

	*row = (struct procs_row){.pid = pid};
	/* the user as libproc2 takes it: the owner of /proc/PID */
	if (fstat(pid_dir, &st) < 0)
		return -errno;
	fd = openat(pid_dir, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* one record: a read with room returns it whole */
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	if (parse_stat_comm(buf, (size_t)n, comm, sizeof(comm), &row->state) < 0)
		return -EINVAL;
	if (parse_stat_num(buf, (size_t)n, STAT_THREADS, &threads) == 0 && threads <= UINT_MAX)
		row->threads = (unsigned)threads;
	row->uid = st.st_uid;
	row->comm = strdup(comm);
	if (!row->comm)
		return -ENOMEM;
	/* where the arguments lie (0 when not ours to know) */
	if (parse_stat_num(buf, (size_t)n, STAT_ARG_START, &arg_start) < 0 ||
	    parse_stat_num(buf, (size_t)n, STAT_ARG_END, &arg_end) < 0)
		arg_start = 0;
	r = cmdline_direct(pid, arg_start, arg_end, &row->cmdline);
	if (r == -EAGAIN)
		r = cmdline_at(pid_dir, "cmdline", &row->cmdline);
	if (r < 0) {
		free(row->comm);
		row->comm = NULL;
	}
	return r;
}

int procs_cmdline_shown(const char *raw, size_t len, char **out)
{
	char small[CMDLINE_SHORT], *copy = len <= sizeof(small) ? small : malloc(len);
	int r;

	*out = NULL;
	if (!copy)
		return -ENOMEM;
	memcpy(copy, raw, len);
	r = show_cmdline(copy, len, out);
	if (copy != small)
		free(copy);
	return r;
}
