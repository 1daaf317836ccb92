/*
 * threadfd: a deleted file held only by a thread with an fd table of its own.
 *
 *   threadfd [-w] SHARED PRIVATE
 *
 * The process opens SHARED (read-only) and unlinks it; then a second thread calls
 * unshare(CLONE_FILES), which gives it a copy of the table (SHARED included), opens
 * PRIVATE and unlinks it. PRIVATE is then in /proc/PID/task/TID/fd only, not in
 * /proc/PID/fd. Prints "pid PID", "tid TID", "fd 0 FD" (SHARED, in both tables),
 * "fd 1 FD" (PRIVATE, in the thread's table) and "ready", then waits until killed.
 * Errors exit 2 before "ready". With -w the thread opens PRIVATE for reading and
 * writing and, after "ready", rewrites its first 64 KiB with a counter without pause
 * (a writer that only its own fd table shows).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *private_path;
static int writing;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;
static int private_fd = -2; /* -2 not yet, -1 failed */
static pid_t tid;

static void *thread_main(void *arg)
{
	int fd = -1;

	(void)arg;
	if (unshare(CLONE_FILES) == 0) {
		fd = open(private_path, writing ? O_RDWR : O_RDONLY);
		if (fd >= 0 && unlink(private_path) < 0) {
			close(fd);
			fd = -1;
		}
	}
	pthread_mutex_lock(&lock);
	tid = (pid_t)syscall(SYS_gettid);
	private_fd = fd;
	pthread_cond_signal(&done);
	pthread_mutex_unlock(&lock);
	for (unsigned long n = 0; writing && fd >= 0; n++) {
		char buf[64];
		int len = snprintf(buf, sizeof(buf), "%lu", n);
		if (pwrite(fd, buf, (size_t)len, (off_t)((n * 4096) % 65536)) < 0)
			break;
		usleep(200);
	}
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int shared;

	if (argc == 4 && strcmp(argv[1], "-w") == 0) {
		writing = 1;
		argv++;
		argc--;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: threadfd [-w] SHARED PRIVATE\n");
		return 2;
	}
	private_path = argv[2];
	shared = open(argv[1], O_RDONLY);
	if (shared < 0 || unlink(argv[1]) < 0) {
		perror(argv[1]);
		return 2;
	}
	if (pthread_create(&t, NULL, thread_main, NULL) != 0) {
		fprintf(stderr, "threadfd: cannot start the thread\n");
		return 2;
	}
	pthread_mutex_lock(&lock);
	while (private_fd == -2)
		pthread_cond_wait(&done, &lock);
	pthread_mutex_unlock(&lock);
	if (private_fd < 0) {
		perror(argv[2]);
		return 2;
	}
	printf("pid %d\ntid %d\nfd 0 %d\nfd 1 %d\nready\n", (int)getpid(), (int)tid, shared,
	       private_fd);
	fflush(stdout);
	for (;;)
		pause();
}
