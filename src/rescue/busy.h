/* busy: which held files a rescue job is reading right now, across processes, so
 * that a reclaim (truncation) never pulls a file out from under a running rescue.
 * A job holds a shared flock on /run/rescuetui/busy/MAJ:MIN:INO while it runs; a
 * reclaim asks for the exclusive one without waiting. Locks vanish with the process
 * that held them, so a crash leaves nothing stale.
 */
#ifndef RT_RESCUE_BUSY_H
#define RT_RESCUE_BUSY_H

#include <sys/types.h>

/* Mark DEV:INO as being read. Returns an fd to pass to busy_release, or a negative
 * errno when the mark cannot be made (e.g. /run not writable without root; the job
 * runs unmarked then). */
int busy_hold(dev_t dev, ino_t ino);

/* Let go of a mark from busy_hold (nothing for a negative FD). */
void busy_release(int fd);

/* Is DEV:INO being read by a job now? 1 yes, 0 no, or a negative errno when it
 * cannot be told. */
int busy_check(dev_t dev, ino_t ino);

#endif
