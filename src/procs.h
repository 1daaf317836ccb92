/* procs: who a holder is (libproc2): command name, user, state, command line. */
#ifndef RT_PROCS_H
#define RT_PROCS_H

struct scan_result;

/* Fill comm, user, state and cmdline of every fd and mmap holder in R. A process
 * that exited since the scan keeps NULL strings and state '?'. Returns 0, or -ENOMEM;
 * libproc2 failing for other reasons is not an error (details stay empty). */
int procs_describe(struct scan_result *r);

/* Fill the user of every holder procs_describe() found the uid of: the account name,
 * or the number when there is none. Call from one thread only: libproc2's own name
 * cache would call getpwuid(), which is not thread-safe, from every worker.
 * Returns 0 or -ENOMEM. */
int procs_name_users(struct scan_result *r);

#endif
