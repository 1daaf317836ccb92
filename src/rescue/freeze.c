/* job freeze: stop the writers (SIGSTOP) and freeze a filesystem (FIFREEZE) for
 * sync's final pass, and undo both on every path. A guardian process undoes them
 * even when rescuetui is killed with SIGKILL: it blocks on a pipe whose only writer
 * is the job, and EOF (we died, or closed it) makes it send SIGCONT and FITHAW. Also
 * here: is a writer still there (follow's end). */
#include "rescue/freeze.h"
#include "base/compat.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

int job_check_freezable(const struct job *j)
{
	if (!j->spec.freeze)
		return 0;
	for (size_t i = 0; i < j->spec.nwriters; i++) {
		pid_t pid = j->spec.writers[i].pid;
		/* stopping init, ourselves or the shell that runs us would hang the box
		 * or this very job */
		if (pid <= 1 || pid == getpid() || is_ancestor(pid))
			return -EPERM;
	}
	return 0;
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
	int maxfd = rfd, thaw = 0;
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
		ssize_t r = read(rfd, &c, 1);
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
	_exit(0);
}

static int guardian_start(struct job_freeze *f)
{
	int p[2];
	pid_t g;

	if (pipe2(p, O_CLOEXEC) < 0)
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
		while (write(f->gpipe, &c, 1) < 0 && errno == EINTR)
			;
}

/* ---- who holds the file ---- */

static bool maps_write(pid_t pid, ino_t ino)
{
	char path[64], line[512];
	bool hit = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!hit && fgets(line, sizeof(line), f)) {
		char perms[8];
		unsigned long long i;
		if (sscanf(line, "%*s %7s %*s %*s %llu", perms, &i) == 2 &&
		    i == (unsigned long long)ino && perms[1] == 'w' && perms[3] == 's')
			hit = true;
	}
	fclose(f);
	return hit;
}

/* Does W still have the file open (fd) or mapped shared and writable (fd -1)? */
static bool holds(const struct job *j, const struct job_writer *w)
{
	char path[64];
	struct stat st;

	if (w->fd < 0)
		return maps_write(w->pid, j->st_start.st_ino);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)w->pid, w->fd);
	return stat(path, &st) == 0 && st.st_dev == j->st_start.st_dev &&
	       st.st_ino == j->st_start.st_ino;
}

/* ---- freeze and resume ---- */

static int prepare(struct job *j)
{
	struct job_freeze *f = &j->fz;
	size_t nw = j->spec.nwriters;
	int r;

	f->pid = calloc(nw ? nw : 1, sizeof(*f->pid));
	f->pidfd = calloc(nw ? nw : 1, sizeof(*f->pidfd));
	if (!f->pid || !f->pidfd)
		return job_fail(j, -ENOMEM, "out of memory");
	for (size_t i = 0; j->spec.freeze && i < nw; i++) {
		pid_t pid = j->spec.writers[i].pid;
		char path[64], st;
		bool dup = false;
		for (size_t k = 0; k < f->n; k++)
			dup = dup || f->pid[k] == pid;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (dup || proc_stat(path, &st, NULL) < 0)
			continue; /* listed twice, or gone */
		if (st == 'T' || st == 't')
			continue; /* stopped by someone else: leave it as it is */
		f->pidfd[f->n] = (int)syscall(SYS_pidfd_open, pid, 0);
		if (f->pidfd[f->n] < 0 && errno == ESRCH)
			continue;
		/* Through the pidfd we signal exactly the process checked here: a pid that
		 * was reused since the scan, or let go of the file, is not stopped. */
		if (!holds(j, &j->spec.writers[i])) {
			if (f->pidfd[f->n] >= 0)
				close(f->pidfd[f->n]);
			continue;
		}
		if (f->pidfd[f->n] >= 0)
			(void)fcntl(f->pidfd[f->n], F_SETFD, FD_CLOEXEC);
		f->pid[f->n++] = pid;
	}
	if (j->spec.freeze_fs) {
		f->fsfd = open(j->spec.freeze_fs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f->fsfd < 0)
			return job_fail(j, -errno, "cannot open %s to freeze it: %s",
			                j->spec.freeze_fs, strerror(errno));
	}
	if ((r = guardian_start(f)) < 0)
		return job_fail(j, r, "cannot start the process that guards the freeze: %s",
		                strerror(-r));
	for (size_t i = 0; i < f->n; i++) {
		if (send_sig(f->pidfd[i], f->pid[i], SIGSTOP) == -ESRCH)
			f->pid[i] = 0; /* exited meanwhile */
	}
	f->stopped = true;
	f->t_stop = job_now();
	f->prepared = true;
	return 0;
}

int job_freeze_step(struct job *j, int64_t deadline)
{
	struct job_freeze *f = &j->fz;
	int r;

	if (!f->prepared && (r = prepare(j)) < 0)
		return r;
	job_publish(j, 0, j->end - j->lo);
	for (;;) {
		pid_t late = 0;
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
	if (f->fsfd >= 0 && !f->fs_frozen) {
		tell_guardian(f, 'F'); /* before: a death in between must still thaw */
		if (ioctl(f->fsfd, FIFREEZE, 0) < 0) {
			int e = errno;
			tell_guardian(f, 'f');
			if (e != EBUSY)
				return job_fail(j, -e, "cannot freeze %s: %s", j->spec.freeze_fs,
				                strerror(e));
			/* frozen already by someone else: consistent, and not ours to thaw */
		} else {
			f->fs_frozen = true;
		}
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
		for (size_t i = 0; i < f->n; i++) {
			if (f->pid[i] <= 0)
				continue;
			send_sig(f->pidfd[i], f->pid[i], SIGCONT);
			if (j->res.nfrozen < sizeof(j->res.frozen) / sizeof(j->res.frozen[0]))
				j->res.frozen[j->res.nfrozen++] = f->pid[i];
		}
		f->stopped = false;
	}
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
	for (size_t i = 0; i < j->spec.nwriters; i++)
		if (holds(j, &j->spec.writers[i]))
			return true;
	return false;
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
