/* testlib: the plumbing the check suites share, so that each test file holds only
 * what it tests.
 *
 * Cleanup that survives failures. A failed check assertion _exit()s the forked test
 * at once: no teardown, no atexit. Check then kills the test's process group (the
 * holders with it), but mounts, loop devices and files stay. So every cleanup
 * command is written as one line of an undo file (one per test program run) as soon
 * as there is something to undo. tl_teardown() plays it back last first; the next
 * test's tl_setup() and the runner (tl_run(), in the parent that outlives every test)
 * play back whatever a failed test left. Only the process that owns the test (or the
 * runner) ever plays it back: children that tests fork must not clean up.
 *
 * Every function here that can fail fails the test (check assertion), unless it says
 * it returns an error instead.
 */
#ifndef RT_TESTLIB_H
#define RT_TESTLIB_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

struct entry;
struct scan_result;

/* ---- running ---- */

/* Run every test of S (CK_VERBOSE, or what CK_VERBOSITY says), then undo what a
 * failed last test left and remove the undo file. Frees S. Returns the exit status
 * for main(): 0 when every test passed, else 1. */
int tl_run(Suite *s);

/* ---- tests that cannot run here ---- */

/* End the running test as skipped: it needs something this machine lacks (root, a
 * tool, a kernel feature), said in FMT. The reason goes to $RT_SKIP_LOG (one line
 * "TEST: reason", which tests/run.sh counts as a skip instead of the pass Check
 * would report) and to stdout. Plays back the undo file, then ends the test's
 * process. Only in a forked test (CK_FORK, the default). */
#define tl_skip(...) tl_skip_test(__func__, __VA_ARGS__)
void tl_skip_test(const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Every test of the suite skips in tl_setup() with REASON (a suite that needs
 * root, say): call before tl_run(). Only for suites whose fixture is tl_setup(). */
void tl_skip_all(const char *reason);

/* tl_skip("needs root") unless we are root. */
#define tl_need_root()                                                                             \
	do {                                                                                       \
		if (geteuid() != 0)                                                                \
			tl_skip("needs root");                                                     \
	} while (0)

/* tl_skip("needs CMD") unless CMD is on PATH. */
#define tl_need_cmd(cmd)                                                                           \
	do {                                                                                       \
		if (!tl_have_cmd(cmd))                                                             \
			tl_skip("needs %s", cmd);                                                  \
	} while (0)

/* Is CMD on PATH? */
bool tl_have_cmd(const char *cmd);

/* Wait until COND(ARG) is true, checking every 10 ms; fail the test saying WHAT
 * when it is still false after TIMEOUT_MS. For conditions a fixed sleep would only
 * guess at: a loaded machine makes any guess wrong now and then. */
void tl_wait_for(bool (*cond)(void *arg), void *arg, int timeout_ms, const char *what);

/* ---- the test's world ---- */

/* The test's own directory, /tmp/rt-NAME.XXXXXX (NAME: the program's name without
 * "test_"); made by tl_setup(), removed by tl_teardown() or the next setup. */
extern char tl_dir[64];

/* A checked fixture's setup: this process owns the test; undo what an earlier failed
 * test left; make tl_dir and push its removal. */
void tl_setup(void);

/* A checked fixture's teardown: kill what tl_kill_later() was given, then play back
 * and empty the undo file. Does nothing in any process but the test's own. */
void tl_teardown(void);

/* Append the shell command FMT... to the undo file now; it runs at teardown, before
 * everything pushed earlier. Returns a handle for tl_undo_drop(). */
int tl_undo_push(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Forget undo line H without running it: for what the test undid itself, when
 * running the line again could hit something that is no longer ours (a loop device
 * number that someone else has attached since). */
void tl_undo_drop(int h);

/* Unmount everything stacked on MNT now: retried for 5 s while busy (anyone reading
 * the mount table holds a mount for a moment), then lazily. Nothing to do once MNT is
 * no mount point. Never fails the test; the shell's status. */
int tl_umount(const char *mnt);

/* Push tl_umount(MNT). Push it before mounting (a test killed between mount and push
 * would strand the mount); the test may also unmount MNT itself. Returns the
 * handle. */
int tl_undo_umount(const char *mnt);

/* Kill PID with SIGKILL (and reap it, if it is our child) at teardown. Check kills
 * the test's process group when an assertion fails, so this is for the passing
 * case; a process in a group of its own needs an undo line as well. */
void tl_kill_later(pid_t pid);

/* ---- commands ---- */

/* Format and run a shell command; its system() status. Never fails the test: for
 * probes and for code outside any test. */
int tl_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same with the first line of its output (no newline) in BUF; 0, or -1 when the
 * command failed or printed nothing. */
int tl_system_out(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Run a shell command; fail the test when it fails. */
void tl_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Run a shell command; the first line of its output in BUF; fail the test when it
 * fails or prints nothing. */
void tl_sh_out(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- loop devices and filesystems ---- */

/* Attach FILE to a free loop device with losetup options OPTS ("" for none), its name
 * in DEV; 0, or -1 after 3 s of failures. Never fails the test and pushes nothing:
 * for code outside any test. Retries because two "losetup -f" racing for the same
 * free device make one fail (EBUSY), and one that reported a failure may still have
 * attached FILE: that device is taken. FILE must not be attached already. */
int tl_loop_attach_try(char *dev, size_t len, const char *opts, const char *file);

/* The same in a test: fails the test, and pushes the detach. Returns its handle. */
int tl_loop_attach(char *dev, size_t len, const char *opts, const char *file);

/* Mount a fresh FSTYPE filesystem of SIZE (as truncate and mount -o size take it) at
 * MNT, made if missing: tmpfs (IMG unused), or mkfs on the new sparse image IMG on a
 * loop device. Pushes every undo. */
void tl_make_fs(const char *fstype, const char *size, const char *img, const char *mnt);

/* ---- holders: tests/helpers/holder ---- */

#define TL_HOLDER_MAX 8

/* A running holder, as its output told it (see tests/helpers/holder.c). */
struct tl_holder {
	pid_t pids[TL_HOLDER_MAX]; /* "pid": the parent (our child) first */
	int n;                     /* how many pids */
	int fds[TL_HOLDER_MAX];    /* "fd SPEC N": the parent's fd for SPEC, or -1 */
	int dups[TL_HOLDER_MAX];   /* "dup SPEC N" (-D), or -1 */
	unsigned long map_start[TL_HOLDER_MAX], map_end[TL_HOLDER_MAX]; /* "map SPEC A-B", or 0 */
};

/* Start $RT_TESTBIN/holder with the arguments after H (up to 14, NULL last) and wait
 * for "ready"; its processes are killed at teardown unless tl_holder_stop() ends
 * them first. */
void tl_holder_start(struct tl_holder *h, ...) __attribute__((sentinel));

/* Send SIG to every process of H (SIGTERM lets a writer stop between two writes) and
 * wait until none holds anything any more; fail the test when one still does after
 * 2 s. */
void tl_holder_stop(struct tl_holder *h, int sig);

/* ---- files and scans ---- */

/* N bytes from /dev/urandom into B. */
void tl_random_bytes(unsigned char *b, size_t n);

/* Create PATH (it must not exist) with N random bytes; returns them (caller frees). */
unsigned char *tl_random_file(const char *path, size_t n);

/* N bytes of a repeatable pseudo-random stream (splitmix64) into B, going on from
 * *SEED: for content a test can make again, or too large to keep. */
void tl_seeded_bytes(unsigned char *b, size_t n, uint64_t *seed);

/* Write N bytes of the stream of SEED at OFF of FD. */
void tl_seeded_write(int fd, uint64_t off, uint64_t n, uint64_t seed);

/* Create PATH (it must not exist) with N bytes of the stream of SEED, synced. */
void tl_seeded_file(const char *path, uint64_t n, uint64_t seed);

/* PATH's inode number. */
ino_t tl_ino(const char *path);

/* Options for scan_run on /proc and /sys that look only under tl_dir (--only): a
 * test never pins what it did not make, which could keep another program's umount
 * or losetup -d busy. */
struct scan_opts tl_scan_opts(void);

/* Discover and pin every held deleted file under tl_dir (tl_scan_opts) into R; the
 * caller frees R with scan_free(). */
void tl_scan(struct scan_result *r);

/* The one entry of R with inode INO (on any device) and a path under tl_dir; fails
 * the test when there is none or more than one. */
const struct entry *tl_find(const struct scan_result *r, ino_t ino);

/* The same for inode INO of device DEV. */
const struct entry *tl_find_dev(const struct scan_result *r, dev_t dev, ino_t ino);

#endif
