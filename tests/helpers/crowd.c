/*
 * crowd: a busy machine in miniature, for the discovery benchmark.
 *
 *   crowd DIR NPROC FDS_PER_PROC DELETED_PER_PROC MMAP_EVERY
 *
 * Forks NPROC processes. Each holds FDS_PER_PROC open fds (stdin, stdout and
 * stderr included): DELETED_PER_PROC of them on deleted files of its own, the rest
 * on shared live files, /dev/null and a pipe. Both counts may be fractions (1.25:
 * every fourth process holds one more), so the crowd holds NPROC * FDS_PER_PROC fds,
 * NPROC * DELETED_PER_PROC of them on as many distinct deleted files. Every MMAP_EVERY-th process
 * also holds one more deleted file by a mapping only (0: none).
 *
 * The parent makes every file first (a few bytes each) and the children only open
 * and unlink, so memory stays small. Prints "ready" once every child is set up,
 * then waits. SIGTERM kills the children and removes the live files; the children
 * die with the parent in any case (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define NLIVE 8 /* live files every process opens again and again */

static const char *dir;

static void name(char *buf, char kind, long i)
{
	snprintf(buf, PATH_MAX, "%s/%c%ld", dir, kind, i);
}

static int make_file(char kind, long i)
{
	char path[PATH_MAX];
	int fd;

	name(path, kind, i);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dprintf(fd, "%c%ld\n", kind, i) < 0 || close(fd) < 0) {
		fprintf(stderr, "crowd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void remove_files(char kind, long n)
{
	char path[PATH_MAX];

	for (long i = 0; i < n; i++) {
		name(path, kind, i);
		unlink(path);
	}
}

/* Share of process p in a fractional count, as the index of its first item:
 * items p*per_proc ... (p+1)*per_proc - 1, so NPROC processes have NPROC*per_proc. */
static long first_item(long p, double per_proc)
{
	return (long)(p * per_proc + 1e-9);
}

static int open_deleted(char kind, long i)
{
	char path[PATH_MAX];
	int fd;

	name(path, kind, i);
	fd = open(path, O_RDONLY);
	if (fd >= 0 && unlink(path) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Child p: set up its fds, report 'k' (or 'E') on the ready pipe, wait. */
static void child(pid_t parent, int ready_fd, long p, double per_proc, double fds_per_proc,
                  long mmap_every)
{
	long d0 = first_item(p, per_proc), d1 = first_item(p + 1, per_proc);
	long fds = first_item(p + 1, fds_per_proc) - first_item(p, fds_per_proc);
	int null = open("/dev/null", O_RDWR), pipe_done = 0, ok = null >= 0;
	long open_fds = 3; /* stdin, stdout, stderr */
	char path[PATH_MAX];

	signal(SIGTERM, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	if (ok) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	for (long i = d0; ok && i < d1; i++, open_fds++)
		ok = open_deleted('d', i) >= 0;
	for (long j = 0; ok && open_fds < fds; j++) {
		int pfd[2];

		if (!pipe_done && fds - open_fds >= 2) {
			ok = pipe(pfd) == 0;
			pipe_done = 1;
			open_fds += 2;
			continue;
		}
		if (j % 2) {
			ok = open("/dev/null", O_RDONLY) >= 0;
		} else {
			name(path, 'l', (p + j) % NLIVE);
			ok = open(path, O_RDONLY) >= 0;
		}
		open_fds++;
	}
	if (ok && mmap_every > 0 && p % mmap_every == 0) {
		int fd = open_deleted('m', p / mmap_every);

		ok = fd >= 0 && mmap(NULL, 1, PROT_READ, MAP_SHARED, fd, 0) != MAP_FAILED;
		if (fd >= 0)
			close(fd);
	}
	if (!ok)
		fprintf(stderr, "crowd: process %ld: %s\n", p, strerror(errno));
	if (write(ready_fd, ok ? "k" : "E", 1) != 1 || !ok)
		_exit(1);
	close(ready_fd);
	for (;;)
		pause();
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void kill_all(const pid_t *pids, long n)
{
	for (long i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	long nproc, mmap_every, ndeleted, nmapped, ready_count = 0;
	double fds, per_proc;
	sigset_t block, unblocked;
	int ready[2], rc = 1;
	pid_t *kids, parent = getpid();
	char c;

	if (argc != 6) {
		fprintf(stderr,
		        "usage: crowd DIR NPROC FDS_PER_PROC DELETED_PER_PROC MMAP_EVERY\n");
		return 2;
	}
	dir = argv[1];
	nproc = atol(argv[2]);
	fds = atof(argv[3]);
	per_proc = atof(argv[4]);
	mmap_every = atol(argv[5]);
	if (nproc < 1 || per_proc < 0 || mmap_every < 0 ||
	    (long)fds < 3 + (long)(per_proc + 0.999)) {
		fprintf(stderr, "crowd: need NPROC >= 1 and FDS_PER_PROC >= 3 + "
		                "DELETED_PER_PROC (stdio counts)\n");
		return 2;
	}
	ndeleted = first_item(nproc, per_proc);
	nmapped = mmap_every ? (nproc + mmap_every - 1) / mmap_every : 0;
	kids = calloc((size_t)nproc, sizeof(*kids));
	if (!kids) {
		fprintf(stderr, "crowd: out of memory\n");
		return 2;
	}

	/* Whatever our caller leaked to us would be counted in every child. */
	close_range(3, ~0U, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (long i = 0; i < NLIVE; i++)
		if (make_file('l', i) < 0)
			goto out;
	for (long i = 0; i < ndeleted; i++)
		if (make_file('d', i) < 0)
			goto out;
	for (long i = 0; i < nmapped; i++)
		if (make_file('m', i) < 0)
			goto out;

	if (pipe(ready) < 0) {
		perror("crowd: pipe");
		goto out;
	}
	fflush(NULL);
	for (long p = 0; p < nproc; p++) {
		kids[p] = fork();
		if (kids[p] < 0) {
			fprintf(stderr, "crowd: fork (process %ld): %s\n", p, strerror(errno));
			goto out;
		}
		if (kids[p] == 0) {
			close(ready[0]);
			sigprocmask(SIG_SETMASK, &unblocked, NULL);
			child(parent, ready[1], p, per_proc, fds, mmap_every);
		}
	}
	close(ready[1]);
	/* EOF once every child has reported or died. */
	while (read(ready[0], &c, 1) == 1)
		ready_count += c == 'k';
	close(ready[0]);
	if (ready_count != nproc) {
		fprintf(stderr, "crowd: only %ld of %ld processes set up\n", ready_count, nproc);
		goto out;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop)
		sigsuspend(&unblocked);
	rc = 0;
out:
	kill_all(kids, nproc);
	remove_files('l', NLIVE);
	remove_files('d', ndeleted);
	remove_files('m', nmapped);
	free(kids);
	return rc;
}
