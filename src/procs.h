/* procs: who a holder is (libproc2): command name, user, state, command line. */
#ifndef RT_PROCS_H
#define RT_PROCS_H

struct scan_result;

/* Fill comm, user, state and cmdline of every fd and mmap holder in R. A process
 * that exited since the scan keeps NULL strings and state '?'. Returns 0, or -ENOMEM;
 * libproc2 failing for other reasons is not an error (details stay empty). */
int procs_describe(struct scan_result *r);

#endif
