/* The pin keeps a deleted file's data after every holder is gone: discover with the
 * library, kill the holders, read through the pin, compare with what was written. */
#include "pin.h"
#include "scan.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/rt-pin.XXXXXX";
/* What a loop case attached and mounted, undone even when an assertion ends the
 * (forked) test early: check exits the child, so this also runs from atexit. */
static char g_outer[64], g_inner[64], g_mnt[160];

static void undo(void)
{
	char cmd[512];

	if (g_inner[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s 2>/dev/null", g_inner);
		(void)!system(cmd);
	}
	if (g_mnt[0]) {
		/* Someone reading the mount table can hold it busy for a moment. */
		snprintf(cmd, sizeof(cmd),
		         "for i in $(seq 50); do umount %s 2>/dev/null && exit 0; sleep 0.1; done; "
		         "umount -l %s",
		         g_mnt, g_mnt);
		(void)!system(cmd);
	}
	if (g_outer[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", g_outer);
		(void)!system(cmd);
	}
	g_inner[0] = g_mnt[0] = g_outer[0] = '\0';
	if (strcmp(dir, "/tmp/rt-pin.XXXXXX") != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		(void)!system(cmd);
		strcpy(dir, "/tmp/rt-pin.XXXXXX");
	}
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	atexit(undo);
}

static void teardown(void)
{
	undo();
}

/* Write N random bytes to PATH; return them (caller frees). */
static unsigned char *make_file(const char *path, size_t n)
{
	unsigned char *b = malloc(n);
	int fd = open("/dev/urandom", O_RDONLY), out;

	ck_assert(b && fd >= 0);
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, b + got, n - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	close(fd);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(write(out, b, n), (ssize_t)n);
	close(out);
	return b;
}

struct holder_proc {
	pid_t pids[8];
	int n;
};

/* Start tests/helpers/holder with ARGS and wait for "ready". */
static void start_holder(struct holder_proc *h, const char *const *args)
{
	const char *bin = getenv("RT_TESTBIN");
	char path[512], line[256];
	const char *argv[16];
	int p[2], i = 0;
	FILE *f;
	pid_t pid;

	ck_assert_msg(bin != NULL, "run through tests/run.sh (RT_TESTBIN)");
	snprintf(path, sizeof(path), "%s/holder", bin);
	argv[i++] = path;
	for (; *args && i < 15; args++)
		argv[i++] = *args;
	argv[i] = NULL;
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
	f = fdopen(p[0], "r");
	h->n = 0;
	while (fgets(line, sizeof(line), f)) {
		int v;
		if (sscanf(line, "pid %d", &v) == 1 && h->n < 8)
			h->pids[h->n++] = v;
		if (strcmp(line, "ready\n") == 0)
			break;
	}
	fclose(f);
	ck_assert_int_gt(h->n, 0);
	ck_assert_int_eq(h->pids[0], pid);
}

/* Kill every process of the holder and make sure they are gone. */
static void kill_holder(struct holder_proc *h)
{
	char path[64];

	for (int i = h->n - 1; i >= 0; i--)
		kill(h->pids[i], SIGKILL);
	waitpid(h->pids[0], NULL, 0);
	for (int i = 1; i < h->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d", h->pids[i]);
		for (int t = 0; t < 200 && access(path, F_OK) == 0; t++)
			usleep(10000);
	}
	for (int i = 0; i < h->n; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd", h->pids[i]);
		ck_assert_msg(access(path, F_OK) != 0, "holder %d still alive", h->pids[i]);
	}
}

static const struct entry *find(const struct scan_result *r, ino_t ino)
{
	const struct entry *hit = NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (r->v[i].ino == ino) {
			ck_assert_msg(hit == NULL, "inode %lu listed twice", (unsigned long)ino);
			hit = &r->v[i];
		}
	}
	ck_assert_msg(hit != NULL, "inode %lu not found", (unsigned long)ino);
	return hit;
}

/* Read everything through the pin and compare with WANT. */
static void check_bytes(const struct pin *p, const unsigned char *want, size_t n)
{
	unsigned char *got = malloc(n + 1);
	size_t off = 0;

	ck_assert_ptr_nonnull(got);
	while (off < n + 1) {
		ssize_t r = pin_pread(p, got + off, n + 1 - off, off);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		off += (size_t)r;
	}
	ck_assert_uint_eq(off, n);
	ck_assert_msg(memcmp(got, want, n) == 0, "bytes through the pin differ");
	free(got);
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

/* Held write-only by three processes: the pin is a read-only reopen and outlives them. */
START_TEST(fd_pin_outlives_holders)
{
	char path[128], spec[160];
	struct scan_opts o = {.proc = "/proc", .sys = "/sys"};
	struct scan_result r;
	struct holder_proc h;
	size_t n = (1 << 20) + 17;
	unsigned char *want;
	ino_t ino;
	const struct entry *e;

	snprintf(path, sizeof(path), "%s/data", dir);
	want = make_file(path, n);
	ino = ino_of(path);
	snprintf(spec, sizeof(spec), "w:%s", path);
	start_holder(&h, (const char *[]){"-c", "3", spec, NULL});
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_int_eq(scan_run(&o, &r), 0);
	e = find(&r, ino);
	ck_assert_int_eq(e->pin.kind, PIN_FD);
	ck_assert_uint_eq(e->size, n);
	kill_holder(&h);
	check_bytes(&e->pin, want, n);
	scan_free(&r);
	free(want);
}
END_TEST

/* Held only by a mapping: map_files gives the whole file, not just the window. */
START_TEST(map_pin_outlives_holder)
{
	char path[128], spec[160];
	struct scan_opts o = {.proc = "/proc", .sys = "/sys"};
	struct scan_result r;
	struct holder_proc h;
	size_t n = 3 * 4096 + 5;
	unsigned char *want;
	ino_t ino;
	const struct entry *e;

	if (geteuid() != 0)
		return; /* map_files needs CAP_SYS_ADMIN; the tests run as root */
	snprintf(path, sizeof(path), "%s/mapped", dir);
	want = make_file(path, n);
	ino = ino_of(path);
	snprintf(spec, sizeof(spec), "m:%s", path);
	start_holder(&h, (const char *[]){spec, NULL});
	ck_assert_int_eq(scan_run(&o, &r), 0);
	e = find(&r, ino);
	ck_assert_int_eq(e->pin.kind, PIN_MAP);
	kill_holder(&h);
	check_bytes(&e->pin, want, n);
	scan_free(&r);
	free(want);
}
END_TEST

/* Run a shell command; fail the test when it fails. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

/* Run a command and return the first line of its output. */
static void sh_out(char *buf, size_t len, const char *cmd)
{
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(buf, (int)len, p));
	buf[strcspn(buf, "\n")] = '\0';
	ck_assert_int_eq(pclose(p), 0);
}

/* A loop device over a deleted file whose size is not a multiple of 512, on a FSTYPE
 * filesystem of our own. After the loop device is detached only the pin holds the
 * file; on ext4 the handle pin gives every byte, tail included; on tmpfs only the
 * device view was pinnable, so the bytes up to the last whole sector come back. */
static void loop_case(const char *fstype)
{
	char *outer = g_outer, *inner = g_inner, *mnt = g_mnt, file[200], cmd[512];
	struct scan_opts o = {.proc = "/proc", .sys = "/sys"};
	struct scan_result r;
	size_t n = 1000 * 1000 + 123;
	unsigned char *want;
	ino_t ino;
	const struct entry *e;

	if (geteuid() != 0)
		return;
	sh("mkdir %s/mnt", dir);
	if (strcmp(fstype, "tmpfs") == 0) {
		sh("mount -t tmpfs -o size=8m rt-pin %s/mnt", dir);
	} else {
		sh("truncate -s 64M %s/fs.img && mkfs.%s -q %s/fs.img", dir, fstype, dir);
		snprintf(cmd, sizeof(cmd), "losetup -f --show %s/fs.img", dir);
		sh_out(outer, sizeof(g_outer), cmd);
		sh("mount %s %s/mnt", outer, dir);
	}
	snprintf(mnt, sizeof(g_mnt), "%s/mnt", dir);
	snprintf(file, sizeof(file), "%s/disk.raw", mnt);
	want = make_file(file, n);
	ino = ino_of(file);
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s", file);
	sh_out(inner, sizeof(g_inner), cmd);
	sh("rm %s", file);
	ck_assert_int_eq(scan_run(&o, &r), 0);
	e = find(&r, ino);
	ck_assert_int_eq(e->nholders, 1);
	ck_assert_str_eq(e->holders[0].loop_dev, inner);
	sh("losetup -d %s", inner);
	inner[0] = '\0';
	if (strcmp(fstype, "tmpfs") == 0) {
		ck_assert_int_eq(e->pin.kind, PIN_LOOPDEV);
		ck_assert(!e->size_known);
		ck_assert_uint_eq(e->size, n / 512 * 512);
		check_bytes(&e->pin, want, n / 512 * 512);
	} else {
		ck_assert_int_eq(e->pin.kind, PIN_HANDLE);
		ck_assert(e->size_known);
		ck_assert_uint_eq(e->size, n);
		check_bytes(&e->pin, want, n);
	}
	scan_free(&r);
	undo();
	free(want);
}

START_TEST(loop_pin_ext4)
{
	loop_case("ext4");
}
END_TEST

START_TEST(loop_pin_tmpfs)
{
	loop_case("tmpfs");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pin");
	TCase *tc = tcase_create("live");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fd_pin_outlives_holders);
	tcase_add_test(tc, map_pin_outlives_holder);
	tcase_add_test(tc, loop_pin_ext4);
	tcase_add_test(tc, loop_pin_tmpfs);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
