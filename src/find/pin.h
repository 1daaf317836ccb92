/* pin: keep a deleted file's data alive by holding our own reference to it.
 *
 * Opening /proc/PID/fd/N read-only gives a new open file of the same inode, even
 * when the holder opened it write-only; while rescuetui holds it the data survives
 * every holder's exit. A pin is what the recovery engines read from; it is never
 * written through.
 */
#ifndef RT_PIN_H
#define RT_PIN_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

enum pin_kind {
	PIN_NONE,    /* nothing holds the data for us */
	PIN_FD,      /* reopened /proc/PID/fd/N */
	PIN_MAP,     /* opened /proc/PID/map_files/START-END: the whole file */
	PIN_HANDLE,  /* open_by_handle_at() on a deleted loop backing file */
	PIN_LOOPDEV, /* only /dev/loopN: the file from its offset, in whole sectors */
	PIN_GETFD,   /* pidfd_getfd(): the holder's own open file, when re-opening failed
	              * (FUSE hard_remove: ENOENT/ESTALE). It shares the holder's file
	              * offset: read it with pread only, never seek it (no SEEK_DATA). */
};

struct pin {
	int fd; /* -1 with PIN_NONE */
	enum pin_kind kind;
	uint64_t dev_start; /* PIN_LOOPDEV: file offset of the device's byte 0 */
	uint64_t dev_size;  /* PIN_LOOPDEV: readable bytes through the device */
};

#define PIN_INIT                                                                                   \
	{                                                                                          \
		.fd = -1, .kind = PIN_NONE                                                         \
	}

/* How a pin is opened: read-only, without touching atime, and O_NONBLOCK, which does
 * nothing to a regular file but makes the combination one that programs do not use,
 * so that a scan can tell pins (of another rescuetui, or of any program using this
 * library) from real holders. */
#define PIN_OPEN_FLAGS (O_RDONLY | O_NOATIME | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

/* Do these open-file flags (as /proc/PID/fdinfo shows them) look like a pin's? */
bool pin_flags_match(unsigned flags);

/* Open NAME relative to directory fd AT (e.g. a /proc/PID/fd or map_files directory)
 * read-only, without updating atime where allowed, and check that the result is the
 * regular file ST describes (same st_dev and st_ino) with no name left
 * (st_nlink == 0); on success ST is refreshed from the opened file (sizes change
 * while holders write). KIND is PIN_FD or PIN_MAP. Returns 0 and fills OUT (the
 * caller owns OUT->fd), -ESTALE when the fd now refers to something else, or the
 * negative errno of open/fstat (-ENOENT: it vanished; -EACCES/-EPERM: not allowed). */
int pin_open_at(int at, const char *name, struct stat *st, enum pin_kind kind, struct pin *out);

/* Get an fd to a deleted loop backing file from its inode number, with a
 * FILEID_INO32_GEN handle of generation 0 resolved on the filesystem that MOUNT_FD
 * is on. Works on ext4 and btrfs (needs CAP_DAC_READ_SEARCH); xfs and tmpfs want the
 * exact generation and answer -ESTALE. The result is checked against DEV/INO and
 * st_nlink == 0, and its stat stored in ST. Returns 0 and fills OUT, or a negative
 * errno (-EOVERFLOW when INO does not fit 32 bits). */
int pin_open_handle(int mount_fd, dev_t dev, uint64_t ino, struct pin *out, struct stat *st);

/* Pin a loop backing file through the loop device itself (read-only). START is the
 * loop offset (the file byte the device begins with). Returns 0 or a negative
 * errno. */
int pin_open_loopdev(const char *devpath, uint64_t start, struct pin *out);

/* Read up to N bytes at file offset OFF through the pin, translating offsets for a
 * loop device pin (read with O_DIRECT through a bounce buffer, at most 4 MiB per
 * call, so a filesystem mounted on the device cannot hand us stale blocks). Returns
 * bytes read (0 at the end of what is readable) or a negative errno; -ENXIO when OFF
 * lies before the part a loop device shows. */
ssize_t pin_pread(const struct pin *p, void *buf, size_t n, uint64_t off);

/* Make room for N more pins before a walk: raise the soft RLIMIT_NOFILE to the hard
 * limit (the default soft limit of 1024 would lose files on a busy machine; as root
 * the hard limit is raised too when it is below N), then grow the fd table to hold
 * N more fds. Growing it later, with other threads running, makes the kernel wait
 * for an RCU grace period per doubling. Returns how many more fds may be opened. */
size_t pin_reserve(size_t n);

/* Pin fd FD of process PID by duplicating the holder's own open file
 * (pidfd_getfd, Linux 5.6; ptrace rights over PID). Confirms a deleted regular
 * file; its stat goes to ST. Returns 0 and fills OUT (PIN_GETFD), or a negative
 * errno (-ENOSYS on an older kernel, -EPERM, -ESRCH, -EBADF when the fd is gone). */
int pin_open_getfd(pid_t pid, int fd, struct stat *st, struct pin *out);

/* fstat of a pin's FD; when the file no longer answers (ESTALE, ENOENT: FUSE
 * hard_remove) what the kernel has cached, without asking. 0 or a negative errno. */
int pin_stat(int fd, struct stat *st);

/* Close the pin's fd (the data may then go away) and reset it to PIN_NONE. */
void pin_release(struct pin *p);

/* A word for the kind, for reports: "fd", "map", "handle", "loopdev", "none". */
const char *pin_kind_name(enum pin_kind k);

#endif
