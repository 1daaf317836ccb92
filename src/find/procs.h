/* procs: who a holder is: command name, user, state, command line. Read from a
 * process's directory while the walk is there, or looked up with libproc2. */
#ifndef RT_PROCS_H
#define RT_PROCS_H

#include <stddef.h>
#include <sys/types.h>

struct scan_result;

/* One process's details. */
struct procs_row {
	pid_t pid;
	char *comm, *cmdline;
	uid_t uid;
	char state;
	unsigned threads; /* as stat counts them; 0: not known */
};

/* Every process at one moment, sorted by pid. */
struct procs_table {
	struct procs_row *v;
	size_t n;
};

/* Sort T by pid, as procs_describe() wants it. */
void procs_table_sort(struct procs_table *t);

/* PID's command line read from PROC_DIR (an fd on /proc) and shown as libproc2
 * shows it (arguments joined by spaces; a newline as a space, other control
 * characters and bytes the locale cannot show as '?'), for holders whose other
 * details came from elsewhere (the BPF scan). *OUT is malloc'ed ("" when empty).
 * Returns 0 or a negative errno (-ENOENT: the process is gone). */
int procs_cmdline(int proc_dir, pid_t pid, char **out);

/* PID's details read from its directory PID_DIR (an fd on /proc/PID), by the walk
 * of /proc while it is there: command name, state and thread count from stat, the user as the
 * directory's owner (as libproc2 takes it), the command line as procs_cmdline()
 * shows it. ROW's strings are malloc'ed (procs_table_free frees a table of them).
 * Returns 0, -ENOMEM, or another negative errno (the process is gone). */
int procs_read_row(int pid_dir, pid_t pid, struct procs_row *row);

/* The same for a command line's bytes the kernel gave otherwise (RAW, LEN bytes,
 * as /proc/PID/cmdline holds them). Returns 0 or -ENOMEM. */
int procs_cmdline_shown(const char *raw, size_t len, char **out);
void procs_table_free(struct procs_table *t);

/* Fill comm, state, uid and cmdline of every fd and mmap holder in R: from T when
 * its pid is there (T may be NULL), else looked up. A process that exited since the
 * scan keeps NULL strings and state '?'. Returns how many processes were described
 * from T, or -ENOMEM; libproc2 failing for other reasons is not an error (details
 * stay empty). */
int procs_describe(struct scan_result *r, const struct procs_table *t);

/* Fill the user of every holder procs_describe() found the uid of: the account name,
 * or the number when there is none. Call from one thread only: libproc2's own name
 * cache would call getpwuid(), which is not thread-safe, from every worker.
 * Returns 0 or -ENOMEM. */
int procs_name_users(struct scan_result *r);

#endif
