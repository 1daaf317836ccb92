/* bpfscan: load, run and read the deleted-file iterators. See bpfscan.h. */
#include "find/bpfscan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#if RT_BPF

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "find/bpf/deleted.skel.h"
#include "find/bpf/fds.lskel.h"
#include "find/bpf/maps.lskel.h"

/* The initial pid namespace's inode number (PROC_PID_INIT_INO, fixed by the
 * kernel): the iterators give pids as this namespace sees them. */
#define PID_NS_INIT_INO 0xEFFFFFFCu

/* libbpf prints to stderr by default; below the faces nothing prints. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int in_initial_pidns(void)
{
	char link[64], want[64];
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);

	if (n < 0)
		return 0;
	link[n] = '\0';
	snprintf(want, sizeof(want), "pid:[%u]", PID_NS_INIT_INO);
	return strcmp(link, want) == 0;
}

/* Append everything the iterator program PROG_FD writes to *BUF (*LEN bytes, room
 * for *CAP). */
static int run_iter(int prog_fd, char **buf, size_t *len, size_t *cap)
{
	int link = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, NULL);
	int fd, r = 0;

	if (link < 0)
		return -errno;
	fd = bpf_iter_create(link);
	if (fd < 0) {
		r = -errno;
		close(link);
		return r;
	}
	for (;;) {
		ssize_t got;
		if (*cap - *len < 65536) {
			size_t nc = *cap ? *cap * 2 : 1 << 20;
			char *nb = realloc(*buf, nc);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			*buf = nb;
			*cap = nc;
		}
		got = read(fd, *buf + *len, *cap - *len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			/* EAGAIN: the kernel restarts a walk it could not finish */
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		*len += (size_t)got;
	}
	close(fd);
	close(link);
	return r;
}

/* One iterator's output, read in a thread of its own. */
struct iter_out {
	int prog_fd;
	char *buf;
	size_t len, cap;
	int err;
};

static void *iter_main(void *arg)
{
	struct iter_out *o = arg;

	o->err = run_iter(o->prog_fd, &o->buf, &o->len, &o->cap);
	return NULL;
}

/* Both iterators at once: the kernel walks every task's files in one thread and
 * every task's mappings in another (each read runs its walk), so on two cores the
 * walk costs the longer of the two, not their sum. The fds come first in BUF. */
/* FDS's output, then MAPS's, into *BUF (*LEN bytes); both are consumed. Returns 0,
 * or the first error of the two. */
static int join_outputs(struct iter_out *fds_out, struct iter_out *maps_out, char **buf,
                        size_t *len)
{
	struct iter_out fds = *fds_out, maps = *maps_out;

	if (fds.err == 0 && maps.err == 0 && fds.cap - fds.len < maps.len) {
		char *nb = realloc(fds.buf, fds.len + maps.len);
		if (nb) {
			fds.buf = nb;
			fds.cap = fds.len + maps.len;
		} else {
			fds.err = -ENOMEM;
		}
	}
	if (fds.err == 0 && maps.err == 0 && maps.len)
		memcpy(fds.buf + fds.len, maps.buf, maps.len);
	free(maps.buf);
	if (fds.err < 0 || maps.err < 0) {
		free(fds.buf);
		return fds.err < 0 ? fds.err : maps.err;
	}
	*buf = fds.buf;
	*len = fds.len + maps.len;
	return 0;
}

/* FN(A) here and FN(B) in a thread of its own, both done on return (one after the
 * other when no thread can be had). */
static void at_once(void *(*fn)(void *), void *a, void *b)
{
	pthread_t t;
	bool threaded = pthread_create(&t, NULL, fn, b) == 0;

	fn(a);
	if (threaded)
		pthread_join(t, NULL);
	else
		fn(b);
}

static int run_both(int fds_fd, int maps_fd, char **buf, size_t *len)
{
	struct iter_out fds = {.prog_fd = fds_fd};
	struct iter_out maps = {.prog_fd = maps_fd};

	at_once(iter_main, &fds, &maps);
	return join_outputs(&fds, &maps, buf, len);
}

/* Load and run the programs through libbpf's skeleton: libbpf relocates them
 * (CO-RE) after parsing the kernel's BTF itself, which costs most of the load
 * (about 13 ms here), but works on every kernel with BTF and iter/task_vma; before
 * 5.18 with the fd iterator that reads no command lines. */
static int run_skel(char **buf, size_t *len)
{
	struct deleted_bpf *skel;
	bool cmd = true;
	int r;

	libbpf_set_print(quiet);
	for (;;) {
		skel = deleted_bpf__open();
		if (!skel)
			return errno ? -errno : -ENOMEM;
		/* the fd iterator that also reads command lines needs 5.18: before, the
		 * one that does not (and /proc gives the command lines) */
		if (cmd)
			bpf_program__set_autoload(skel->progs.deleted_fds, false);
		else
			bpf_program__set_autoload(skel->progs.deleted_fds_cmd, false);
		r = deleted_bpf__load(skel);
		if (r == 0 || !cmd || r == -EPERM)
			break;
		deleted_bpf__destroy(skel);
		cmd = false;
	}
	if (r == 0)
		r = run_both(
		    bpf_program__fd(cmd ? skel->progs.deleted_fds_cmd : skel->progs.deleted_fds),
		    bpf_program__fd(skel->progs.deleted_maps), buf, len);
	deleted_bpf__destroy(skel);
	return r;
}

/* One light skeleton, loaded and its iterator run in a thread of its own: the
 * fd iterator's (MAPS false) or the mapping iterator's. LOAD is what loading gave. */
struct lpart {
	bool maps;
	int load;
	struct iter_out out;
};

static void *lpart_main(void *arg)
{
	struct lpart *p = arg;

	if (p->maps) {
		struct maps_lbpf *skel = maps_lbpf__open();
		p->load = skel ? maps_lbpf__load(skel) : -ENOMEM;
		if (p->load == 0) {
			p->out.prog_fd = skel->progs.deleted_maps.prog_fd;
			iter_main(&p->out);
		}
		maps_lbpf__destroy(skel);
	} else {
		struct fds_lbpf *skel = fds_lbpf__open();
		p->load = skel ? fds_lbpf__load(skel) : -ENOMEM;
		if (p->load == 0) {
			p->out.prog_fd = skel->progs.deleted_fds_cmd.prog_fd;
			iter_main(&p->out);
		}
		fds_lbpf__destroy(skel);
	}
	return NULL;
}

/* The programs for 5.18 and later through two light skeletons: a loader program
 * relocates each inside the kernel with the BTF the kernel has parsed already, so
 * nothing is parsed here; each is loaded and run in a thread of its own, so the
 * two loads (the kernel verifying and relocating, 6 ms for both here) overlap as
 * the two walks do. Returns 1 when one could not be loaded for another reason
 * than privileges (the caller tries run_skel), else what running the iterators
 * gave. */
static int run_lskel(char **buf, size_t *len)
{
	struct lpart fds = {.maps = false}, maps = {.maps = true};

	at_once(lpart_main, &fds, &maps);
	if (fds.load != 0 || maps.load != 0) {
		free(fds.out.buf);
		free(maps.out.buf);
		/* no privileges: the other way needs the same ones */
		return fds.load == -EPERM || maps.load == -EPERM ? -EPERM : 1;
	}
	return join_outputs(&fds.out, &maps.out, buf, len);
}

/* Where the record after the one at OFF in BUF (LEN bytes) starts, past its
 * name; 0 when the record is cut short (never, unless the kernel and this
 * reader disagree on the layout). */
static size_t next_record(const char *buf, size_t len, size_t off)
{
	const struct bpfscan_rec *c = (const struct bpfscan_rec *)(buf + off);
	size_t pad;

	if (len - off < sizeof(*c) || c->path_len >= BPFREC_PATH_MAX)
		return 0;
	pad = BPFREC_PADDED((size_t)c->path_len);
	return len - off - sizeof(*c) < pad ? 0 : off + sizeof(*c) + pad;
}

/* The records of BUF (LEN bytes, each followed by its name) into an array of
 * their own, each naming where its name lies in BUF. */
static int split(const char *buf, size_t len, struct bpfscan_rec **v, size_t *n)
{
	size_t count = 0, off = 0;

	while (off < len) {
		off = next_record(buf, len, off);
		if (off == 0)
			return -EPROTO;
		count++;
	}
	*v = malloc((count ? count : 1) * sizeof(**v));
	if (!*v)
		return -ENOMEM;
	for (off = 0; off < len; off = next_record(buf, len, off)) {
		struct bpfscan_rec *c = &(*v)[(*n)++];
		memcpy(c, buf + off, sizeof(*c));
		c->path_off = off + sizeof(*c);
	}
	return 0;
}

/* What the kernel must offer before anything is loaded: its BTF, and iterators
 * that name pids as we see them (the initial pid namespace). 0, -ENOSYS or -EXDEV. */
static int kernel_ready(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return -ENOSYS;
	return in_initial_pidns() ? 0 : -EXDEV;
}

int bpfscan_collect(struct bpfscan_rec **v, size_t *n, char **names)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	*v = NULL;
	*n = 0;
	*names = NULL;
	if ((r = kernel_ready()) < 0)
		return r;
	r = run_lskel(&buf, &len);
	if (r == 1)
		r = run_skel(&buf, &len);
	if (r == 0)
		r = split(buf, len, v, n);
	if (r < 0) {
		free(buf);
		free(*v);
		*v = NULL;
		*n = 0;
		return r;
	}
	*names = buf;
	return 0;
}

int bpfscan_built(void)
{
	return 1;
}

int bpfscan_usable(void)
{
	return geteuid() != 0 ? -EPERM : kernel_ready();
}

#else

int bpfscan_collect(struct bpfscan_rec **v, size_t *n, char **names)
{
	*v = NULL;
	*n = 0;
	*names = NULL;
	return -ENOSYS;
}

int bpfscan_built(void)
{
	return 0;
}

int bpfscan_usable(void)
{
	return -ENOSYS;
}

#endif
