/* testlib: the plumbing the check suites share (see testlib.h for the why of the
 * undo file). */
#include "testlib.h"
#include "find/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CMD_LEN  2048 /* a shell command or an undo line */
#define MAX_KILL 32

char tl_dir[64];
static const char *g_skip_all; /* tl_skip_all() */

static char g_name[32];        /* the program's name without "test_" */
static char g_undo_path[128];  /* /tmp/rt-undo.NAME.PID, PID the runner's */
static pid_t g_runner;         /* the process that runs the suite (tl_run) */
static pid_t g_owner;          /* the process of the test now (tl_setup) */
static int g_nundo;            /* lines this test pushed: the next handle */
static pid_t g_kill[MAX_KILL]; /* what teardown kills */
static int g_nkill;

/* The names hang on the runner's pid, so the tests it forks share its undo file. */
static void init_names(void)
{
	const char *p = program_invocation_short_name;

	if (g_undo_path[0])
		return;
	if (strncmp(p, "test_", 5) == 0)
		p += 5;
	snprintf(g_name, sizeof(g_name), "%s", p);
	if (!g_runner)
		g_runner = getpid();
	snprintf(g_undo_path, sizeof(g_undo_path), "/tmp/rt-undo.%s.%d", g_name, (int)g_runner);
}

/* ---- commands ---- */

#define TOO_LONG (-2) /* vrun(): the command did not fit */

/* First line of CMD's output into BUF, without its newline; 0, or -1. */
static int first_line(char *buf, size_t len, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	bool got;

	if (!p)
		return -1;
	got = fgets(buf, (int)len, p) != NULL;
	if (pclose(p) != 0 || !got)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Format FMT and AP into CMD (CMD_LEN bytes) and run it: system()'s status, or with
 * BUF first_line(). TOO_LONG when it does not fit: a cut command must never run (a
 * cut "rm -rf" path removes more than was meant). */
__attribute__((format(printf, 4, 0))) static int vrun(char *cmd, char *buf, size_t len,
                                                      const char *fmt, va_list ap)
{
	int n = vsnprintf(cmd, CMD_LEN, fmt, ap);

	if (n < 0 || n >= CMD_LEN)
		return TOO_LONG;
	return buf ? first_line(buf, len, cmd) : system(cmd);
}

/* vrun() on the calling function's arguments after FMT: the va_list dance once. */
#define RUN_ARGS(rc, cmd, buf, len, fmt)                                                           \
	do {                                                                                       \
		va_list ap_;                                                                       \
		va_start(ap_, fmt);                                                                \
		rc = vrun(cmd, buf, len, fmt, ap_);                                                \
		va_end(ap_);                                                                       \
	} while (0)

/* Fail the test unless CMD ran and said 0 (RC). */
static void ck_ran(int rc, const char *cmd)
{
	ck_assert_msg(rc != TOO_LONG, "command too long: %s", cmd);
	ck_assert_msg(rc == 0, "command failed: %s", cmd);
}

int tl_system(const char *fmt, ...)
{
	char cmd[CMD_LEN];
	int rc;

	RUN_ARGS(rc, cmd, NULL, 0, fmt);
	return rc == TOO_LONG ? -1 : rc;
}

int tl_system_out(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[CMD_LEN];
	int rc;

	RUN_ARGS(rc, cmd, buf, len, fmt);
	return rc == 0 ? 0 : -1;
}

void tl_sh(const char *fmt, ...)
{
	char cmd[CMD_LEN];
	int rc;

	RUN_ARGS(rc, cmd, NULL, 0, fmt);
	ck_ran(rc, cmd);
}

void tl_sh_out(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[CMD_LEN];
	int rc;

	RUN_ARGS(rc, cmd, buf, len, fmt);
	ck_ran(rc, cmd);
}

/* ---- the undo file ---- */

/* The undo file's lines (caller frees each and the array); *N of them. */
static char **undo_read(size_t *n)
{
	char **v = NULL, *line = NULL;
	size_t cap = 0, len = 0;
	FILE *f = fopen(g_undo_path, "r");

	*n = 0;
	if (!f)
		return NULL;
	while (getline(&line, &len, f) > 0) {
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? 2 * cap : 16) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		line[strcspn(line, "\n")] = '\0';
		if (!(v[*n] = strdup(line)))
			break;
		(*n)++;
	}
	free(line);
	fclose(f);
	return v;
}

/* Run the undo file last line first, then empty it. Only the test's own process and
 * the runner: a child a test forked must never take the test's world down. */
static void undo_play(void)
{
	size_t n;
	char **v;

	init_names();
	if (getpid() != g_owner && getpid() != g_runner)
		return;
	v = undo_read(&n);
	for (size_t i = n; i-- > 0;) {
		if (v[i][0])
			(void)!system(v[i]);
		free(v[i]);
	}
	free(v);
	(void)!truncate(g_undo_path, 0);
}

int tl_undo_push(const char *fmt, ...)
{
	char line[CMD_LEN];
	va_list ap;
	int n;
	FILE *f;

	init_names();
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && n < CMD_LEN, "undo line too long: %s", line);
	ck_assert_msg(strchr(line, '\n') == NULL, "an undo line is one line: %s", line);
	f = fopen(g_undo_path, "a");
	ck_assert_msg(f != NULL, "%s: %s", g_undo_path, strerror(errno));
	fprintf(f, "%s\n", line);
	ck_assert_msg(fclose(f) == 0, "%s: %s", g_undo_path, strerror(errno));
	return g_nundo++;
}

void tl_undo_drop(int h)
{
	char tmp[sizeof(g_undo_path) + 8];
	size_t n;
	char **v = undo_read(&n);
	FILE *f;

	ck_assert_msg(h >= 0 && (size_t)h < n, "no undo line %d", h);
	v[h][0] = '\0'; /* an empty line keeps the later handles right */
	/* A new file renamed over the old: a test killed meanwhile leaves one or the
	 * other, never half of it. */
	snprintf(tmp, sizeof(tmp), "%s.new", g_undo_path);
	f = fopen(tmp, "w");
	ck_assert_msg(f != NULL, "%s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s\n", v[i]);
		free(v[i]);
	}
	free(v);
	ck_assert_msg(fclose(f) == 0, "%s: %s", tmp, strerror(errno));
	ck_assert_msg(rename(tmp, g_undo_path) == 0, "%s: %s", tmp, strerror(errno));
}

/* The shell loop of tl_umount(). */
#define UMOUNT_LOOP                                                                                \
	"for i in $(seq 50); do mountpoint -q '%s' || exit 0; "                                    \
	"umount '%s' 2>/dev/null || sleep 0.1; done; "                                             \
	"while mountpoint -q '%s'; do umount -l '%s' || break; done"

int tl_umount(const char *mnt)
{
	return tl_system(UMOUNT_LOOP, mnt, mnt, mnt, mnt);
}

int tl_undo_umount(const char *mnt)
{
	return tl_undo_push(UMOUNT_LOOP, mnt, mnt, mnt, mnt);
}

void tl_kill_later(pid_t pid)
{
	ck_assert_msg(g_nkill < MAX_KILL, "more than %d processes to kill", MAX_KILL);
	g_kill[g_nkill++] = pid;
}

/* PID is gone: teardown must not kill whoever gets the number next. */
static void forget(pid_t pid)
{
	for (int i = 0; i < g_nkill; i++) {
		if (g_kill[i] == pid) {
			memmove(&g_kill[i], &g_kill[i + 1],
			        (size_t)(g_nkill - i - 1) * sizeof(pid));
			g_nkill--;
			return;
		}
	}
}

/* ---- tests that cannot run here ---- */

void tl_skip_test(const char *fn, const char *fmt, ...)
{
	const char *log = getenv("RT_SKIP_LOG");
	char reason[512];
	size_t fl = strlen(fn);
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	reason[strcspn(reason, "\n")] = '\0';
	/* START_TEST(name) makes the function name_fn. */
	if (fl > 3 && strcmp(fn + fl - 3, "_fn") == 0)
		fl -= 3;
	printf("skipped: %.*s: %s\n", (int)fl, fn, reason);
	fflush(stdout);
	if (log && (f = fopen(log, "a"))) {
		fprintf(f, "%.*s: %s\n", (int)fl, fn, reason);
		fclose(f);
	}
	tl_teardown();
	/* Check counts a test whose process ends with status 0 as passed; the skip
	 * log is what tells the runner otherwise. */
	_exit(0);
}

void tl_skip_all(const char *reason)
{
	g_skip_all = reason;
}

bool tl_have_cmd(const char *cmd)
{
	return tl_system("command -v '%s' >/dev/null 2>&1", cmd) == 0;
}

void tl_wait_for(bool (*cond)(void *arg), void *arg, int timeout_ms, const char *what)
{
	struct timespec t0, now;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (cond(arg))
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 <
		                  timeout_ms,
		              "timed out after %d ms waiting for %s", timeout_ms, what);
		usleep(10000);
	}
}

/* ---- running ---- */

void tl_setup(void)
{
	init_names();
	if (!g_skip_all && getenv("RT_SKIP_ALL") && *getenv("RT_SKIP_ALL"))
		g_skip_all = getenv("RT_SKIP_ALL"); /* tests/run.sh as a user */
	if (g_skip_all)
		tl_skip_test("suite", "%s", g_skip_all);
	g_owner = getpid();
	g_nkill = 0;
	undo_play();
	g_nundo = 0;
	snprintf(tl_dir, sizeof(tl_dir), "/tmp/rt-%s.XXXXXX", g_name);
	ck_assert_msg(mkdtemp(tl_dir) != NULL, "mkdtemp %s: %s", tl_dir, strerror(errno));
	/* --one-file-system: a mount that would not go away keeps its contents */
	tl_undo_push("rm -rf --one-file-system '%s'", tl_dir);
}

void tl_teardown(void)
{
	if (getpid() != g_owner)
		return;
	for (int i = g_nkill - 1; i >= 0; i--) {
		kill(g_kill[i], SIGKILL);
		waitpid(g_kill[i], NULL, 0); /* only our own children; fine for the rest */
	}
	g_nkill = 0;
	undo_play();
	g_nundo = 0;
	tl_dir[0] = '\0';
}

int tl_run(Suite *s)
{
	SRunner *sr;
	int failed;

	g_runner = getpid();
	init_names();
	sr = srunner_create(s);
	/* Verbose: the log of a failed run also names the tests that passed. */
	srunner_run_all(sr, getenv("CK_VERBOSITY") ? CK_ENV : CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	undo_play(); /* what the last test left, if it failed */
	unlink(g_undo_path);
	return failed ? 1 : 0;
}

/* ---- loop devices and filesystems ---- */

int tl_loop_attach_try(char *dev, size_t len, const char *opts, const char *file)
{
	for (int i = 0; i < 30; i++) {
		if (tl_system_out(dev, len, "losetup -f --show %s '%s' 2>/dev/null", opts, file) ==
		        0 &&
		    strncmp(dev, "/dev/loop", 9) == 0)
			return 0;
		if (tl_system_out(dev, len, "losetup -n -O NAME -j '%s' 2>/dev/null", file) == 0 &&
		    strncmp(dev, "/dev/loop", 9) == 0)
			return 0;
		usleep(100000);
	}
	return -1;
}

int tl_loop_attach(char *dev, size_t len, const char *opts, const char *file)
{
	ck_assert_msg(tl_loop_attach_try(dev, len, opts, file) == 0,
	              "cannot attach %s to a loop device", file);
	return tl_undo_push("losetup -d %s", dev);
}

void tl_make_fs(const char *fstype, const char *size, const char *img, const char *mnt)
{
	char dev[64];

	init_names();
	tl_sh("mkdir -p '%s'", mnt);
	if (strcmp(fstype, "tmpfs") == 0) {
		tl_undo_umount(mnt);
		tl_sh("mount -t tmpfs -o size=%s rt-%s '%s'", size, g_name, mnt);
		return;
	}
	tl_sh("truncate -s %s '%s'", size, img);
	if (strcmp(fstype, "xfs") == 0)
		tl_sh("mkfs.xfs -q -f -m reflink=1 '%s'", img);
	else if (strcmp(fstype, "btrfs") == 0)
		tl_sh("mkfs.btrfs -q -f '%s' >/dev/null", img);
	else
		tl_sh("mkfs.%s -q -F '%s'", fstype, img);
	tl_loop_attach(dev, sizeof(dev), "", img);
	tl_undo_umount(mnt);
	tl_sh("mount %s '%s'", dev, mnt);
}

/* ---- holders ---- */

void tl_holder_start(struct tl_holder *h, ...)
{
	const char *bin = getenv("RT_TESTBIN"), *argv[16], *a;
	char path[512], line[256];
	bool ready = false;
	int p[2], i = 0;
	va_list ap;
	FILE *f;
	pid_t pid;

	ck_assert_msg(bin != NULL, "run through tests/run.sh (RT_TESTBIN)");
	snprintf(path, sizeof(path), "%s/holder", bin);
	argv[i++] = path;
	va_start(ap, h);
	while ((a = va_arg(ap, const char *)) != NULL && i < 15)
		argv[i++] = a;
	va_end(ap);
	ck_assert_msg(a == NULL, "more than 14 holder arguments");
	argv[i] = NULL;
	memset(h, 0, sizeof(*h));
	memset(h->fds, -1, sizeof(h->fds));
	memset(h->dups, -1, sizeof(h->dups));
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	tl_kill_later(pid);
	f = fdopen(p[0], "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		int s, v;

		if (sscanf(line, "pid %d", &v) == 1) {
			ck_assert_msg(h->n < TL_HOLDER_MAX, "more than %d holder processes",
			              TL_HOLDER_MAX);
			h->pids[h->n++] = v;
			if (v != pid)
				tl_kill_later(v);
		} else if (sscanf(line, "fd %d %d", &s, &v) == 2 && s >= 0 && s < TL_HOLDER_MAX) {
			h->fds[s] = v;
		} else if (sscanf(line, "dup %d %d", &s, &v) == 2 && s >= 0 && s < TL_HOLDER_MAX) {
			h->dups[s] = v;
		} else if (sscanf(line, "map %d %lx-%lx", &s, &lo, &hi) == 3 && s >= 0 &&
		           s < TL_HOLDER_MAX) {
			h->map_start[s] = lo;
			h->map_end[s] = hi;
		} else if (strcmp(line, "ready\n") == 0) {
			ready = true;
			break;
		}
	}
	fclose(f);
	ck_assert_msg(ready, "holder did not get ready");
	ck_assert_int_gt(h->n, 0);
	ck_assert_int_eq(h->pids[0], pid);
}

void tl_holder_stop(struct tl_holder *h, int sig)
{
	char path[64];

	for (int i = h->n - 1; i >= 0; i--)
		kill(h->pids[i], sig);
	waitpid(h->pids[0], NULL, 0);
	/* The others are the holder's children, not ours: watch them go. */
	for (int i = 1; i < h->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d", h->pids[i]);
		for (int t = 0; t < 200 && access(path, F_OK) == 0; t++)
			usleep(10000);
	}
	/* A zombie that nobody reaped yet holds nothing: no fd directory. */
	for (int i = 0; i < h->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd", h->pids[i]);
		ck_assert_msg(access(path, F_OK) != 0, "holder %d still alive", h->pids[i]);
		forget(h->pids[i]);
	}
}

/* ---- files and scans ---- */

void tl_random_bytes(unsigned char *b, size_t n)
{
	int fd = open("/dev/urandom", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, b + got, n - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	close(fd);
}

unsigned char *tl_random_file(const char *path, size_t n)
{
	unsigned char *b = malloc(n ? n : 1);
	int fd;

	ck_assert_ptr_nonnull(b);
	tl_random_bytes(b, n);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
	return b;
}

static uint64_t next_random(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void tl_seeded_bytes(unsigned char *b, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = next_random(seed);
		memcpy(b + i, &v, n - i < 8 ? n - i : 8);
	}
}

void tl_seeded_write(int fd, uint64_t off, uint64_t n, uint64_t seed)
{
	const size_t chunk = 4u << 20;
	unsigned char *b = malloc(chunk);

	ck_assert_ptr_nonnull(b);
	while (n) {
		size_t k = n < chunk ? (size_t)n : chunk;
		tl_seeded_bytes(b, k, &seed);
		ck_assert_int_eq(pwrite(fd, b, k, (off_t)off), (ssize_t)k);
		off += k;
		n -= k;
	}
	free(b);
}

void tl_seeded_file(const char *path, uint64_t n, uint64_t seed)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
	tl_seeded_write(fd, 0, n, seed);
	ck_assert_int_eq(fsync(fd), 0);
	close(fd);
}

ino_t tl_ino(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

struct scan_opts tl_scan_opts(void)
{
	static const char *only[1];

	ck_assert_msg(tl_dir[0] == '/', "tl_scan_opts before tl_setup");
	only[0] = tl_dir;
	return (struct scan_opts){.proc = "/proc", .sys = "/sys", .only = only, .nonly = 1};
}

void tl_scan(struct scan_result *r)
{
	struct scan_opts o = tl_scan_opts();

	ck_assert_int_eq(scan_run(&o, r), 0);
}

static const struct entry *find(const struct scan_result *r, bool any_dev, dev_t dev, ino_t ino)
{
	const struct entry *hit = NULL;

	size_t dl = strlen(tl_dir);

	for (size_t i = 0; i < r->n; i++) {
		/* The machine is shared: another test's file may have the same inode
		 * number on another small filesystem. Ours live under tl_dir. */
		if (any_dev && dl && (!r->v[i].path || strncmp(r->v[i].path, tl_dir, dl) != 0))
			continue;
		if (r->v[i].ino == ino && (any_dev || r->v[i].dev == dev)) {
			ck_assert_msg(hit == NULL, "inode %lu listed twice", (unsigned long)ino);
			hit = &r->v[i];
		}
	}
	ck_assert_msg(hit != NULL, "inode %lu not found", (unsigned long)ino);
	return hit;
}

const struct entry *tl_find(const struct scan_result *r, ino_t ino)
{
	return find(r, true, 0, ino);
}

const struct entry *tl_find_dev(const struct scan_result *r, dev_t dev, ino_t ino)
{
	return find(r, false, dev, ino);
}
