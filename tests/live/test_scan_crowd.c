/* A machine where most processes hold a deleted file (as after an upgrade of a
 * shared library): the walk of /proc describes each holding process while it is
 * there (no second pass, no lookup per pid), and every holder gets its own, right
 * details, on the BPF path as well. */
#include "find/procs.h"
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CROWD 1000

/* Start tests/helpers/crowd with N processes holding one deleted file each in
 * tl_dir/crowd; wait for "ready". Returns its pid (killed at teardown; its
 * children die with it). */
static pid_t start_crowd(int n)
{
	const char *bin = getenv("RT_TESTBIN");
	char path[4200], dir[128], count[16], line[64];
	int fds[2];
	FILE *out;
	pid_t pid;

	ck_assert_msg(bin != NULL, "run through tests/run.sh (RT_TESTBIN)");
	snprintf(path, sizeof(path), "%s/crowd", bin);
	snprintf(dir, sizeof(dir), "%s/crowd", tl_dir);
	snprintf(count, sizeof(count), "%d", n);
	tl_sh("mkdir '%s'", dir);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(path, "crowd", dir, count, "4", "1", "0", (char *)NULL);
		_exit(127);
	}
	tl_kill_later(pid);
	close(fds[1]);
	out = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(out);
	while (fgets(line, sizeof(line), out) && strcmp(line, "ready\n") != 0)
		;
	ck_assert_str_eq(line, "ready\n");
	fclose(out);
	return pid;
}

/* Every holder of the crowd's files is a crowd child with its own details. */
static void check_holders(const struct scan_result *rp, const char *dir, pid_t crowd)
{
	const struct scan_result r = *rp;
	size_t files = 0, holders = 0;

	for (size_t i = 0; i < r.n; i++) {
		const struct entry *e = &r.v[i];
		if (!e->path || strncmp(e->path, dir, strlen(dir)) != 0)
			continue;
		files++;
		for (size_t k = 0; k < e->nholders; k++) {
			const struct holder *h = &e->holders[k];
			ck_assert_int_eq(h->type, HOLDER_FD);
			ck_assert_ptr_nonnull(h->comm);
			ck_assert_str_eq(h->comm, "crowd");
			ck_assert_ptr_nonnull(h->cmdline);
			ck_assert_msg(strstr(h->cmdline, tl_dir) != NULL, "cmdline %s", h->cmdline);
			ck_assert_ptr_nonnull(h->user);
			ck_assert_str_eq(h->user, "root");
			ck_assert_msg(h->state == 'S' || h->state == 'R', "state %c", h->state);
			ck_assert_int_ne(h->pid, crowd); /* the parent holds none of them */
			holders++;
		}
	}
	ck_assert_uint_eq(files, CROWD);
	ck_assert_uint_eq(holders, CROWD);
}

START_TEST(details_while_walking)
{
	struct scan_result r;
	char dir[140];
	pid_t crowd = start_crowd(CROWD);
	struct scan_opts o = {.proc = "/proc", .sys = "/sys", .method = SCAN_PROC};

	snprintf(dir, sizeof(dir), "%s/crowd/", tl_dir);
	ck_assert_int_eq(scan_run(&o, &r), 0);
	/* every child holds one: each was described while its directory was open */
	ck_assert_msg(r.st.described >= CROWD, "%u processes described while walked",
	              r.st.described);
	check_holders(&r, dir, crowd);
	scan_free(&r);
	/* the BPF path, where it works, gives every holder the same details */
	o.method = SCAN_BPF;
	if (scan_run(&o, &r) == 0) {
		ck_assert_int_eq(r.method, SCAN_BPF);
		check_holders(&r, dir, crowd);
		scan_free(&r);
	}
}
END_TEST

/* A holder neither the walk nor the kernel described (its process was gone
 * before its stat was read, or appeared later) is looked up through libproc2,
 * which a dynamic build loads only then: this process is found, with its own
 * details; a pid that does not exist is left undescribed. */
START_TEST(described_by_libproc2)
{
	struct scan_result r = {0};
	struct entry *e = calloc(1, sizeof(*e));
	char comm[64] = "";
	FILE *f;

	ck_assert_ptr_nonnull(e);
	e->pin = (struct pin)PIN_INIT;
	e->holders = calloc(2, sizeof(*e->holders));
	ck_assert_ptr_nonnull(e->holders);
	e->nholders = 2;
	e->holders[0] = (struct holder){.type = HOLDER_FD, .pid = getpid(), .fd = 0};
	e->holders[1] = (struct holder){.type = HOLDER_FD, .pid = 0x3ffffffe, .fd = 0};
	r.v = e;
	r.n = 1;
	ck_assert_int_eq(procs_describe(&r, NULL), 0);

	f = fopen("/proc/self/comm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	ck_assert_ptr_nonnull(e->holders[0].comm);
	ck_assert_str_eq(e->holders[0].comm, comm);
	ck_assert_ptr_nonnull(e->holders[0].cmdline);
	ck_assert_msg(strstr(e->holders[0].cmdline, comm) != NULL, "cmdline %s",
	              e->holders[0].cmdline);
	ck_assert_int_eq(e->holders[0].state, 'R');
	ck_assert(e->holders[0].uid_known);
	ck_assert_uint_eq(e->holders[0].uid, geteuid());
	ck_assert_ptr_null(e->holders[1].comm);
	ck_assert_int_eq(e->holders[1].state, '?');
	scan_free(&r);
}
END_TEST

static int fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A large result is freed in two threads: every pin is closed and every entry's
 * memory freed, once (ASan and TSan builds run this too). */
START_TEST(freed_in_halves)
{
	enum { N = 5000 };
	struct scan_result r = {0};
	int before = fds_open();

	if (pin_reserve(N + 64) < N + 64)
		tl_skip("room for %d fds is not to be had here", N);
	r.v = calloc(N, sizeof(*r.v));
	ck_assert_ptr_nonnull(r.v);
	for (size_t i = 0; i < N; i++) {
		struct entry *e = &r.v[i];
		e->pin = (struct pin)PIN_INIT;
		e->pin.fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		ck_assert_int_ge(e->pin.fd, 0);
		e->pin.kind = PIN_FD;
		e->path = strdup("/a/deleted/file");
		e->holders = calloc(1, sizeof(*e->holders));
		ck_assert(e->path && e->holders);
		e->nholders = 1;
		e->holders[0].comm = strdup("crowd");
	}
	r.n = N;
	ck_assert_int_eq(fds_open(), before + N);
	scan_free(&r);
	ck_assert_int_eq(fds_open(), before);
	ck_assert_ptr_null(r.v);
	ck_assert_uint_eq(r.n, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan_crowd");
	TCase *tc = tcase_create("crowd");

	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_add_test(tc, details_while_walking);
	tcase_add_test(tc, described_by_libproc2);
	tcase_add_test(tc, freed_in_halves);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
