/* writers: who can write a file right now, read from /proc at the moment it is
 * needed (the freeze, follow's end), not from the scan that chose the file.
 */
#ifndef RT_RESCUE_WRITERS_H
#define RT_RESCUE_WRITERS_H

#include "rescue/job.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A growing list of writers. */
struct wlist {
	struct job_writer *v;
	size_t n, cap;
};

/* Every process but us that holds the file DEV:INO with write access: each fd
 * opened for writing (fdinfo flags), in the process's fd table or in a thread's own
 * (unshare(CLONE_FILES): TID set), and each process with a shared writable
 * mapping of it (fd -1; the device is checked through map_files where we may, else
 * from the maps line). No fixed limit. Processes and fds that vanish while we look
 * are skipped. Appends to OUT (free OUT->v). Returns 0 or -ENOMEM, -errno when /proc
 * cannot be read at all. */
int writers_scan(dev_t dev, ino_t ino, struct wlist *out);

/* The /proc link of fd FD of PID, or of thread TID's own fd table when TID is not 0,
 * into BUF (64 bytes are enough). */
void writers_fd_path(char *buf, size_t len, pid_t pid, pid_t tid, int fd);

/* Is NAME in directory DIR (an fd link in /proc) the file DEV:INO? Asks from the
 * cached attributes, so a file that no longer answers getattr still tells. */
bool writers_same_file(int dir, const char *name, dev_t dev, ino_t ino);

/* Does process PID map DEV:INO shared and writable? The maps file is read line by
 * line whatever their length. */
bool writers_maps_write(pid_t pid, dev_t dev, ino_t ino);

#endif
