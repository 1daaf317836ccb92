/* scan: discovery of held deleted files. See scan.h.
 *
 * The walk is a plain loop over /proc with *at() calls relative to each process's
 * directory: cheaper than lsof by a wide margin, and immune to a process vanishing
 * between two steps (every failure just skips what vanished).
 */
#include "find/scan.h"

#include "find/bpfscan.h"
#include "find/loopdev.h"
#include "find/mounts.h"
#include "find/parse.h"
#include "find/procs.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Room for any path the kernel prints (d_path is bounded by a page) plus suffix. */
#define LINK_MAX_LEN 8192
/* Workers take this many processes at a time from the shared list. */
#define CHUNK       16
#define MAX_WORKERS 4
/* Pins to make room for when walking N processes: one per deleted file, rarely more
 * than two per process. */
#define PIN_ROOM(n) (2 * (n) + 256)
/* fds kept out of the pin budget: the walk's own (a few per worker) and whatever
 * runs after discovery (mount tables, probes, a recovery's target and journal). */
#define PIN_FDS_KEPT 128

/* The processes to look at, shared by the workers. */
struct queue {
	int procfd;
	int *pids;
	size_t n;
	/* The BPF path: the tasks to look at instead of PIDS (N of them), and the
	 * names of their files (see bpfscan_collect). */
	const struct bpf_task *tasks;
	const char *names;
	/* The command lines the kernel gave, sorted by tgid (NCMDS of them). */
	struct bpfscan_rec *cmds;
	size_t ncmds;
	atomic_size_t next;
	/* Pins still allowed: the fds left once the walk itself and what comes after
	 * it (targets, sampling, a recovery) have theirs. */
	atomic_long pins_left;
	/* map_files refused us (no root): the text of maps is read straight away */
	atomic_bool no_map_files;
};

/* One scanner per thread: its own partial result, merged at the end, so the
 * workers never lock anything while they walk /proc. */
struct scanner {
	const struct scan_opts *o;
	struct scan_result *r;
	size_t cap;
	size_t *slots; /* open addressing on (dev, ino): entry index + 1, 0 = free */
	size_t nslots;
	struct mounts *mnt; /* workers only call mounts_is_own_id() */
	ino_t own_ns;
	pid_t self;
	struct queue *q;
	int err;
	char *buf;   /* reused for maps and fdinfo */
	char *dents; /* getdents64 records of one fd directory */
	size_t bufcap;
	char link[LINK_MAX_LEN];
	char vname[LINK_MAX_LEN]; /* a mapping's name from PROCMAP_QUERY */
	struct devino *live;      /* mapped files seen with a name: open addressing */
	size_t nlive, livecap;
	struct idmap *ids; /* the BPF path: the kernel's (dev, ino, mount) -> stat's */
	size_t nids, idcap;
	struct mnt_trust *trust; /* mounts where the kernel's ids are stat's */
	size_t ntrust;
	size_t holders_added; /* fd and mmap holders added by this scanner */
	/* The walk: the details of the processes holding something, read while their
	 * directory was open (a pass of libproc2 over all of /proc, or a lookup per
	 * pid, opens each again by its path) */
	struct procs_table rows;
	size_t rowcap;
};

/* A mapped file's identity as PROCMAP_QUERY gives it; ino 0 marks a free slot. */
struct devino {
	uint64_t dev, ino;
};

/* PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h), spelled out because the
 * headers of Debian 12 predate it. The layout is kernel ABI. */
struct rt_procmap_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define RT_PROCMAP_QUERY        _IOWR('f', 17, struct rt_procmap_query)
#define RT_PMQ_VMA_WRITABLE     0x02
#define RT_PMQ_VMA_SHARED       0x08
#define RT_PMQ_COVERING_OR_NEXT 0x10
#define RT_PMQ_FILE_BACKED      0x20

/* Cleared for good at the first sign that the kernel lacks PROCMAP_QUERY. */
static atomic_bool procmap_query_ok = true;

/* State for one process, filled lazily: most processes hold nothing deleted. */
struct proc_ctx {
	pid_t pid;
	pid_t tid; /* a thread with its own fd table: PFD is /proc/PID/task/TID */
	int pfd;   /* /proc/PID */
	int ns_known, other_ns;
	int exe_known;
	struct stat exe;
	bool denied; /* its fds may not be read: neither may its threads' */
	bool leader_counts; /* a thread whose process's refusal is counted instead */
};

static size_t hash_key(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;
	return (size_t)(h ^ (h >> 29));
}

static int grow_slots(struct scanner *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 1024;
	size_t *sl = calloc(n, sizeof(*sl));

	if (!sl)
		return -ENOMEM;
	for (size_t i = 0; i < s->r->n; i++) {
		size_t h = hash_key(s->r->v[i].dev, s->r->v[i].ino) & (n - 1);
		while (sl[h])
			h = (h + 1) & (n - 1);
		sl[h] = i + 1;
	}
	free(s->slots);
	s->slots = sl;
	s->nslots = n;
	return 0;
}

/* The entry for (DEV, INO), created when new (*CREATED set). NULL when out of memory. */
static struct entry *entry_get(struct scanner *s, dev_t dev, ino_t ino, bool *created)
{
	struct scan_result *r = s->r;
	size_t h;

	*created = false;
	if ((r->n + 1) * 2 > s->nslots && grow_slots(s) < 0)
		return NULL;
	for (h = hash_key(dev, ino) & (s->nslots - 1); s->slots[h]; h = (h + 1) & (s->nslots - 1)) {
		struct entry *e = &r->v[s->slots[h] - 1];
		if (e->dev == dev && e->ino == ino)
			return e;
	}
	if (r->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct entry *nv = realloc(r->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		r->v = nv;
		s->cap = nc;
	}
	r->v[r->n] = (struct entry){.dev = dev, .ino = ino, .pin = PIN_INIT, .unreadable = -1};
	s->slots[h] = ++r->n;
	*created = true;
	return &r->v[r->n - 1];
}

static struct holder *holder_add(struct entry *e, enum holder_type type)
{
	struct holder *nv = realloc(e->holders, (e->nholders + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	e->holders = nv;
	nv[e->nholders] = (struct holder){.type = type, .fd = -1, .mnt_id = -1};
	return &nv[e->nholders++];
}

static int set_path(struct entry *e, const char *p, size_t len)
{
	char *c = malloc(len + 1);

	if (!c)
		return -ENOMEM;
	memcpy(c, p, len);
	c[len] = '\0';
	free(e->path);
	e->path = c;
	e->path_len = len;
	return 0;
}

static void take_stat(struct entry *e, const struct stat *st)
{
	e->size = (uint64_t)st->st_size;
	e->allocated = (uint64_t)st->st_blocks * 512;
	e->mtime = st->st_mtim;
	e->size_known = true;
}

static bool other_ns(struct scanner *s, struct proc_ctx *p)
{
	struct stat st;

	if (!p->ns_known) {
		p->ns_known = 1;
		p->other_ns = fstatat(p->pfd, "ns/mnt", &st, 0) == 0 && st.st_ino != s->own_ns;
	}
	return p->other_ns;
}

/* Count ERR (a positive errno) when it means we ran out of fds, so the report can
 * say that something was missed for that reason and not because it vanished. */
static bool out_of_fds(struct scanner *s, int err)
{
	if (err != EMFILE && err != ENFILE)
		return false;
	s->r->st.no_fds++;
	return true;
}

/* A refusal to look at P's fds (ERR EACCES or EPERM) is about the process, not the
 * fd: the kernel checks the task (a process with privileges we lack). Counted once
 * as denied; nothing more of P is looked at. Anything else is not a refusal. */
static bool refused(struct scanner *s, struct proc_ctx *p, int err)
{
	if (err != EACCES && err != EPERM)
		return false;
	if (!p->denied && !p->leader_counts)
		s->r->st.denied++;
	p->denied = true;
	return true;
}

bool scan_path_under(const char *p, size_t len, const char *dir)
{
	size_t dl = strlen(dir);

	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	if (len < dl || memcmp(p, dir, dl) != 0)
		return false;
	return len == dl || p[dl] == '/';
}

/* Is the file named P (LEN bytes) one --only asks for? Asked before anything is
 * opened or pinned: what the caller left out is none of our business. */
static bool path_wanted(const struct scan_opts *o, const char *p, size_t len)
{
	if (o->nonly == 0)
		return true;
	for (size_t i = 0; i < o->nonly; i++)
		if (scan_path_under(p, len, o->only[i]))
			return true;
	return false;
}

static bool pid_wanted(const struct scan_opts *o, pid_t pid)
{
	if (o->npids == 0)
		return true;
	for (size_t i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return true;
	return false;
}

/* May one more pin be opened? When fds run short, files are still listed (a rescue
 * can start while a holder lives) rather than missed because the walk starved. */
static bool pin_allowed(struct scanner *s)
{
	if (atomic_fetch_sub(&s->q->pins_left, 1) > 0)
		return true;
	s->r->st.no_fds++;
	return false;
}

/* Pin E through NAME in directory AT (fd or map_files) unless it has a pin already.
 * ST is what fstatat saw; on success it is refreshed through the pin (the holder may
 * have written). A new entry takes its sizes from ST even when the pin fails. */
static void pin_entry(struct scanner *s, struct entry *e, bool created, int at, const char *name,
                      struct stat *st, enum pin_kind kind)
{
	struct pin pn;
	int pr;

	if (e->pin.fd >= 0)
		return;
	pr = pin_allowed(s) ? pin_open_at(at, name, st, kind, &pn) : 1;
	if (pr == 0) {
		e->pin = pn;
		take_stat(e, st);
		return;
	}
	if (pr < 0 && !out_of_fds(s, -pr) && kind == PIN_FD)
		e->reopen_err = pr; /* add_fd may still pin it another way */
	if (created)
		take_stat(e, st);
}

/* Pin E with a duplicate of fd FD of PID when re-opening it failed (REOPEN_ERR, or
 * E->reopen_err): a FUSE file unlinked with hard_remove cannot be re-opened, but
 * the holder's own open file still reads. */
static void pin_by_dup(struct scanner *s, struct entry *e, pid_t pid, int fd, int reopen_err)
{
	struct pin pn;
	struct stat st;

	if (e->pin.fd >= 0 || !pin_allowed(s))
		return;
	if (pin_open_getfd(pid, fd, &st, &pn) < 0)
		return;
	if (st.st_dev != e->dev || st.st_ino != e->ino) {
		pin_release(&pn);
		return;
	}
	e->pin = pn;
	e->reopen_err = reopen_err ? reopen_err : e->reopen_err;
	take_stat(e, &st);
}

/* Read a whole /proc file relative to AT into s->buf. Returns length or -errno.
 * ONE_RECORD: the file is a single seq_file record (fdinfo), which the kernel hands
 * over in one read when the buffer has room, so a short read is the end and the
 * read that would return 0 is saved. */
static ssize_t read_proc(struct scanner *s, int at, const char *name, bool one_record)
{
	int fd = openat(at, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;
		if (s->bufcap - len < 4096) {
			size_t nc = s->bufcap ? s->bufcap * 2 : 65536;
			char *nb = realloc(s->buf, nc);
			if (!nb) {
				close(fd);
				return -ENOMEM;
			}
			s->buf = nb;
			s->bufcap = nc;
		}
		n = read(fd, s->buf + len, s->bufcap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (one_record && len < s->bufcap - 1)
			break;
	}
	close(fd);
	s->buf[len] = '\0';
	return (ssize_t)len;
}

static int add_fd_dup(struct scanner *s, struct proc_ctx *p, const char *name, size_t linklen,
                      struct stat *st, struct pin *dup, int why);

/* The holder record and the name for fd NAME of P, whose file ST is; DUP is a pin
 * already made by duplicating the holder's fd (PIN_NONE if not). */
static int add_fd_holder(struct scanner *s, struct proc_ctx *p, int fddir, const char *name,
                         size_t linklen, struct stat *st, struct pin *dup, int why)
{
	struct parse_fdinfo fi;
	struct entry *e;
	struct holder *h;
	char fdinfo[300];
	bool created;
	ssize_t n;

	snprintf(fdinfo, sizeof(fdinfo), "fdinfo/%s", name);
	n = read_proc(s, p->pfd, fdinfo, true);
	if (n == -ENOMEM) {
		pin_release(dup);
		return -ENOMEM;
	}
	if (n < 0 || parse_fdinfo(s->buf, (size_t)n, &fi) < 0) {
		if (!out_of_fds(s, (int)-n))
			s->r->st.vanished++;
		pin_release(dup);
		return 0;
	}
	e = entry_get(s, st->st_dev, st->st_ino, &created);
	if (!e) {
		pin_release(dup);
		return -ENOMEM;
	}
	h = holder_add(e, HOLDER_FD);
	if (!h) {
		pin_release(dup);
		return -ENOMEM;
	}
	s->holders_added++;
	h->pid = p->pid;
	h->tid = p->tid;
	h->fd = atoi(name);
	h->flags = fi.flags;
	h->access = parse_access(fi.flags);
	h->append = parse_is_append(fi.flags);
	h->pos = fi.pos;
	h->mnt_id = fi.mnt_id;
	/* Another rescuetui's pin (or a test's): no holder to name, and its name for the
	 * file is only a stand-in until a real holder's comes. */
	h->others_pin = pin_flags_match(fi.flags);
	/* A file reached through one of our mounts has a path that means the same to
	 * us; only otherwise is the namespace worth a look. */
	h->other_mntns = !mounts_is_own_id(s->mnt, fi.mnt_id) && other_ns(s, p);
	/* The name as a holder in our namespace sees it is the one an admin can use. */
	if (created || (e->path_from_pin && !h->others_pin) ||
	    (e->path_other_ns && !h->other_mntns && !h->others_pin)) {
		if (set_path(e, s->link, linklen) < 0) {
			pin_release(dup);
			return -ENOMEM;
		}
		e->path_other_ns = h->other_mntns;
		e->path_from_pin = h->others_pin;
	}
	if (dup->fd >= 0) {
		if (e->pin.fd < 0) {
			e->pin = *dup;
			e->reopen_err = why;
			take_stat(e, st);
		} else {
			pin_release(dup);
		}
		return 0;
	}
	pin_entry(s, e, created, fddir, name, st, PIN_FD);
	if (e->pin.fd < 0 && e->reopen_err)
		pin_by_dup(s, e, p->pid, h->fd, 0);
	return 0;
}

static int add_fd_dup(struct scanner *s, struct proc_ctx *p, const char *name, size_t linklen,
                      struct stat *st, struct pin *dup, int why)
{
	return add_fd_holder(s, p, -1, name, linklen, st, dup, why);
}

/* One fd of PID that readlink says is deleted. */
static int add_fd(struct scanner *s, struct proc_ctx *p, int fddir, const char *name,
                  size_t linklen)
{
	struct stat st;
	struct pin none = PIN_INIT;

	if (fstatat(fddir, name, &st, 0) < 0) {
		/* The fd may be gone, or its file cannot be looked up again (FUSE
		 * hard_remove: ESTALE, ENOENT): the holder's own open file still tells. */
		int why = -errno;
		struct pin pn;
		if (!pin_allowed(s) || pin_open_getfd(p->pid, atoi(name), &st, &pn) < 0) {
			s->r->st.vanished++;
			return 0;
		}
		return add_fd_dup(s, p, name, linklen, &st, &pn, why);
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 0)
		return 0;
	return add_fd_holder(s, p, fddir, name, linklen, &st, &none, 0);
}

/* One getdents64 record, as the kernel lays it out. */
struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* Room for about 1000 fds per getdents64 call. */
#define DENTS_BUF 32768
/* ... and for about 200 threads of one process. */
#define TASK_DENTS_BUF 8192

static int scan_fds(struct scanner *s, struct proc_ctx *p)
{
	int fddir = openat(p->pfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fddir < 0) {
		if (errno == EACCES || errno == EPERM)
			s->r->st.denied++;
		else if (!out_of_fds(s, errno))
			s->r->st.vanished++;
		return 0;
	}
	if (!s->dents && !(s->dents = malloc(DENTS_BUF))) {
		close(fddir);
		return -ENOMEM;
	}
	/* getdents64 directly: fdopendir would add an fstat and two fcntl per process.
	 * (void *): musl declares it with struct dirent *, glibc with void *. */
	for (;;) {
		ssize_t got = getdents64(fddir, (void *)s->dents, DENTS_BUF);

		if (got <= 0)
			break;
		for (ssize_t off = 0; off < got && r == 0;) {
			const struct dent64 *de = (const struct dent64 *)(s->dents + off);
			ssize_t n;
			size_t len;

			off += de->reclen;
			if (de->name[0] == '.')
				continue;
			s->r->st.fds++;
			n = readlinkat(fddir, de->name, s->link, sizeof(s->link));
			if (n < 0 && refused(s, p, errno))
				break;
			if (n < 0 || (size_t)n >= sizeof(s->link))
				continue;
			if (!parse_deleted_suffix(s->link, (size_t)n, &len) ||
			    !path_wanted(s->o, s->link, len))
				continue;
			r = add_fd(s, p, fddir, de->name, len);
		}
		/* procfs lists a process's fds until the buffer is full, so room left
		 * over means that was all of them: the call that returns 0 is saved. */
		if (r < 0 || p->denied || got + 64 <= DENTS_BUF)
			break;
	}
	close(fddir);
	return r;
}

/* Is (dev, ino) the process's executable? Asked only for deleted mappings. */
static bool is_exe(struct proc_ctx *p, const struct stat *st)
{
	if (!p->exe_known) {
		p->exe_known = fstatat(p->pfd, "exe", &p->exe, 0) == 0 ? 1 : -1;
	}
	return p->exe_known == 1 && p->exe.st_dev == st->st_dev && p->exe.st_ino == st->st_ino;
}

/* What a caller of add_mapping knows already, so that /proc need not be asked: EXE
 * 1 or 0 when the file is (not) the holder's executable (-1: not known); OWN_MOUNT
 * when the file is on a mount of our namespace (its name means the same here);
 * EXACT when M's path is the name as map_files reads it, not the mangled text of
 * maps. */
struct map_hint {
	int exe;
	bool own_mount, exact;
};

static const struct map_hint no_hint = {.exe = -1};

static int add_mapping(struct scanner *s, struct proc_ctx *p, int mfdir, const struct parse_maps *m,
                       const struct map_hint *hint)
{
	char range[64];
	struct stat st;
	struct entry *e;
	struct holder *h = NULL;
	bool created;
	ssize_t n;

	snprintf(range, sizeof(range), "%llx-%llx", (unsigned long long)m->start,
	         (unsigned long long)m->end);
	if (mfdir < 0 || fstatat(mfdir, range, &st, 0) < 0) {
		if (mfdir < 0 || errno == EPERM || errno == EACCES)
			s->r->st.unconfirmed++;
		else
			s->r->st.vanished++;
		return 0;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 0)
		return 0;
	e = entry_get(s, st.st_dev, st.st_ino, &created);
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < e->nholders; i++)
		if (e->holders[i].type == HOLDER_MMAP && e->holders[i].pid == p->pid)
			h = &e->holders[i];
	if (!h) {
		h = holder_add(e, HOLDER_MMAP);
		if (!h)
			return -ENOMEM;
		s->holders_added++;
		h->pid = p->pid;
		h->other_mntns = !hint->own_mount && other_ns(s, p);
		h->exe = hint->exe >= 0 ? hint->exe == 1 : is_exe(p, &st);
	}
	h->map_bytes += m->end - m->start;
	h->map_write |= m->shared && m->writable;
	if (created || e->path_from_pin || (e->path_other_ns && !h->other_mntns)) {
		/* map_files gives the exact name; maps mangles newlines. */
		size_t len;
		if (hint->exact) {
			if (set_path(e, m->path, m->path_len) < 0)
				return -ENOMEM;
		} else if ((n = readlinkat(mfdir, range, s->link, sizeof(s->link))) > 0 &&
		           (size_t)n < sizeof(s->link) &&
		           parse_deleted_suffix(s->link, (size_t)n, &len)) {
			if (set_path(e, s->link, len) < 0)
				return -ENOMEM;
		} else {
			char *tmp = malloc(m->path_len + 1);
			if (!tmp)
				return -ENOMEM;
			len = parse_maps_unescape(tmp, m->path, m->path_len);
			free(e->path);
			e->path = tmp;
			e->path_len = len;
		}
		e->path_other_ns = h->other_mntns;
		e->path_from_pin = false;
	}
	pin_entry(s, e, created, mfdir, range, &st, PIN_MAP);
	return 0;
}

/* Has a mapping of (DEV, INO) been seen with a name (not deleted) in this scan? */
static bool live_known(const struct scanner *s, uint64_t dev, uint64_t ino)
{
	if (!s->livecap || ino == 0)
		return false;
	for (size_t h = hash_key(dev, ino) & (s->livecap - 1); s->live[h].ino;
	     h = (h + 1) & (s->livecap - 1))
		if (s->live[h].ino == ino && s->live[h].dev == dev)
			return true;
	return false;
}

static int live_add(struct scanner *s, uint64_t dev, uint64_t ino)
{
	if (ino == 0)
		return 0;
	if ((s->nlive + 1) * 2 > s->livecap) {
		size_t nc = s->livecap ? s->livecap * 2 : 256;
		struct devino *nv = calloc(nc, sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		for (size_t i = 0; i < s->livecap; i++) {
			if (!s->live[i].ino)
				continue;
			size_t h = hash_key(s->live[i].dev, s->live[i].ino) & (nc - 1);
			while (nv[h].ino)
				h = (h + 1) & (nc - 1);
			nv[h] = s->live[i];
		}
		free(s->live);
		s->live = nv;
		s->livecap = nc;
	}
	size_t h = hash_key(dev, ino) & (s->livecap - 1);
	while (s->live[h].ino)
		h = (h + 1) & (s->livecap - 1);
	s->live[h] = (struct devino){dev, ino};
	s->nlive++;
	return 0;
}

/* The mappings of P through PROCMAP_QUERY on its open maps file MFD: the kernel
 * names only the file (dev, inode) of each file-backed region, so nothing is
 * formatted, and a file already seen with a name is skipped at once; the rest are
 * checked through map_files. Returns 0 (or -ENOMEM), or 1 when the text of maps has
 * to be read instead (no PROCMAP_QUERY, or map_files not allowed: not root). */
static int query_maps(struct scanner *s, struct proc_ctx *p, int mfd)
{
	uint64_t addr = 0;
	int mfdir = -1, r = 0;
	bool added = false;

	for (;;) {
		struct rt_procmap_query q = {.size = sizeof(q),
		                             .query_flags =
		                                 RT_PMQ_COVERING_OR_NEXT | RT_PMQ_FILE_BACKED,
		                             .query_addr = addr};
		char range[64];
		struct stat st;
		uint64_t dev;

		if (ioctl(mfd, RT_PROCMAP_QUERY, &q) < 0) {
			if (addr == 0 && (errno == ENOTTY || errno == EINVAL)) {
				atomic_store(&procmap_query_ok, false);
				r = 1;
			}
			break; /* ENOENT: no region left; ESRCH: the process is gone */
		}
		addr = q.vma_end;
		dev = makedev(q.dev_major, q.dev_minor);
		if (live_known(s, dev, q.inode))
			continue;
		if (mfdir < 0) {
			mfdir = openat(p->pfd, "map_files", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (mfdir < 0) {
				if (!out_of_fds(s, errno) && !added)
					r = 1; /* not allowed: the text says which names are gone */
				break;
			}
		}
		snprintf(range, sizeof(range), "%llx-%llx", (unsigned long long)q.vma_start,
		         (unsigned long long)q.vma_end);
		if (fstatat(mfdir, range, &st, 0) < 0) {
			if ((errno == EPERM || errno == EACCES) && !added) {
				/* map_files needs privileges we lack: for every process */
				atomic_store(&s->q->no_map_files, true);
				r = 1;
				break;
			}
			continue; /* unmapped meanwhile */
		}
		if (!S_ISREG(st.st_mode) || st.st_nlink != 0) {
			r = live_add(s, dev, q.inode);
			if (r < 0)
				break;
			continue;
		}
		/* A deleted file: its name, then the same path as for the text. */
		q = (struct rt_procmap_query){.size = sizeof(q),
		                              .query_flags = RT_PMQ_FILE_BACKED,
		                              .query_addr = q.vma_start,
		                              .vma_name_addr = (uint64_t)(uintptr_t)s->vname,
		                              .vma_name_size = sizeof(s->vname)};
		if (ioctl(mfd, RT_PROCMAP_QUERY, &q) < 0)
			continue;
		struct parse_maps m = {.start = q.vma_start,
		                       .end = q.vma_end,
		                       .writable = q.vma_flags & RT_PMQ_VMA_WRITABLE,
		                       .shared = q.vma_flags & RT_PMQ_VMA_SHARED,
		                       .path = s->vname,
		                       .path_len = q.vma_name_size ? q.vma_name_size - 1 : 0,
		                       .deleted = true};
		parse_deleted_suffix(s->vname, m.path_len, &m.path_len);
		if (!path_wanted(s->o, m.path, m.path_len))
			continue;
		/* the kernel's name is d_path's, as map_files reads it */
		r = add_mapping(s, p, mfdir, &m, &(struct map_hint){.exe = -1, .exact = true});
		if (r < 0)
			break;
		added = true;
	}
	if (mfdir >= 0)
		close(mfdir);
	return r;
}

static int scan_maps(struct scanner *s, struct proc_ctx *p)
{
	ssize_t n;

	if (!s->o->text_maps && atomic_load(&procmap_query_ok) &&
	    !atomic_load(&s->q->no_map_files)) {
		int mfd = openat(p->pfd, "maps", O_RDONLY | O_CLOEXEC);
		if (mfd < 0) {
			out_of_fds(s, errno);
			return 0;
		}
		n = query_maps(s, p, mfd);
		close(mfd);
		if (n <= 0)
			return (int)n;
	}
	n = read_proc(s, p->pfd, "maps", false);
	char *line, *end;
	int mfdir = -1, r = 0;

	if (n < 0) {
		out_of_fds(s, (int)-n);
		return n == -ENOMEM ? -ENOMEM : 0;
	}
	/* Most processes map nothing deleted: one memmem and done. */
	if (!memmem(s->buf, (size_t)n, PARSE_DELETED_SUFFIX "\n", sizeof(PARSE_DELETED_SUFFIX)))
		return 0;
	mfdir = openat(p->pfd, "map_files", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfdir < 0)
		out_of_fds(s, errno);
	for (line = s->buf, end = s->buf + n; line < end && r == 0;) {
		char *eol = memchr(line, '\n', (size_t)(end - line));
		struct parse_maps m;

		if (!eol)
			eol = end;
		/* A file mapped as several regions gets one holder with all of them. */
		if (parse_maps_line(line, (size_t)(eol - line), &m) == 0 && m.deleted &&
		    m.path_len > 0 && path_wanted(s->o, m.path, m.path_len))
			r = add_mapping(s, p, mfdir, &m, &no_hint);
		line = eol + 1;
	}
	if (mfdir >= 0)
		close(mfdir);
	return r;
}

/* Cleared for good when the kernel has no kcmp (CONFIG_KCMP off). */
static atomic_bool kcmp_ok = true;

/* Does thread TID of process PID have an fd table of its own? kcmp says so
 * without reading anything; when it cannot tell, the thread is looked at, and
 * drop_thread_copies() removes what it shares with the leader. */
static bool own_fd_table(pid_t pid, pid_t tid)
{
	long r;

	if (!atomic_load(&kcmp_ok))
		return true;
	r = syscall(SYS_kcmp, pid, tid, KCMP_FILES, 0, 0);
	if (r < 0 && errno == ENOSYS)
		atomic_store(&kcmp_ok, false); /* EPERM is about this process only */
	return r != 0;
}

/* The fds of threads that called unshare(CLONE_FILES): /proc/PID/fd shows only
 * the leader's table. THREADS is how many stat counted (0: not read): without it, a
 * process directory's "task" has 2 + threads links, so a single-threaded process
 * costs one fstatat. */
static int scan_threads(struct scanner *s, struct proc_ctx *p, unsigned threads)
{
	/* scan_fds has s->dents: the task list gets a buffer of its own */
	_Alignas(8) char dents[TASK_DENTS_BUF];
	struct stat st;
	int tfd, r = 0;

	if (threads == 1 ||
	    (threads == 0 && (fstatat(p->pfd, "task", &st, 0) < 0 || st.st_nlink <= 3)))
		return 0;
	tfd = openat(p->pfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd < 0)
		return 0;
	for (;;) {
		ssize_t got = getdents64(tfd, (void *)dents, sizeof(dents));
		if (got <= 0)
			break;
		for (ssize_t off = 0; off < got && r == 0;) {
			const struct dent64 *de = (const struct dent64 *)(dents + off);
			struct proc_ctx t = {.pid = p->pid};

			off += de->reclen;
			t.tid = parse_pid(de->name);
			if (t.tid <= 0 || t.tid == p->pid || !own_fd_table(p->pid, t.tid))
				continue;
			t.pfd = openat(tfd, de->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (t.pfd < 0)
				continue;
			s->r->st.threads++;
			r = scan_fds(s, &t);
			close(t.pfd);
		}
		if (r < 0)
			break;
	}
	close(tfd);
	return r;
}

/* The details of P, which holds something, while its directory is open; *THREADS
 * what stat counted (left alone when it could not be read). A process gone
 * meanwhile gets none here (procs_describe looks it up, and finds it gone). */
static int describe_pid(struct scanner *s, struct proc_ctx *p, unsigned *threads)
{
	struct procs_row row;
	int r;

	if (s->rows.n == s->rowcap) {
		size_t nc = s->rowcap ? s->rowcap * 2 : 64;
		struct procs_row *nv = realloc(s->rows.v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->rows.v = nv;
		s->rowcap = nc;
	}
	r = procs_read_row(p->pfd, p->pid, &row);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		s->rows.v[s->rows.n++] = row;
		*threads = row.threads;
	}
	return 0;
}

static int scan_pid(struct scanner *s, int pid)
{
	struct proc_ctx p = {.pid = pid};
	size_t before = s->holders_added;
	unsigned threads = 0;
	bool described;
	char name[16];
	int r;

	snprintf(name, sizeof(name), "%d", pid);
	p.pfd = openat(s->q->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p.pfd < 0) {
		if (!out_of_fds(s, errno))
			s->r->st.vanished++;
		return 0;
	}
	s->r->st.procs++;
	r = scan_fds(s, &p);
	/* a holder is described now: its stat counts its threads, which spares
	 * the look at its task directory when it has a single thread */
	described = r == 0 && s->holders_added != before;
	if (described)
		r = describe_pid(s, &p, &threads);
	if (r == 0 && !p.denied)
		r = scan_threads(s, &p, threads);
	if (r == 0)
		r = scan_maps(s, &p);
	if (r == 0 && !described && s->holders_added != before)
		r = describe_pid(s, &p, &threads);
	close(p.pfd);
	return r;
}

/* ---- the BPF path: the kernel names the candidates, /proc describes them ---- */

/* The records of one task: a process (TID == TGID: its fd table and mappings), or
 * a thread with an fd table of its own. */
struct bpf_task {
	pid_t tgid, tid;
	const struct bpfscan_rec *rec;
	size_t n;
};

/* VM_WRITE and VM_SHARED of include/linux/mm.h: kernel ABI for as long as
 * /proc/PID/maps prints them. */
#define RT_VM_WRITE  0x2ull
#define RT_VM_SHARED 0x8ull

/* How good a name the fd of C gives its file (lower is better), as add_fd prefers
 * them: through one of our mounts, then any that is not another program's pin. */
static int name_rank(const struct mounts *m, const struct bpfscan_rec *c)
{
	if (pin_flags_match((unsigned)c->flags))
		return 2;
	return mounts_is_own_id(m, c->mnt_id) ? 0 : 1;
}

static int by_inode(const void *a, const void *b, void *mounts)
{
	const struct bpfscan_rec *x = a, *y = b;
	int rx, ry;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	rx = name_rank(mounts, x);
	ry = name_rank(mounts, y);
	if (rx != ry)
		return rx - ry;
	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* One fd of each file leads: it is named and pinned through, once. */
static void mark_leads(const struct mounts *m, struct bpfscan_rec *v, size_t n)
{
	qsort_r(v, n, sizeof(*v), by_inode, (void *)m);
	for (size_t i = 0; i < n; i++)
		v[i].lead = v[i].kind == BPFREC_FD &&
		            (i == 0 || v[i - 1].kind != v[i].kind || v[i - 1].dev != v[i].dev ||
		             v[i - 1].ino != v[i].ino);
}

static int by_task(const void *a, const void *b)
{
	const struct bpfscan_rec *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The entry for (DEV, INO) when this scanner has one, else NULL. */
static struct entry *entry_find(struct scanner *s, dev_t dev, ino_t ino)
{
	if (!s->nslots)
		return NULL;
	for (size_t h = hash_key(dev, ino) & (s->nslots - 1); s->slots[h];
	     h = (h + 1) & (s->nslots - 1)) {
		struct entry *e = &s->r->v[s->slots[h] - 1];
		if (e->dev == dev && e->ino == ino)
			return e;
	}
	return NULL;
}

/* /proc/PID, or /proc/PID/task/TID for a thread's own table, opened the first time
 * something needs it: most fds need only their name and a pin, reached from /proc
 * itself. Returns the fd or -1 (the task is gone). */
static int task_dir(struct scanner *s, struct proc_ctx *p)
{
	char name[40];

	if (p->pfd >= 0)
		return p->pfd;
	if (p->tid)
		snprintf(name, sizeof(name), "%d/task/%d", (int)p->pid, (int)p->tid);
	else
		snprintf(name, sizeof(name), "%d", (int)p->pid);
	p->pfd = openat(s->q->procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->pfd < 0)
		out_of_fds(s, errno);
	return p->pfd;
}

/* The kernel's inode (its superblock's dev, i_ino) seen through one mount, and the
 * (st_dev, st_ino) stat gives for it: not the same on btrfs (a subvolume has a dev
 * of its own) or overlayfs (the real inode is underneath). Ids are stat's on both
 * paths. */
struct idmap {
	uint64_t kdev, kino; /* kino 0: a free slot */
	int mnt_id;
	dev_t dev;
	ino_t ino;
};

static size_t id_hash(const struct bpfscan_rec *c, size_t cap)
{
	return hash_key((dev_t)c->dev ^ ((dev_t)(unsigned)c->mnt_id << 32), (ino_t)c->ino) &
	       (cap - 1);
}

/* Whether stat gives the kernel's (dev, ino) for files under one mount: found out
 * with the first file there, trusted for the rest (ext4, xfs, tmpfs: yes; btrfs and
 * overlayfs: no, every file is looked at). The pin's own check stays either way. */
struct mnt_trust {
	int mnt_id;
	bool same;
};

static const struct mnt_trust *trust_find(const struct scanner *s, int mnt_id)
{
	for (size_t i = 0; i < s->ntrust; i++)
		if (s->trust[i].mnt_id == mnt_id)
			return &s->trust[i];
	return NULL;
}

static int trust_add(struct scanner *s, int mnt_id, bool same)
{
	struct mnt_trust *nv = realloc(s->trust, (s->ntrust + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	s->trust = nv;
	s->trust[s->ntrust++] = (struct mnt_trust){mnt_id, same};
	return 0;
}

static const struct idmap *id_find(const struct scanner *s, const struct bpfscan_rec *c)
{
	if (!s->idcap)
		return NULL;
	for (size_t h = id_hash(c, s->idcap); s->ids[h].kino; h = (h + 1) & (s->idcap - 1))
		if (s->ids[h].kino == c->ino && s->ids[h].kdev == c->dev &&
		    s->ids[h].mnt_id == c->mnt_id)
			return &s->ids[h];
	return NULL;
}

static int id_add(struct scanner *s, const struct bpfscan_rec *c, const struct stat *st)
{
	size_t h;

	if (c->ino == 0)
		return 0;
	if ((s->nids + 1) * 2 > s->idcap) {
		size_t nc = s->idcap ? s->idcap * 2 : 1024;
		struct idmap *nv = calloc(nc, sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		for (size_t i = 0; i < s->idcap; i++) {
			struct bpfscan_rec k = {.dev = (unsigned)s->ids[i].kdev,
			                        .ino = s->ids[i].kino,
			                        .mnt_id = s->ids[i].mnt_id};
			if (!s->ids[i].kino)
				continue;
			for (h = id_hash(&k, nc); nv[h].kino; h = (h + 1) & (nc - 1))
				;
			nv[h] = s->ids[i];
		}
		free(s->ids);
		s->ids = nv;
		s->idcap = nc;
	}
	for (h = id_hash(c, s->idcap); s->ids[h].kino; h = (h + 1) & (s->idcap - 1))
		;
	s->ids[h] = (struct idmap){c->dev, c->ino, c->mnt_id, st->st_dev, st->st_ino};
	s->nids++;
	return 0;
}

/* The holder of record C: what the walk would make of fdinfo. */
static void holder_from(struct holder *h, const struct proc_ctx *p, const struct bpfscan_rec *c,
                        bool other_mntns)
{
	*h = (struct holder){.type = HOLDER_FD,
	                     .pid = p->pid,
	                     .tid = p->tid,
	                     .fd = c->fd,
	                     .flags = (unsigned)c->flags,
	                     .access = parse_access((unsigned)c->flags),
	                     .append = parse_is_append((unsigned)c->flags),
	                     .pos = c->pos,
	                     .mnt_id = c->mnt_id,
	                     .others_pin = pin_flags_match((unsigned)c->flags),
	                     .other_mntns = other_mntns};
}

/* The identity (device, inode) of record C's file into ST without asking stat: from
 * the mapping ID learnt on this mount, or from the record itself where the mount is
 * trusted to report the same numbers as stat (TR). False: stat has to tell. */
static bool known_identity(const struct bpfscan_rec *c, const struct mnt_trust *tr,
                           const struct idmap *id, struct stat *st)
{
	if (id) {
		st->st_dev = id->dev;
		st->st_ino = id->ino;
		return true;
	}
	if (tr && tr->same) {
		st->st_dev = makedev(c->dev >> 20, c->dev & 0xfffff);
		st->st_ino = (ino_t)c->ino;
		return true;
	}
	return false;
}

/* An fd on a file that another fd (its lead) names and pins: only a holder. Where
 * this worker has not seen the file, its entry waits for the lead's name, pin and
 * sizes in merge(). */
static int follower_fd(struct scanner *s, struct proc_ctx *p, const struct bpfscan_rec *c,
                       const struct mnt_trust *tr, const struct idmap *id, int at, const char *name)
{
	struct stat st = {.st_size = (off_t)c->size, .st_mode = S_IFREG};
	bool created, other_mntns = false;
	struct entry *e;
	struct holder *h;

	if (!known_identity(c, tr, id, &st)) {
		if (fstatat(at, name, &st, 0) < 0) {
			if (!refused(s, p, errno))
				s->r->st.vanished++;
			return 0;
		}
		if (!S_ISREG(st.st_mode) || st.st_nlink != 0)
			return 0;
		if ((!tr && trust_add(s, c->mnt_id,
		                      st.st_dev == makedev(c->dev >> 20, c->dev & 0xfffff) &&
		                          st.st_ino == (ino_t)c->ino) < 0) ||
		    id_add(s, c, &st) < 0)
			return -ENOMEM;
	}
	if (!mounts_is_own_id(s->mnt, c->mnt_id))
		other_mntns = task_dir(s, p) >= 0 && other_ns(s, p);
	e = entry_get(s, st.st_dev, st.st_ino, &created);
	if (!e || !(h = holder_add(e, HOLDER_FD)))
		return -ENOMEM;
	s->holders_added++;
	holder_from(h, p, c, other_mntns);
	if (created) {
		e->size = c->size;       /* until the lead's entry comes (size_known false) */
		e->path_from_pin = true; /* any holder's name is better than none */
	}
	return 0;
}

/* One deleted fd the iterator saw: the holder the walk would make from fdinfo,
 * made from what the kernel already said (position, flags, mount), so a file's
 * second and later fds cost no system call; a new file costs a readlink for its
 * name and the open of its pin. */
/* Release a pin taken early and return R (for early returns). */
static int drop_dup(struct pin *dup, int r)
{
	pin_release(dup);
	return r;
}

static int task_fd(struct scanner *s, struct proc_ctx *p, const struct bpfscan_rec *c)
{
	const struct idmap *id = id_find(s, c);
	const struct mnt_trust *tr = id ? NULL : trust_find(s, c->mnt_id);
	struct stat st = {.st_size = (off_t)c->size, .st_mode = S_IFREG};
	bool fresh = false; /* ST is what stat said just now */
	bool others = pin_flags_match((unsigned)c->flags), created, other_mntns = false;
	struct pin dup = PIN_INIT;
	int reopen_err = 0;
	struct entry *e;
	int at = s->q->procfd;
	struct holder *h;
	char name[64];
	const char *link = s->link;
	ssize_t n;
	size_t len = 0;

	s->r->st.fds++;
	if (p->denied)
		return 0;
	if (p->tid)
		snprintf(name, sizeof(name), "%d/task/%d/fd/%d", (int)p->pid, (int)p->tid, c->fd);
	else
		snprintf(name, sizeof(name), "%d/fd/%d", (int)p->pid, c->fd);
	if (!c->lead)
		return follower_fd(s, p, c, tr, id, at, name);
	if (!known_identity(c, tr, id, &st)) {
		/* the first fd on this inode: its identity as stat gives it */
		if (fstatat(at, name, &st, 0) < 0) {
			/* a file that cannot be looked up again (FUSE hard_remove) is still
			 * listed: the holder's own open file tells, as on the /proc walk */
			int why = -errno;
			if (p->tid || !pin_allowed(s) ||
			    pin_open_getfd(p->pid, c->fd, &st, &dup) < 0) {
				if (!refused(s, p, -why))
					s->r->st.vanished++;
				return 0;
			}
			reopen_err = why;
		}
		fresh = true;
		if (!S_ISREG(st.st_mode) || st.st_nlink != 0)
			return drop_dup(&dup, 0);
		if (!tr && trust_add(s, c->mnt_id,
		                     st.st_dev == makedev(c->dev >> 20, c->dev & 0xfffff) &&
		                         st.st_ino == (ino_t)c->ino) < 0)
			return drop_dup(&dup, -ENOMEM);
		if (id_add(s, c, &st) < 0)
			return drop_dup(&dup, -ENOMEM);
	}
	e = entry_find(s, st.st_dev, st.st_ino);
	if (!mounts_is_own_id(s->mnt, c->mnt_id))
		other_mntns = task_dir(s, p) >= 0 && other_ns(s, p);
	/* the name as a holder in our namespace sees it (as add_fd chooses): the
	 * kernel's, else the link's */
	if (!e || (e->path_from_pin && !others) || (e->path_other_ns && !other_mntns && !others)) {
		if (c->path_len) {
			link = s->q->names + c->path_off;
			n = (ssize_t)c->path_len;
		} else {
			n = readlinkat(at, name, s->link, sizeof(s->link));
		}
		if (n < 0 || (size_t)n >= sizeof(s->link) ||
		    !parse_deleted_suffix(link, (size_t)n, &len)) {
			s->r->st.vanished++; /* closed or replaced since */
			return drop_dup(&dup, 0);
		}
	}
	e = entry_get(s, st.st_dev, st.st_ino, &created);
	if (!e || !(h = holder_add(e, HOLDER_FD)))
		return drop_dup(&dup, -ENOMEM);
	s->holders_added++;
	holder_from(h, p, c, other_mntns);
	if (len) {
		if (set_path(e, link, len) < 0)
			return drop_dup(&dup, -ENOMEM);
		e->path_other_ns = other_mntns;
		e->path_from_pin = others;
	}
	if (dup.fd >= 0) {
		if (e->pin.fd < 0) {
			e->pin = dup;
			dup = (struct pin)PIN_INIT;
			e->reopen_err = reopen_err;
			take_stat(e, &st);
		} else {
			pin_release(&dup);
		}
	} else if (e->pin.fd < 0) {
		pin_entry(s, e, false, at, name, &st, PIN_FD);
		if (e->pin.fd < 0 && e->reopen_err && !p->tid)
			pin_by_dup(s, e, p->pid, c->fd, 0);
	}
	/* no pin (no fds left, or it went away): sizes as the walk saw them */
	if ((created || !e->size_known) && e->pin.fd < 0) {
		if (!fresh)
			(void)fstatat(at, name, &st, 0); /* left as it was when it fails */
		take_stat(e, &st);
	}
	return 0;
}

/* One deleted mapping the iterator saw (bpf_candidates applied --only to it),
 * checked and pinned through map_files. */
static int task_map(struct scanner *s, struct proc_ctx *p, int *mfdir, const struct bpfscan_rec *c)
{
	struct parse_maps m = {.start = c->pos,
	                       .end = c->end,
	                       .writable = (c->flags & RT_VM_WRITE) != 0,
	                       .shared = (c->flags & RT_VM_SHARED) != 0,
	                       .path = "",
	                       .deleted = true};
	/* the kernel said which mount and whether it is the executable, and gave the
	 * name as map_files reads it */
	struct map_hint hint = {.exe = c->exe, .own_mount = mounts_is_own_id(s->mnt, c->mnt_id)};

	const char *name = s->q->names + c->path_off;

	if (c->path_len && parse_deleted_suffix(name, c->path_len, &m.path_len)) {
		m.path = name;
		hint.exact = true;
	}

	if (*mfdir == -1) {
		*mfdir = task_dir(s, p) < 0
		             ? -1
		             : openat(p->pfd, "map_files", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*mfdir < 0) {
			out_of_fds(s, errno);
			*mfdir = -2; /* add_mapping counts each as unconfirmed */
		}
	}
	return add_mapping(s, p, *mfdir < 0 ? -1 : *mfdir, &m, &hint);
}

_Static_assert(sizeof(pid_t) == sizeof(((struct bpfscan_rec *)0)->tgid), "tgid is a pid_t");

/* In the N elements of SIZE bytes at BASE, sorted by the pid_t at offset OFF, the
 * index of the first whose pid is TGID, or N. */
static size_t first_tgid(const void *base, size_t n, size_t size, size_t off, pid_t tgid)
{
	size_t lo = 0, hi = n;
	pid_t v;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		memcpy(&v, (const char *)base + mid * size + off, sizeof(v));
		if (v < tgid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n)
		memcpy(&v, (const char *)base + lo * size + off, sizeof(v));
	return lo < n && v == tgid ? lo : n;
}

/* The first task of process TGID in Q's tasks (sorted), or NULL. */
static const struct bpf_task *task_of(const struct queue *q, pid_t tgid)
{
	size_t i = first_tgid(q->tasks, q->n, sizeof(*q->tasks), offsetof(struct bpf_task, tgid),
	                      tgid);
	return i < q->n ? &q->tasks[i] : NULL;
}

static int scan_task(struct scanner *s, const struct bpf_task *t)
{
	struct proc_ctx p = {.pid = t->tgid, .tid = t->tid == t->tgid ? 0 : t->tid, .pfd = -1};
	int mfdir = -1, r = 0;

	if (p.tid)
		s->r->st.threads++;
	else
		s->r->st.procs++;
	/* one process, one refusal, as on the walk: a thread's counts only when its
	 * process has no records of its own to be refused */
	for (const struct bpf_task *l = p.tid ? task_of(s->q, p.pid) : NULL;
	     l && l < s->q->tasks + s->q->n && l->tgid == p.pid; l++)
		p.leader_counts |= l->tid == l->tgid;
	for (size_t i = 0; i < t->n && r == 0; i++) {
		const struct bpfscan_rec *c = &t->rec[i];
		if (c->kind == BPFREC_FD)
			r = task_fd(s, &p, c);
		else if (c->kind == BPFREC_MMAP && !p.tid)
			r = task_map(s, &p, &mfdir, c);
	}
	if (mfdir >= 0)
		close(mfdir);
	if (p.pfd >= 0)
		close(p.pfd);
	return r;
}

/* The command line the kernel gave for process TGID, or NULL (then /proc has it). */
static const struct bpfscan_rec *cmdline_of(const struct queue *q, pid_t tgid)
{
	size_t i = first_tgid(q->cmds, q->ncmds, sizeof(*q->cmds),
	                      offsetof(struct bpfscan_rec, tgid), tgid);
	return i < q->ncmds ? &q->cmds[i] : NULL;
}

static int by_pid_only(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return x < y ? -1 : x > y;
}

/* The BPF path's details of the processes holding something in S's part: name,
 * user, state and mostly the command line as the kernel gave them (the command
 * line read from /proc where it did not), in the table procs_describe takes.
 * Free with bpf_rows_free(). */
static int bpf_rows(struct scanner *s, struct procs_table *t)
{
	pid_t *pids;
	size_t n = 0, u = 0;

	t->v = NULL;
	t->n = 0;
	for (size_t i = 0; i < s->r->n; i++)
		n += s->r->v[i].nholders;
	pids = malloc((n ? n : 1) * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < s->r->n; i++)
		for (size_t k = 0; k < s->r->v[i].nholders; k++)
			if (s->r->v[i].holders[k].type != HOLDER_LOOP)
				pids[n++] = s->r->v[i].holders[k].pid;
	qsort(pids, n, sizeof(*pids), by_pid_only);
	t->v = calloc(n ? n : 1, sizeof(*t->v));
	if (!t->v) {
		free(pids);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bpf_task *k = task_of(s->q, pids[i]);
		const struct bpfscan_rec *cmd;
		struct procs_row *row;

		if ((u && t->v[u - 1].pid == pids[i]) || !k)
			continue;
		row = &t->v[u++];
		*row = (struct procs_row){.pid = pids[i],
		                          .comm = (char *)k->rec->comm,
		                          .uid = k->rec->euid,
		                          .state = k->rec->state};
		cmd = cmdline_of(s->q, pids[i]);
		if ((cmd ? procs_cmdline_shown(s->q->names + cmd->path_off, cmd->path_len,
		                               &row->cmdline)
		         : procs_cmdline(s->q->procfd, pids[i], &row->cmdline)) == -ENOMEM) {
			t->n = u;
			free(pids);
			return -ENOMEM;
		}
	}
	t->n = u;
	free(pids);
	return 0;
}

static void bpf_rows_free(struct procs_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].cmdline); /* comm is the record's */
	free(t->v);
	*t = (struct procs_table){0};
}

/* Does --only want record C? Its name as the walk of /proc would read it: the
 * kernel's, or where it gave none the fd's link or the mapping's in map_files
 * (exact, where maps escapes newlines). A record whose name cannot be read any
 * more has vanished: not wanted. */
static bool rec_path_wanted(const struct scan_opts *o, const struct queue *q,
                            const struct bpfscan_rec *c)
{
	char name[96], link[LINK_MAX_LEN];
	size_t len;
	ssize_t n;

	if (o->nonly == 0)
		return true;
	if (c->path_len)
		return parse_deleted_suffix(q->names + c->path_off, c->path_len, &len) &&
		       path_wanted(o, q->names + c->path_off, len);
	if (c->kind == BPFREC_MMAP)
		snprintf(name, sizeof(name), "%d/map_files/%llx-%llx", c->tgid, c->pos, c->end);
	else if (c->tid != c->tgid)
		snprintf(name, sizeof(name), "%d/task/%d/fd/%d", c->tgid, c->tid, c->fd);
	else
		snprintf(name, sizeof(name), "%d/fd/%d", c->tgid, c->fd);
	n = readlinkat(q->procfd, name, link, sizeof(link));
	return n > 0 && (size_t)n < sizeof(link) && parse_deleted_suffix(link, (size_t)n, &len) &&
	       path_wanted(o, link, len);
}

/* Ask the BPF iterators for the candidates and make them Q's tasks. Returns 0 when
 * they answered, 1 when /proc has to be walked instead (R->bpf_err says why), or a
 * negative errno (out of memory; with SCAN_BPF, why BPF did not work). */
static int bpf_candidates(const struct scan_opts *o, struct queue *q, const struct scanner *ms,
                          struct scan_result *r, struct bpfscan_rec **recs, char **names,
                          struct bpf_task **tasks)
{
	struct timespec t0, t1;
	struct bpf_task *t;
	size_t n, keep = 0, nt = 0;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bpfscan_collect(recs, &n, names);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->bpf_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (err < 0) {
		r->bpf_err = err;
		return o->method == SCAN_BPF || err == -ENOMEM ? err : 1;
	}
	q->names = *names;
	q->cmds = malloc((n ? n : 1) * sizeof(*q->cmds));
	if (!q->cmds)
		return -ENOMEM;
	/* our own fds are the pins of an earlier scan, not holders; what a filter
	 * leaves out goes before anything is named or pinned */
	for (size_t i = 0; i < n; i++) {
		const struct bpfscan_rec *c = &(*recs)[i];
		if (c->kind == BPFREC_CMDLINE)
			q->cmds[q->ncmds++] = *c;
		else if (c->tgid != ms->self && pid_wanted(o, c->tgid) && rec_path_wanted(o, q, c))
			(*recs)[keep++] = *c;
	}
	if (q->ncmds > 1)
		qsort(q->cmds, q->ncmds, sizeof(*q->cmds), by_task);
	if (keep > 1) {
		mark_leads(ms->mnt, *recs, keep);
		qsort(*recs, keep, sizeof(**recs), by_task);
	} else if (keep == 1) {
		(*recs)[0].lead = (*recs)[0].kind == BPFREC_FD;
	}
	*tasks = t = calloc(keep ? keep : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < keep; i++) {
		const struct bpfscan_rec *c = &(*recs)[i];
		if (nt == 0 || t[nt - 1].tgid != c->tgid || t[nt - 1].tid != c->tid)
			t[nt++] = (struct bpf_task){.tgid = c->tgid, .tid = c->tid, .rec = c};
		t[nt - 1].n++;
	}
	q->tasks = t;
	q->n = nt;
	r->method = SCAN_BPF;
	return 0;
}

/* A worker: take processes from the queue until none are left, then describe the
 * holders found, still in parallel. */
static void *worker(void *arg)
{
	struct scanner *s = arg;
	struct queue *q = s->q;

	for (;;) {
		size_t i = atomic_fetch_add(&q->next, CHUNK);
		if (i >= q->n)
			break;
		for (size_t j = i; j < q->n && j < i + CHUNK; j++) {
			s->err = q->tasks ? scan_task(s, &q->tasks[j]) : scan_pid(s, q->pids[j]);
			if (s->err < 0)
				return NULL;
		}
	}
	if (q->tasks) {
		s->err = bpf_rows(s, &s->rows);
		if (s->err == 0)
			s->err = procs_describe(s->r, &s->rows);
		bpf_rows_free(&s->rows);
	} else {
		/* taken in chunks in the order of the pids, but sorted to be sure */
		procs_table_sort(&s->rows);
		s->err = procs_describe(s->r, &s->rows);
		procs_table_free(&s->rows);
	}
	if (s->err > 0) {
		s->r->st.described += (unsigned)s->err;
		s->err = 0;
	}
	return NULL;
}

/* Read the pids in /proc (our own left out: our fds are the pins of an earlier
 * scan, not holders). */
static int list_pids(struct queue *q, const struct scan_opts *o, pid_t self)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int dupfd = dup(q->procfd);

	if (dupfd < 0)
		return -errno;
	d = fdopendir(dupfd);
	if (!d) {
		close(dupfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		int pid = parse_pid(de->d_name);
		if (pid <= 0 || pid == self || !pid_wanted(o, pid))
			continue;
		if (q->n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			int *np = realloc(q->pids, nc * sizeof(*np));
			if (!np) {
				closedir(d);
				return -ENOMEM;
			}
			q->pids = np;
			cap = nc;
		}
		q->pids[q->n++] = pid;
	}
	closedir(d);
	return 0;
}

static int scan_loops(struct scanner *s)
{
	struct loop_dev *v;
	size_t n;
	int r;

	if (s->o->npids)
		return 0; /* no process holds a loop device's file */
	r = loop_find_deleted(s->o->sys, &v, &n, &s->r->st.loop_denied);

	if (r < 0)
		return r == -ENOMEM ? r : 0; /* no sysfs: nothing to find there */
	for (size_t i = 0; i < n && r == 0; i++) {
		struct loop_dev *d = &v[i];
		struct mounts_hit hit;
		struct holder *h;
		bool created;
		struct entry *e;

		if (!path_wanted(s->o, d->backing, d->backing_len))
			continue;
		e = entry_get(s, d->file_dev, (ino_t)d->file_ino, &created);
		if (!e || !(h = holder_add(e, HOLDER_LOOP))) {
			r = -ENOMEM;
			break;
		}
		snprintf(h->loop_dev, sizeof(h->loop_dev), "%s", d->path);
		h->offset = d->offset;
		h->sizelimit = d->sizelimit;
		h->autoclear = d->autoclear;
		h->readonly = d->readonly;
		if (mounts_find(s->mnt, 0, d->devno, -1, &hit) == 0) {
			h->loop_mountpoint = hit.target ? strdup(hit.target) : NULL;
			h->loop_fstype = hit.fstype ? strdup(hit.fstype) : NULL;
		}
		if (created && set_path(e, d->backing, d->backing_len) < 0)
			r = -ENOMEM;
		if (e->pin.fd < 0) {
			struct pin pn;
			struct stat st;
			int mfd = mounts_open_fs(s->mnt, d->file_dev);

			if (mfd >= 0 &&
			    pin_open_handle(mfd, d->file_dev, d->file_ino, &pn, &st) == 0) {
				e->pin = pn;
				take_stat(e, &st);
			} else if (pin_open_loopdev(d->path, d->offset, &pn) == 0) {
				/* Only the device's view survives: the size is a floor. */
				e->pin = pn;
				e->size = d->offset + pn.dev_size;
				e->allocated = 0;
				e->size_known = false;
			}
			if (mfd >= 0)
				close(mfd);
		}
	}
	loop_free(v, n);
	return r;
}

/* Fill fstype and mountpoint, preferring the exact mount a holder used. */
static int place(struct scanner *s, struct entry *e)
{
	struct mounts_hit hit;
	int found = -ENOENT;

	for (size_t i = 0; i < e->nholders && found; i++) {
		const struct holder *h = &e->holders[i];
		if (h->type == HOLDER_FD && !h->other_mntns)
			found = mounts_find(s->mnt, 0, e->dev, h->mnt_id, &hit);
	}
	if (found)
		found = mounts_find(s->mnt, 0, e->dev, -1, &hit);
	for (size_t i = 0; i < e->nholders && found; i++) {
		const struct holder *h = &e->holders[i];
		if (h->type != HOLDER_LOOP && h->other_mntns)
			found = mounts_find(s->mnt, h->pid, e->dev, h->mnt_id, &hit);
	}
	if (found)
		return 0;
	if ((hit.fstype && !(e->fstype = strdup(hit.fstype))) ||
	    (hit.target && !(e->mountpoint = strdup(hit.target))))
		return -ENOMEM;
	return 0;
}

static bool starts_with(const char *s, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);
	return len >= pl && memcmp(s, prefix, pl) == 0;
}

/* O_TMPFILE files are named "#INO" by the kernel, in the directory they were made in. */
static bool tmpfile_name(const struct entry *e)
{
	const char *base = e->path ? memrchr(e->path, '/', e->path_len) : NULL;
	char want[32];

	if (!base)
		return false;
	snprintf(want, sizeof(want), "/#%llu", (unsigned long long)e->ino);
	return (size_t)(e->path + e->path_len - base) == strlen(want) &&
	       memcmp(base, want, strlen(want)) == 0;
}

/* Files on no visible mount live on kernel-internal filesystems: memfd or shared
 * memory. Everything else is a file the admin may want back. */
static enum scan_kind classify(const struct entry *e)
{
	if (!e->mountpoint)
		return e->path && starts_with(e->path, e->path_len, "/memfd:") ? KIND_MEMFD
		                                                               : KIND_SHM;
	for (size_t i = 0; i < e->nholders; i++)
		if (e->holders[i].type == HOLDER_FD && parse_is_tmpfile(e->holders[i].flags))
			return KIND_TMPFILE;
	if (tmpfile_name(e))
		return KIND_TMPFILE;
	if (e->fstype && strcmp(e->fstype, "tmpfs") == 0 && strcmp(e->mountpoint, "/dev/shm") == 0)
		return KIND_SHM;
	return KIND_FILE;
}

static void holder_free(struct holder *h)
{
	free(h->comm);
	free(h->user);
	free(h->cmdline);
	free(h->loop_mountpoint);
	free(h->loop_fstype);
}

/* Another rescuetui's pins are no holders worth naming when something else holds
 * the file; when nothing else does, they are what keeps it, and stay. */
static void drop_others_pins(struct entry *e)
{
	size_t keep = 0, others = 0;

	for (size_t i = 0; i < e->nholders; i++)
		others += !e->holders[i].others_pin;
	if (others == 0 || others == e->nholders)
		return;
	for (size_t i = 0; i < e->nholders; i++) {
		if (e->holders[i].others_pin)
			holder_free(&e->holders[i]);
		else
			e->holders[keep++] = e->holders[i];
	}
	e->nholders = keep;
}

/* A thread's fd that is also the leader's fd of that number on the same file
 * (the table is shared, or was copied by unshare) says nothing new: the holder
 * named by the process's table stays. The same rule on both paths, whichever saw
 * the thread. */
static void drop_thread_copies(struct entry *e)
{
	size_t keep = 0;

	for (size_t i = 0; i < e->nholders; i++) {
		const struct holder *h = &e->holders[i];
		bool copy = false;

		for (size_t k = 0; h->type == HOLDER_FD && h->tid && k < e->nholders && !copy; k++)
			copy = e->holders[k].type == HOLDER_FD && !e->holders[k].tid &&
			       e->holders[k].pid == h->pid && e->holders[k].fd == h->fd;
		if (copy)
			holder_free(&e->holders[i]);
		else
			e->holders[keep++] = e->holders[i];
	}
	e->nholders = keep;
}

static void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->nholders; i++)
		holder_free(&e->holders[i]);
	free(e->holders);
	free(e->path);
	free(e->fstype);
	free(e->mountpoint);
	pin_release(&e->pin);
}

static int by_size(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Move everything of PART into the result of S: entries new to S move whole; for
 * known ones the holders move over and a second pin is closed. */
static int merge(struct scanner *s, struct scan_result *part)
{
	struct scan_stats *a = &s->r->st, *b = &part->st;

	a->procs += b->procs;
	a->fds += b->fds;
	a->denied += b->denied;
	a->vanished += b->vanished;
	a->unconfirmed += b->unconfirmed;
	a->no_fds += b->no_fds;
	a->described += b->described;
	a->threads += b->threads;
	for (size_t i = 0; i < part->n; i++) {
		struct entry *pe = &part->v[i], *e;
		struct holder *nh;
		bool created;

		e = entry_get(s, pe->dev, pe->ino, &created);
		if (!e)
			return -ENOMEM;
		if (created) {
			*e = *pe;
			*pe = (struct entry){.pin = PIN_INIT};
			continue;
		}
		nh = realloc(e->holders, (e->nholders + pe->nholders) * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		memcpy(nh + e->nholders, pe->holders, pe->nholders * sizeof(*nh));
		e->holders = nh;
		e->nholders += pe->nholders;
		free(pe->holders);
		pe->holders = NULL;
		pe->nholders = 0;
		if (!e->reopen_err || (pe->pin.fd >= 0 && e->pin.fd < 0))
			e->reopen_err = pe->reopen_err;
		if ((e->pin.fd < 0 && pe->pin.fd >= 0) || (!e->size_known && pe->size_known)) {
			if (e->pin.fd < 0 && pe->pin.fd >= 0) {
				e->pin = pe->pin;
				pe->pin = (struct pin)PIN_INIT;
			}
			e->size = pe->size;
			e->allocated = pe->allocated;
			e->mtime = pe->mtime;
			e->size_known = pe->size_known;
		}
		if ((!e->path && pe->path) ||
		    (e->path_from_pin && pe->path && !pe->path_from_pin) ||
		    (e->path_other_ns && !pe->path_other_ns && !pe->path_from_pin)) {
			char *t = e->path;
			size_t tl = e->path_len;
			e->path = pe->path;
			e->path_len = pe->path_len;
			e->path_other_ns = pe->path_other_ns;
			e->path_from_pin = pe->path_from_pin;
			pe->path = t;
			pe->path_len = tl;
		}
	}
	return 0;
}

static int workers_count(size_t npids)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (npids < 8 * CHUNK || cpus <= 1)
		return 1;
	return cpus > MAX_WORKERS ? MAX_WORKERS : (int)cpus;
}

static void scanner_done(struct scanner *s)
{
	procs_table_free(&s->rows); /* a worker that stopped early */
	s->rowcap = 0;
	free(s->slots);
	free(s->buf);
	free(s->dents);
	free(s->live);
	free(s->ids);
	free(s->trust);
	s->trust = NULL;
	s->ids = NULL;
	s->live = NULL;
	s->slots = NULL;
	s->buf = NULL;
	s->dents = NULL;
}

size_t scan_reserve(void)
{
	char buf[128];
	uint64_t tasks = 0;
	int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (parse_loadavg_tasks(buf, &tasks) < 0 || tasks > (1u << 22))
		return 0; /* pid_max's ceiling: anything above is not a count */
	return pin_reserve(PIN_ROOM((size_t)tasks));
}

int scan_run(const struct scan_opts *o, struct scan_result *r)
{
	struct scanner main_s = {.o = o, .r = r, .self = getpid()};
	struct scanner *ws = NULL;
	struct scan_result *parts = NULL;
	pthread_t tids[MAX_WORKERS];
	struct queue q = {.procfd = -1};
	struct bpfscan_rec *recs = NULL;
	char *names = NULL;
	struct bpf_task *tasks = NULL;
	struct stat st;
	size_t keep = 0;
	int err, nw = 0, started = 0;
	bool listed = false;

	memset(r, 0, sizeof(*r));
	r->root = geteuid() == 0;
	r->method = SCAN_PROC;
	main_s.mnt = mounts_open();
	if (!main_s.mnt)
		return -errno;
	if (stat("/proc/self/ns/mnt", &st) == 0)
		main_s.own_ns = st.st_ino;
	main_s.q = &q;
	q.procfd = open(o->proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = q.procfd < 0 ? -errno : 1;
	/* Either path applies a filter before anything is opened or pinned: the walk
	 * to each process and fd, the BPF path to the kernel's records. */
	if (err == 1 && o->method != SCAN_PROC) {
		/* The kernel names only tasks that hold deleted files, which what starts
		 * now does not (the targets' probes): it may start at once, beside the
		 * loading. (Should loading fail and the walk follow, a probe may be
		 * counted among the processes.) */
		if (o->listed && bpfscan_usable() == 0) {
			o->listed(o->listed_arg);
			listed = true;
		}
		err = bpf_candidates(o, &q, &main_s, r, &recs, &names, &tasks);
	}
	if (err == 1)
		err = list_pids(&q, o, main_s.self);
	if (err == 0 && o->listed && !listed)
		o->listed(o->listed_arg);
	if (err == 0) {
		size_t room = pin_reserve(PIN_ROOM(q.n));
		atomic_store(&q.pins_left, room > PIN_FDS_KEPT ? (long)(room - PIN_FDS_KEPT) : 0);
		nw = workers_count(q.n);
		ws = calloc((size_t)nw, sizeof(*ws));
		parts = calloc((size_t)nw, sizeof(*parts));
		if (!ws || !parts)
			err = -ENOMEM;
	}
	for (int i = 0; i < nw && err == 0; i++) {
		ws[i] = (struct scanner){.o = o,
		                         .r = &parts[i],
		                         .mnt = main_s.mnt,
		                         .own_ns = main_s.own_ns,
		                         .self = main_s.self,
		                         .q = &q};
		if (nw > 1 && pthread_create(&tids[i], NULL, worker, &ws[i]) != 0)
			break; /* the ones started do all the work */
		started++;
	}
	if (nw == 1 && started == 1)
		worker(&ws[0]);
	/* Loop devices need no /proc walk: look at them while the workers run. */
	if (err == 0)
		err = scan_loops(&main_s);
	for (int i = 0; i < started; i++) {
		if (nw > 1)
			pthread_join(tids[i], NULL);
		if (err == 0)
			err = ws[i].err;
		if (err == 0)
			err = merge(&main_s, &parts[i]);
		scanner_done(&ws[i]);
		scan_free(&parts[i]);
	}
	if (err == 0 && started == 0 && q.n > 0)
		err = -EAGAIN; /* no thread could be started at all */
	if (err == 0)
		err = procs_name_users(r);
	/* Loop holders have no process; the workers described all the others. */
	for (size_t i = 0; i < r->n && err == 0; i++) {
		struct entry *e = &r->v[i];
		drop_others_pins(e);
		drop_thread_copies(e);
		err = place(&main_s, e);
		e->kind = classify(e);
		if (e->pin.fd < 0)
			r->st.unpinned++;
		else if (e->pin.kind == PIN_GETFD)
			r->st.dup_pinned++;
	}
	/* Leave memfd and shm out unless asked: they are rarely what an admin lost. */
	for (size_t i = 0; i < r->n; i++) {
		struct entry *e = &r->v[i];
		if (!o->all && (e->kind == KIND_MEMFD || e->kind == KIND_SHM)) {
			entry_free(e);
			r->st.hidden++;
			continue;
		}
		r->v[keep++] = *e;
	}
	r->n = keep;
	if (r->n > 1) /* v may be NULL when nothing was found */
		qsort(r->v, r->n, sizeof(*r->v), by_size);
	mounts_close(main_s.mnt);
	scanner_done(&main_s);
	free(ws);
	free(parts);
	free(q.pids);
	free(tasks);
	free(recs);
	free(names);
	free(q.cmds);
	if (q.procfd >= 0)
		close(q.procfd);
	if (err < 0) {
		scan_free(r);
		return err;
	}
	return 0;
}

/* Entries [FROM, TO) of a result being freed, in a thread of their own. */
struct free_part {
	struct entry *v;
	size_t from, to;
};

static void *free_part_main(void *arg)
{
	struct free_part *p = arg;

	for (size_t i = p->from; i < p->to; i++)
		entry_free(&p->v[i]);
	return NULL;
}

/* From this many entries on, the later half is freed by a second thread: each
 * entry's pin costs a close, and the kernel's release of the file behind it is
 * most of a microsecond (13,500 pins: 12 ms on one core, the other idle). */
#define FREE_SPLIT 4096

void scan_free(struct scan_result *r)
{
	struct free_part part = {.v = r->v, .from = r->n / 2, .to = r->n};
	pthread_t tid;
	bool split = r->n >= FREE_SPLIT && pthread_create(&tid, NULL, free_part_main, &part) == 0;

	for (size_t i = 0; i < (split ? part.from : r->n); i++)
		entry_free(&r->v[i]);
	if (split)
		pthread_join(tid, NULL);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

const char *scan_method_name(enum scan_method m)
{
	static const char *const names[] = {"auto", "proc", "bpf"};
	return names[m];
}

const char *scan_kind_name(enum scan_kind k)
{
	static const char *const names[] = {"file", "tmpfile", "memfd", "shm"};
	return names[k];
}

char *scan_entry_id(const struct entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u:%llu", major(e->dev), minor(e->dev), (unsigned long long)e->ino);
	return buf;
}

/* "A:B:C" with decimal numbers: three fields, or two ("PID:FD"). */
static int split_numbers(const char *s, unsigned long long *v, int max)
{
	int n = 0;

	while (n < max) {
		char *end;
		if (*s < '0' || *s > '9')
			return -1;
		errno = 0;
		v[n++] = strtoull(s, &end, 10);
		if (errno)
			return -1;
		if (*end == '\0')
			return n;
		if (*end != ':')
			return -1;
		s = end + 1;
	}
	return -1;
}

long scan_select(const struct scan_result *r, const char *sel)
{
	unsigned long long v[3];
	const char *loop = NULL;
	long hit = -ENOENT;
	int n = split_numbers(sel, v, 3);

	if (strncmp(sel, "/dev/loop", 9) == 0)
		loop = sel;
	else if (strncmp(sel, "loop", 4) == 0)
		loop = sel;
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		if (n == 3 && major(e->dev) == v[0] && minor(e->dev) == v[1] && e->ino == v[2])
			return (long)i;
		for (size_t k = 0; k < e->nholders; k++) {
			const struct holder *h = &e->holders[k];
			if (n == 2 && h->type == HOLDER_FD && (unsigned long long)h->pid == v[0] &&
			    (unsigned long long)h->fd == v[1])
				return (long)i;
			if (loop && h->type == HOLDER_LOOP &&
			    strcmp(h->loop_dev + (loop[0] == '/' ? 0 : 5), loop) == 0)
				return (long)i;
		}
	}
	if (n > 0 || loop)
		return -ENOENT;
	for (size_t i = 0; i < r->n; i++) {
		const struct entry *e = &r->v[i];
		if (e->path && e->path_len == strlen(sel) &&
		    memcmp(e->path, sel, e->path_len) == 0) {
			if (hit >= 0)
				return -ENOTUNIQ;
			hit = (long)i;
		}
	}
	return hit;
}

bool scan_entry_writable(const struct entry *e)
{
	for (size_t i = 0; i < e->nholders; i++) {
		const struct holder *h = &e->holders[i];
		if ((h->type == HOLDER_FD && (h->access & PARSE_ACC_W)) ||
		    (h->type == HOLDER_MMAP && h->map_write) ||
		    (h->type == HOLDER_LOOP && !h->readonly))
			return true;
	}
	return false;
}
