/*
 * holder: make real held deleted files for the live tests (like lsfd's test_mkfds).
 *
 *   holder [-c COUNT] [-D] SPEC...
 *
 *   r:PATH     open O_RDONLY, unlink, keep the fd
 *   w:PATH     open O_WRONLY, unlink, keep the fd
 *   rw:PATH    open O_RDWR, unlink, keep the fd
 *   a:PATH     open O_WRONLY|O_APPEND, unlink, keep the fd
 *   m:PATH     open O_RDONLY, mmap it all MAP_SHARED PROT_READ, close, unlink
 *   mw:PATH    the same with O_RDWR and PROT_READ|PROT_WRITE
 *   t:DIR:SRC  open(DIR, O_TMPFILE|O_RDWR), copy SRC into it, keep the fd
 *   k:PATH     open O_RDONLY and keep the name (a live file, the control case)
 *   aw:PATH:RATE  open O_WRONLY|O_APPEND, unlink; after "ready" the parent appends
 *              RATE bytes/s of random bytes, in 4 KiB chunks spread evenly in time
 *   rr:PATH:RATE  open O_RDWR, unlink; after "ready" the parent writes random 4 KiB
 *              blocks at random 4 KiB-aligned offsets inside the size the file had
 *              when opened, RATE bytes/s in all
 *   memfd:NAME:SIZE  memfd_create(NAME) with SIZE random bytes, keep the fd
 *   shm:NAME:SIZE    shm_open(/NAME) with SIZE random bytes, shm_unlink, keep the fd
 *   sysv:SIZE  a System V segment of SIZE random bytes, attached, then IPC_RMID
 *   anon:SIZE  a shared anonymous mapping of SIZE random bytes (MAP_SHARED|MAP_ANONYMOUS)
 *   -c COUNT   COUNT processes in total hold everything (COUNT-1 children)
 *   -D         the parent also dup()s every kept fd
 *   -q         aw/rr writers go quiet for good once the parent was stopped and
 *              continued (a freeze: SIGSTOP, then SIGCONT), and print "quiet": what
 *              the file holds afterwards is what it held while frozen
 *
 * Prints "pid", "fd", "dup", "map" lines and "ready", then waits (or writes, for
 * aw/rr) until killed. RATE is bytes per second, a plain integer; PATH may hold ':'.
 * SIGTERM (or SIGINT, SIGHUP) ends the parent, which kills its children first;
 * the children also die with the parent through PR_SET_PDEATHSIG.
 * Errors exit 2 before "ready". No fd is O_CLOEXEC: children inherit them all.
 */
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096

struct spec {
	const char *arg; /* the SPEC as given, for messages */
	int fd;          /* kept fd, or -1 */
	int dup;         /* the parent's second fd (-D), or -1 */
	void *map;       /* m/mw mapping, or NULL */
	size_t maplen;   /* its length rounded up to pages, as /proc shows it */
	char writer;     /* 'a' (aw) or 'r' (rr): the parent writes to FD; else 0 */
	double period;   /* seconds between two chunks of a writer */
	uint64_t blocks; /* rr: whole chunks inside the size at open (at least 1) */
	uint64_t done;   /* chunks written so far */
};

static volatile sig_atomic_t stop;
static volatile sig_atomic_t continued; /* -q: SIGCONT arrived */
static int quiet_after_cont;            /* -q */

static void on_cont(int sig)
{
	(void)sig;
	continued = 1;
}

static int gone_quiet(void)
{
	return quiet_after_cont && continued;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const struct spec *s, const char *what, int err)
{
	fprintf(stderr, "holder: %s: %s: %s\n", s->arg, what, strerror(err));
	exit(2);
}

static void open_unlink(struct spec *s, const char *path, int flags, int keep_name)
{
	s->fd = open(path, flags);
	if (s->fd < 0)
		die(s, "open", errno);
	if (!keep_name && unlink(path) < 0)
		die(s, "unlink", errno);
}

static void map_unlink(struct spec *s, const char *path, int writable)
{
	struct stat st;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open(path, writable ? O_RDWR : O_RDONLY);

	if (fd < 0)
		die(s, "open", errno);
	if (fstat(fd, &st) < 0)
		die(s, "fstat", errno);
	if (st.st_size == 0) {
		fprintf(stderr, "holder: %s: cannot map an empty file\n", s->arg);
		exit(2);
	}
	s->map = mmap(NULL, (size_t)st.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
	              MAP_SHARED, fd, 0);
	if (s->map == MAP_FAILED)
		die(s, "mmap", errno);
	s->maplen = ((size_t)st.st_size + (size_t)page - 1) / (size_t)page * (size_t)page;
	close(fd);
	if (unlink(path) < 0)
		die(s, "unlink", errno);
}

/* t:DIR:SRC — DIR ends at the first ':' after the type, SRC may hold ':' itself. */
static void tmpfile_copy(struct spec *s, const char *rest)
{
	const char *colon = strchr(rest, ':');
	char dir[PATH_MAX], buf[65536];
	ssize_t n;
	int src;

	if (!colon || (size_t)(colon - rest) >= sizeof(dir)) {
		fprintf(stderr, "holder: %s: bad SPEC (want t:DIR:SRC)\n", s->arg);
		exit(2);
	}
	memcpy(dir, rest, (size_t)(colon - rest));
	dir[colon - rest] = '\0';
	s->fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	if (s->fd < 0)
		die(s, "open O_TMPFILE", errno);
	src = open(colon + 1, O_RDONLY);
	if (src < 0)
		die(s, "open SRC", errno);
	while ((n = read(src, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(s, "read SRC", errno);
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(s->fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				die(s, "write", errno);
			if (w > 0)
				off += w;
		}
	}
	close(src);
}

/* SIZE bytes of random data (from /dev/urandom) into P. */
static void fill_random(struct spec *s, void *p, size_t size)
{
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd < 0)
		die(s, "open /dev/urandom", errno);
	for (size_t got = 0; got < size;) {
		ssize_t n = read(fd, (char *)p + got, size - got);
		if (n <= 0)
			die(s, "read /dev/urandom", n < 0 ? errno : EIO);
		got += (size_t)n;
	}
	close(fd);
}

static size_t parse_size(struct spec *s, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || end == v || *end || n == 0 || n > (1ull << 32)) {
		fprintf(stderr, "holder: %s: bad SIZE (bytes)\n", s->arg);
		exit(2);
	}
	return (size_t)n;
}

/* memfd:NAME:SIZE and shm:NAME:SIZE: anonymous memory with a file face, filled
 * through a temporary mapping, held by its fd alone. */
static void memory_file(struct spec *s, const char *rest, int shm)
{
	const char *colon = strrchr(rest, ':');
	char name[256];
	size_t size;
	void *p;

	if (!colon || colon == rest || (size_t)(colon - rest) + 2 >= sizeof(name)) {
		fprintf(stderr, "holder: %s: bad SPEC (want TYPE:NAME:SIZE)\n", s->arg);
		exit(2);
	}
	size = parse_size(s, colon + 1);
	snprintf(name, sizeof(name), "%s%.*s", shm ? "/" : "", (int)(colon - rest), rest);
	s->fd = shm ? shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600) : memfd_create(name, 0);
	if (s->fd < 0)
		die(s, shm ? "shm_open" : "memfd_create", errno);
	if (ftruncate(s->fd, (off_t)size) < 0)
		die(s, "ftruncate", errno);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED)
		die(s, "mmap", errno);
	fill_random(s, p, size);
	munmap(p, size);
	if (shm && shm_unlink(name) < 0)
		die(s, "shm_unlink", errno);
}

/* sysv:SIZE and anon:SIZE: shared memory that only a mapping holds. */
static void shared_mapping(struct spec *s, const char *v, int sysv)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = parse_size(s, v);

	if (sysv) {
		int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
		if (id < 0)
			die(s, "shmget", errno);
		s->map = shmat(id, NULL, 0);
		if (s->map == (void *)-1)
			die(s, "shmat", errno);
		/* Gone from ipcs at once; lives while attached, like a deleted file. */
		if (shmctl(id, IPC_RMID, NULL) < 0)
			die(s, "shmctl IPC_RMID", errno);
	} else {
		s->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (s->map == MAP_FAILED)
			die(s, "mmap", errno);
	}
	fill_random(s, s->map, size);
	s->maplen = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
}

/* aw:PATH:RATE, rr:PATH:RATE — RATE follows the last ':', so PATH may hold ':'. */
static void writer_set_up(struct spec *s, const char *rest)
{
	const char *colon = strrchr(rest, ':');
	char path[PATH_MAX], *end;
	unsigned long long rate;
	struct stat st;

	if (!colon || colon == rest || (size_t)(colon - rest) >= sizeof(path)) {
		fprintf(stderr, "holder: %s: bad SPEC (want %.2s:PATH:RATE)\n", s->arg, s->arg);
		exit(2);
	}
	errno = 0;
	rate = strtoull(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || rate == 0 || colon[1] == '-') {
		fprintf(stderr, "holder: %s: bad RATE (bytes per second)\n", s->arg);
		exit(2);
	}
	memcpy(path, rest, (size_t)(colon - rest));
	path[colon - rest] = '\0';
	s->writer = s->arg[0];
	open_unlink(s, path, s->writer == 'a' ? O_WRONLY | O_APPEND : O_RDWR, 0);
	if (fstat(s->fd, &st) < 0)
		die(s, "fstat", errno);
	s->blocks = (uint64_t)st.st_size / CHUNK;
	if (s->blocks == 0)
		s->blocks = 1;
	s->period = (double)CHUNK / (double)rate;
}

static void set_up(struct spec *s)
{
	const char *colon = strchr(s->arg, ':');
	size_t tlen = colon ? (size_t)(colon - s->arg) : 0;
	const char *path = colon ? colon + 1 : NULL;

	s->fd = s->dup = -1;
	if (!colon || !*path) {
		fprintf(stderr, "holder: %s: bad SPEC\n", s->arg);
		exit(2);
	}
	if (tlen == 1 && s->arg[0] == 'r')
		open_unlink(s, path, O_RDONLY, 0);
	else if (tlen == 1 && s->arg[0] == 'w')
		open_unlink(s, path, O_WRONLY, 0);
	else if (tlen == 2 && !strncmp(s->arg, "rw", 2))
		open_unlink(s, path, O_RDWR, 0);
	else if (tlen == 1 && s->arg[0] == 'a')
		open_unlink(s, path, O_WRONLY | O_APPEND, 0);
	else if (tlen == 1 && s->arg[0] == 'm')
		map_unlink(s, path, 0);
	else if (tlen == 2 && !strncmp(s->arg, "mw", 2))
		map_unlink(s, path, 1);
	else if (tlen == 1 && s->arg[0] == 't')
		tmpfile_copy(s, path);
	else if (tlen == 1 && s->arg[0] == 'k')
		open_unlink(s, path, O_RDONLY, 1);
	else if (tlen == 2 && (!strncmp(s->arg, "aw", 2) || !strncmp(s->arg, "rr", 2)))
		writer_set_up(s, path);
	else if (tlen == 5 && !strncmp(s->arg, "memfd", 5))
		memory_file(s, path, 0);
	else if (tlen == 3 && !strncmp(s->arg, "shm", 3))
		memory_file(s, path, 1);
	else if (tlen == 4 && !strncmp(s->arg, "sysv", 4))
		shared_mapping(s, path, 1);
	else if (tlen == 4 && !strncmp(s->arg, "anon", 4))
		shared_mapping(s, path, 0);
	else {
		fprintf(stderr, "holder: %s: bad SPEC (unknown type)\n", s->arg);
		exit(2);
	}
}

/* A child only holds what it inherited; it must never outlive the parent. */
static void child(pid_t parent, int ready_fd, const sigset_t *unblocked)
{
	int null = open("/dev/null", O_WRONLY);

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, unblocked, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	/* Keep the parent's stdout (often a pipe the test reads) to the parent alone. */
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	close(ready_fd); /* the parent reads EOF once every child got here */
	for (;;)
		pause();
}

static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* One chunk of fresh random bytes for S: appended, or over a random whole block. */
static void write_chunk(struct spec *s, uint64_t *rng)
{
	uint64_t buf[CHUNK / sizeof(uint64_t)];
	ssize_t w;

	for (size_t i = 0; i < ARRAY_SIZE(buf); i++)
		buf[i] = next_random(rng);
	if (s->writer == 'a')
		w = write(s->fd, buf, CHUNK);
	else
		w = pwrite(s->fd, buf, CHUNK, (off_t)(next_random(rng) % s->blocks * CHUNK));
	if (w < 0 && errno != EINTR)
		die(s, "write", errno);
}

/* Serve every writer spec from one timer: chunk number N of a spec is due N periods
 * after the start, so the average rate stays exact even when a wake-up is late. */
static void write_until_stopped(struct spec *specs, int nspec, const sigset_t *unblocked)
{
	struct timespec t0, now, until;
	uint64_t rng = (uint64_t)getpid() << 32;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng ^= (uint64_t)t0.tv_nsec;
	/* A signal between the check of stop and the sleep only delays the exit by one
	 * chunk period: the sleep is short and the flag is checked after it. */
	sigprocmask(SIG_SETMASK, unblocked, NULL);
	while (!stop && !gone_quiet()) {
		double next = -1, el;
		for (int i = 0; i < nspec; i++) {
			double due = (double)specs[i].done * specs[i].period;
			if (specs[i].writer && (next < 0 || due < next))
				next = due;
		}
		until.tv_sec = t0.tv_sec + (time_t)next;
		until.tv_nsec = t0.tv_nsec + (long)((next - (double)(time_t)next) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) != 0)
			continue; /* EINTR: look at stop */
		clock_gettime(CLOCK_MONOTONIC, &now);
		el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		for (int i = 0; i < nspec; i++) {
			/* -q: SIGCONT's handler ran before this line could, after a stop */
			while (specs[i].writer && !gone_quiet() &&
			       (double)specs[i].done * specs[i].period <= el) {
				write_chunk(&specs[i], &rng);
				specs[i].done++;
			}
		}
	}
}

static void kill_all(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, unblocked;
	struct spec *specs;
	pid_t *kids, parent = getpid();
	int count = 1, dup_too = 0, nspec, opt, ready[2];
	char c;

	while ((opt = getopt(argc, argv, "+c:Dq")) != -1) {
		if (opt == 'c')
			count = atoi(optarg);
		else if (opt == 'D')
			dup_too = 1;
		else if (opt == 'q')
			quiet_after_cont = 1;
		else
			count = 0;
		if (count < 1) {
			fprintf(stderr, "usage: holder [-c COUNT] [-D] [-q] SPEC...\n");
			return 2;
		}
	}
	nspec = argc - optind;
	specs = calloc((size_t)nspec + 1, sizeof(*specs));
	kids = calloc((size_t)count, sizeof(*kids));
	if (!specs || !kids) {
		fprintf(stderr, "holder: out of memory\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Blocked until sigsuspend(), so a SIGTERM cannot slip in between the check of
	 * stop and the wait; unblocked in the wait even if our caller had them blocked. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	sigdelset(&unblocked, SIGHUP);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (quiet_after_cont) {
		/* no SA_RESTART: the writer's sleep ends at once */
		struct sigaction sc = {.sa_handler = on_cont};
		sigaction(SIGCONT, &sc, NULL);
	}

	for (int i = 0; i < nspec; i++) {
		specs[i].arg = argv[optind + i];
		set_up(&specs[i]);
	}

	if (pipe(ready) < 0) {
		perror("holder: pipe");
		return 2;
	}
	for (int i = 1; i < count; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("holder: fork");
			kill_all(kids, i);
			return 2;
		}
		if (kids[i] == 0) {
			close(ready[0]);
			child(parent, ready[1], &unblocked);
		}
	}
	close(ready[1]);
	while (read(ready[0], &c, 1) > 0)
		; /* EOF: every child has set its death signal (or died) */
	close(ready[0]);

	if (dup_too) {
		for (int i = 0; i < nspec; i++) {
			if (specs[i].fd >= 0 && (specs[i].dup = dup(specs[i].fd)) < 0) {
				kill_all(kids, count);
				die(&specs[i], "dup", errno);
			}
		}
	}

	printf("pid %d\n", (int)parent);
	for (int i = 1; i < count; i++)
		printf("pid %d\n", (int)kids[i]);
	for (int i = 0; i < nspec; i++)
		if (specs[i].fd >= 0)
			printf("fd %d %d\n", i, specs[i].fd);
	for (int i = 0; i < nspec; i++)
		if (specs[i].dup >= 0)
			printf("dup %d %d\n", i, specs[i].dup);
	/* %lx as in the names under /proc/PID/map_files; /proc/PID/maps pads to 8
	 * digits, which mmap addresses on 64-bit systems always have anyway. */
	for (int i = 0; i < nspec; i++)
		if (specs[i].map)
			printf("map %d %lx-%lx\n", i, (unsigned long)specs[i].map,
			       (unsigned long)specs[i].map + specs[i].maplen);
	printf("ready\n");

	for (int i = 0; i < nspec; i++) {
		if (specs[i].writer) {
			write_until_stopped(specs, nspec, &unblocked);
			if (gone_quiet() && !stop)
				printf("quiet\n");
			break;
		}
	}
	while (!stop)
		sigsuspend(&unblocked);
	kill_all(kids, count);
	free(kids);
	free(specs);
	return 0;
}
