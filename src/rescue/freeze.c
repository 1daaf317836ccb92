/* job freeze: stop the writers (SIGSTOP) and freeze a filesystem (FIFREEZE) for
 * sync's final pass, and undo both on every path. A guardian process undoes them
 * even when rescuetui is killed with SIGKILL or stopped (SIGSTOP, Ctrl-Z, a
 * debugger): it waits on a socket whose only other end is the job, and EOF (we died,
 * or closed it) or JOB_GUARD_SILENCE_MS without the job's heartbeat makes it send
 * SIGCONT and FITHAW. The writers are read from /proc when they are stopped, not
 * taken from the scan, and stopped again from scratch when a new one appeared
 * meanwhile, so that all of them are stopped together. Also here: is a writer still
 * there (follow's end). */
#include "rescue/freeze.h"
#include "base/compat.h"
#include "base/util.h"
#include "rescue/writers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* State and parent pid from /proc/PID/stat (after the last ')': the name may hold
 * anything). Returns 0, or -ENOENT when the process is gone. */
static int proc_stat(const char *path, char *state, pid_t *ppid)
{
	char buf[1024], *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int pp = 0;

	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d", state, &pp) != 2)
		return -ENOENT;
	if (ppid)
		*ppid = pp;
	return 0;
}

static bool is_ancestor(pid_t pid)
{
	pid_t p = getppid();

	for (int depth = 0; p > 0 && depth < 4096; depth++) {
		char path[64], st;
		if (p == pid)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
		if (proc_stat(path, &st, &p) < 0)
			break;
	}
	return false;
}

/* Stopping init, ourselves or the shell that runs us would hang the box or this very
 * job. */
static bool unstoppable(pid_t pid)
{
	return pid <= 1 || pid == getpid() || is_ancestor(pid);
}

int job_check_stoppable(const struct job *j)
{
	for (size_t i = 0; i < j->spec.nwriters; i++)
		if (unstoppable(j->spec.writers[i].pid))
			return -EPERM;
	return 0;
}

int job_check_freezable(const struct job *j)
{
	return j->spec.freeze ? job_check_stoppable(j) : 0;
}

/* Every thread of PID stopped (or dead)? */
static bool all_stopped(pid_t pid)
{
	char path[64];
	struct dirent *de;
	bool all = true;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return true; /* gone */
	while ((de = readdir(d)) && all) {
		char p[320], st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/stat", (int)pid, de->d_name);
		if (proc_stat(p, &st, NULL) < 0)
			continue;
		if (st != 'T' && st != 't' && st != 'Z' && st != 'X')
			all = false;
	}
	closedir(d);
	return all;
}

static int send_sig(int pidfd, pid_t pid, int sig)
{
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0)
		return 0;
	if (pidfd >= 0 && errno == ESRCH)
		return -ESRCH;
	return kill(pid, sig) < 0 ? -errno : 0;
}

/* ---- the guardian ---- */

static bool kept(int fd, int rfd, const struct job_freeze *f)
{
	if (fd == rfd || fd == f->fsfd)
		return true;
	for (size_t i = 0; i < f->n; i++)
		if (f->pidfd[i] == fd)
			return true;
	return false;
}

/* The guardian's whole life. Runs in a child forked from a possibly threaded
 * process: async-signal-safe calls only, no allocation. */
static void guardian_main(int rfd, const struct job_freeze *f)
{
	static const int ign[] = {SIGHUP,  SIGINT,  SIGTERM, SIGQUIT, SIGPIPE, SIGTSTP,
	                          SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2, SIGALRM};
	struct sigaction sa;
	int maxfd = rfd, thaw = 0, status = 0;
	char c;

	/* out of the terminal's process group: a ^C meant for rescuetui must not kill
	 * the one process that would resume the writers */
	setsid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < ARRAY_SIZE(ign); i++)
		sigaction(ign[i], &sa, NULL);
	prctl(PR_SET_NAME, "rescuetui-guard", 0, 0, 0);
	/* hold nothing else open: not the result, not a pipe someone waits on */
	if (f->fsfd > maxfd)
		maxfd = f->fsfd;
	for (size_t i = 0; i < f->n; i++)
		if (f->pidfd[i] > maxfd)
			maxfd = f->pidfd[i];
	for (int fd = 0; fd < maxfd; fd++)
		if (!kept(fd, rfd, f))
			close(fd);
	close_range((unsigned)maxfd + 1, ~0u, 0);
	for (;;) {
		struct pollfd pfd = {.fd = rfd, .events = POLLIN};
		ssize_t r;
		int p = poll(&pfd, 1, JOB_GUARD_SILENCE_MS);
		if (p < 0 && errno == EINTR)
			continue;
		if (p == 0) {
			/* No heartbeat: the job is stopped (or hung). Writers must not wait
			 * on it for ever. */
			status = JOB_GUARD_GAVE_UP;
			break;
		}
		r = read(rfd, &c, 1);
		if (r == 1) {
			if (c == 'F')
				thaw = 1;
			else if (c == 'f')
				thaw = 0;
			else if (c == 'D')
				_exit(0);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		break; /* EOF: the job is gone without resuming */
	}
	if (thaw && f->fsfd >= 0)
		ioctl(f->fsfd, FITHAW, 0);
	for (size_t i = 0; i < f->n; i++)
		if (f->pid[i] > 0)
			send_sig(f->pidfd[i], f->pid[i], SIGCONT);
	_exit(status);
}

static int guardian_start(struct job_freeze *f)
{
	int p[2];
	pid_t g;

	/* A socket, not a pipe: send(MSG_NOSIGNAL) to a guardian that gave up is an
	 * error to notice, not a SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return -errno;
	g = fork();
	if (g < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (g == 0) {
		close(p[1]);
		guardian_main(p[0], f);
	}
	close(p[0]);
	f->gpipe = p[1];
	f->guardian = g;
	return 0;
}

static void tell_guardian(struct job_freeze *f, char c)
{
	if (f->gpipe >= 0)
		while (send(f->gpipe, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR)
			;
}

/* The heartbeat: a thread, so that a long read in the frozen pass does not silence
 * it, while SIGSTOP of rescuetui (which stops every thread) does. */
static void *beat_main(void *arg)
{
	struct job_freeze *f = arg;
	struct timespec t;

	pthread_mutex_lock(&f->beat_mu);
	while (!f->beat_stop) {
		tell_guardian(f, 'H');
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += JOB_GUARD_BEAT_MS * 1000000L;
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->beat_cv, &f->beat_mu, &t);
	}
	pthread_mutex_unlock(&f->beat_mu);
	return NULL;
}

static int beat_start(struct job_freeze *f)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int e;

	pthread_mutex_init(&f->beat_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->beat_cv, &ca);
	pthread_condattr_destroy(&ca);
	f->beat_stop = false;
	/* signals stay with the caller's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&f->beat, NULL, beat_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		pthread_cond_destroy(&f->beat_cv);
		pthread_mutex_destroy(&f->beat_mu);
		return -e;
	}
	f->beating = true;
	return 0;
}

static void beat_end(struct job_freeze *f)
{
	if (!f->beating)
		return;
	pthread_mutex_lock(&f->beat_mu);
	f->beat_stop = true;
	pthread_cond_signal(&f->beat_cv);
	pthread_mutex_unlock(&f->beat_mu);
	pthread_join(f->beat, NULL);
	pthread_cond_destroy(&f->beat_cv);
	pthread_mutex_destroy(&f->beat_mu);
	f->beating = false;
}

/* Did the guardian give up on us (we were stopped too long) and resume everything?
 * Reaps it when it ended. */
static bool guardian_gave_up(struct job_freeze *f)
{
	int st;

	if (f->guard_gave_up)
		return true;
	if (f->guardian > 0 && waitpid(f->guardian, &st, WNOHANG) == f->guardian) {
		f->guardian = 0;
		f->guard_gave_up = WIFEXITED(st) && WEXITSTATUS(st) == JOB_GUARD_GAVE_UP;
	}
	return f->guard_gave_up;
}

/* ---- who holds the file ---- */

/* Does W still have the file open (fd) or mapped shared and writable (fd -1)? */
static bool holds(const struct job *j, const struct job_writer *w)
{
	char path[64];

	if (w->fd < 0)
		return writers_maps_write(w->pid, j->st_start.st_dev, j->st_start.st_ino);
	writers_fd_path(path, sizeof(path), w->pid, w->tid, w->fd);
	return writers_same_file(AT_FDCWD, path, j->st_start.st_dev, j->st_start.st_ino);
}

/* ---- freeze and resume ---- */

/* Room for one more pid in F. */
static int grow(struct job_freeze *f)
{
	size_t cap = f->cap ? 2 * f->cap : 16;
	pid_t *pid;
	int *pidfd;

	if (f->n < f->cap)
		return 0;
	pid = realloc(f->pid, cap * sizeof(*pid));
	if (!pid)
		return -ENOMEM;
	f->pid = pid;
	pidfd = realloc(f->pidfd, cap * sizeof(*pidfd));
	if (!pidfd)
		return -ENOMEM;
	f->pidfd = pidfd;
	f->cap = cap;
	return 0;
}

static bool known(const struct job_freeze *f, pid_t pid)
{
	for (size_t k = 0; k < f->n; k++)
		if (f->pid[k] == pid)
			return true;
	return false;
}

/* Take writer W into F unless it is listed already, gone, stopped by someone else,
 * or no longer holds the file. Returns 0, or -ENOMEM. */
static int take(struct job *j, const struct job_writer *w)
{
	struct job_freeze *f = &j->fz;
	char path[64], st;
	int pidfd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)w->pid);
	if (known(f, w->pid) || proc_stat(path, &st, NULL) < 0)
		return 0; /* listed twice (several fds), or gone: a writer that left is fine */
	if (st == 'T' || st == 't')
		return 0; /* stopped by someone else: leave it as it is */
	pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
	if (pidfd < 0 && errno == ESRCH)
		return 0;
	/* Through the pidfd we signal exactly the process checked here: a pid that was
	 * reused since, or let go of the file, is not stopped. */
	if (!holds(j, w)) {
		if (pidfd >= 0)
			close(pidfd);
		return 0;
	}
	if (grow(f) < 0) {
		if (pidfd >= 0)
			close(pidfd);
		return -ENOMEM;
	}
	if (pidfd >= 0)
		(void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	f->pidfd[f->n] = pidfd;
	f->pid[f->n++] = w->pid;
	return 0;
}

/* The writers as /proc has them now (--freeze only), checked for pids we must never
 * stop, into F. */
static int collect(struct job *j)
{
	struct wlist w = {0};
	int r = 0;

	if (!job_stops_writers(j))
		return 0;
	if ((r = writers_scan(j->st_start.st_dev, j->st_start.st_ino, &w)) < 0) {
		free(w.v);
		return job_fail(j, r, "cannot read who writes the file: %s", strerror(-r));
	}
	for (size_t i = 0; r == 0 && i < w.n; i++) {
		if (unstoppable(w.v[i].pid))
			r = job_fail(j, -EPERM,
			             "process %d writes the file now and cannot be stopped (pid 1, or "
			             "an ancestor of ours): every writer was resumed",
			             (int)w.v[i].pid);
		else if (take(j, &w.v[i]) < 0)
			r = job_fail(j, -ENOMEM, "out of memory");
	}
	free(w.v);
	return r;
}

static int prepare(struct job *j)
{
	struct job_freeze *f = &j->fz;
	int r;

	f->n = 0;
	if ((r = collect(j)) < 0)
		return r;
	if (job_fs_to_freeze(j) && f->fsfd < 0) {
		f->fsfd = open(job_fs_to_freeze(j), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f->fsfd < 0)
			return job_fail(j, -errno, "cannot open %s to freeze it: %s",
			                job_fs_to_freeze(j), strerror(errno));
	}
	f->guard_gave_up = false;
	if ((r = guardian_start(f)) < 0)
		return job_fail(j, r, "cannot start the process that guards the freeze: %s",
		                strerror(-r));
	if ((r = beat_start(f)) < 0)
		return job_fail(j, r, "cannot start the guardian's heartbeat: %s", strerror(-r));
	for (size_t i = 0; i < f->n; i++) {
		if (send_sig(f->pidfd[i], f->pid[i], SIGSTOP) == -ESRCH)
			f->pid[i] = 0; /* exited meanwhile */
	}
	f->stopped = true;
	f->settled = false;
	f->t_stop = job_now();
	f->prepared = true;
	return 0;
}

/* The writers run again: stop the heartbeat, tell the guardian it is done and
 * wait for it to exit. */
static void end_guard(struct job_freeze *f)
{
	beat_end(f);
	if (f->gpipe >= 0) {
		tell_guardian(f, 'D');
		close(f->gpipe);
		f->gpipe = -1;
	}
	if (f->guardian > 0) {
		while (waitpid(f->guardian, NULL, 0) < 0 && errno == EINTR)
			;
		f->guardian = 0;
	}
}

/* Let everything go without counting it as resumed after a frozen pass: a freeze
 * that is started over. */
static void release(struct job *j)
{
	struct job_freeze *f = &j->fz;

	for (size_t i = 0; i < f->n; i++)
		if (f->pid[i] > 0)
			send_sig(f->pidfd[i], f->pid[i], SIGCONT);
	f->stopped = f->settled = false;
	end_guard(f);
	for (size_t i = 0; i < f->n; i++)
		if (f->pidfd[i] >= 0)
			close(f->pidfd[i]);
	f->n = 0;
	f->prepared = false;
}

/* Once every writer we know of is stopped: is there one we do not know (it opened
 * the file since we looked)? Then start over with it, at most JOB_FREEZE_ROUNDS
 * times. 0 when the set is complete, 1 to go on waiting, or a failure. */
static int recheck(struct job *j)
{
	struct job_freeze *f = &j->fz;
	struct wlist w = {0};
	bool news = false;
	int r;

	if (!job_stops_writers(j))
		return 0;
	if ((r = writers_scan(j->st_start.st_dev, j->st_start.st_ino, &w)) < 0) {
		free(w.v);
		return job_fail(j, r, "cannot read who writes the file: %s", strerror(-r));
	}
	for (size_t i = 0; i < w.n && !news; i++) {
		char path[64], st;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)w.v[i].pid);
		news = !known(f, w.v[i].pid) && proc_stat(path, &st, NULL) == 0 && st != 'T' &&
		       st != 't';
	}
	free(w.v);
	if (!news)
		return 0;
	release(j);
	if (++f->rounds >= JOB_FREEZE_ROUNDS)
		return job_fail(j, -EAGAIN,
		                "new writers kept opening the file while the others were stopped: "
		                "every writer was resumed; try again, the partial result is kept");
	return 1;
}

int job_fail_guard(struct job *j)
{
	return job_fail(j, -ETIMEDOUT,
	                "rescuetui was stopped for more than %d s while the writers were frozen: "
	                "the guardian resumed them, so this pass is no snapshot; run the same "
	                "command again, the partial result is kept",
	                JOB_GUARD_SILENCE_MS / 1000);
}

bool job_guard_gave_up(struct job *j)
{
	return j->fz.prepared && guardian_gave_up(&j->fz);
}

int job_freeze_step(struct job *j, int64_t deadline)
{
	struct job_freeze *f = &j->fz;
	int r;

again:
	if (!f->prepared && (r = prepare(j)) < 0)
		return r;
	job_publish(j, 0, j->end - j->lo);
	for (;;) {
		pid_t late = 0;
		if (guardian_gave_up(f))
			return job_fail_guard(j);
		for (size_t i = 0; i < f->n && !late; i++)
			if (f->pid[i] > 0 && !all_stopped(f->pid[i]))
				late = f->pid[i];
		if (!late)
			break;
		if (job_now() - f->t_stop > JOB_STOP_WAIT_NS)
			return job_fail(
			    j, -ETIMEDOUT,
			    "writer %d did not stop within 10 s (busy in the kernel?): every writer was resumed; try again, the partial result is kept",
			    (int)late);
		if (job_now() >= deadline)
			return 1;
		usleep(2000);
	}
	if ((r = recheck(j)) < 0)
		return r;
	if (r > 0)
		goto again;
	f->settled = true;
	job_publish(j, 0, j->end - j->lo); /* now the record may say frozen */
	if (f->fsfd >= 0 && !f->fs_frozen) {
		tell_guardian(f, 'F'); /* before: a death in between must still thaw */
		if (ioctl(f->fsfd, FIFREEZE, 0) < 0) {
			int e = errno;
			tell_guardian(f, 'f');
			if (e != EBUSY)
				return job_fail(j, -e, "cannot freeze %s: %s", job_fs_to_freeze(j),
				                strerror(e));
			/* frozen already by someone else: consistent, and not ours to thaw */
		} else {
			f->fs_frozen = true;
		}
		j->res.fs_frozen = true;
	}
	return 0;
}

void job_resume_all(struct job *j)
{
	struct job_freeze *f = &j->fz;

	if (f->fs_frozen) {
		ioctl(f->fsfd, FITHAW, 0);
		f->fs_frozen = false;
	}
	if (f->stopped) {
		pid_t *list = realloc(j->res.frozen, (j->res.nfrozen + f->n + 1) * sizeof(*list));
		if (list)
			j->res.frozen = list;
		for (size_t i = 0; i < f->n; i++) {
			if (f->pid[i] <= 0)
				continue;
			send_sig(f->pidfd[i], f->pid[i], SIGCONT);
			if (list)
				j->res.frozen[j->res.nfrozen++] = f->pid[i];
		}
		f->stopped = f->settled = false;
	}
	end_guard(f);
	for (size_t i = 0; f->pidfd && i < f->n; i++) {
		if (f->pidfd[i] >= 0)
			close(f->pidfd[i]);
		f->pidfd[i] = -1;
	}
	if (f->fsfd >= 0) {
		close(f->fsfd);
		f->fsfd = -1;
	}
	pthread_mutex_lock(&j->mu);
	j->prog.frozen = false;
	pthread_mutex_unlock(&j->mu);
}

/* ---- follow: is any writer left? ---- */

bool job_writers_alive(struct job *j)
{
	struct job_freeze *f = &j->fz;
	struct wlist w = {0};
	int64_t now = job_now();

	for (size_t i = 0; i < j->spec.nwriters; i++)
		if (holds(j, &j->spec.writers[i]))
			return true;
	/* None of the planned writers is left: is there another one (no limit, and one
	 * that opened the file after the scan counts too)? /proc is read in full, so
	 * not more often than JOB_WRITER_RESCAN_NS. */
	if (f->t_rescan && now - f->t_rescan < JOB_WRITER_RESCAN_NS)
		return f->rescan_found;
	f->t_rescan = now;
	/* when /proc cannot be read, keep following: stopping early loses data */
	f->rescan_found = writers_scan(j->st_start.st_dev, j->st_start.st_ino, &w) < 0 || w.n > 0;
	free(w.v);
	return f->rescan_found;
}

void job_emergency_resume(struct job *j)
{
	struct job_freeze *f = &j->fz;

	/* Only system calls: this runs in a signal handler. */
	if (f->fs_frozen && f->fsfd >= 0)
		ioctl(f->fsfd, FITHAW, 0);
	if (f->stopped)
		for (size_t i = 0; i < f->n; i++)
			if (f->pid[i] > 0)
				send_sig(f->pidfd[i], f->pid[i], SIGCONT);
	if (f->gpipe >= 0)
		close(f->gpipe); /* the guardian sees EOF and does the same */
}

/* After the frozen pass: was every writer we stopped still stopped? (Someone may
 * have sent SIGCONT meanwhile; the pass would then not be a snapshot.) */
pid_t job_first_running(struct job *j)
{
	for (size_t i = 0; i < j->fz.n; i++)
		if (j->fz.pid[i] > 0 && !all_stopped(j->fz.pid[i]))
			return j->fz.pid[i];
	return 0;
}
