/* mounts: which filesystem a file lives on, by device number (libmount).
 *
 * libmount matches paths as strings, which is wrong for deleted files and bind
 * mounts, so lookups go by st_dev, or by the mount id the kernel gives in fdinfo.
 * Holders in another mount namespace see other mounts: their table is read from
 * /proc/PID/mountinfo, once per namespace.
 */
#ifndef RT_MOUNTS_H
#define RT_MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

struct mounts;

/* Read this process's mount table. Returns NULL with errno set on failure. The
 * result is owned by the caller: mounts_close(). */
struct mounts *mounts_open(void);

/* Free everything mounts_open and the lookups cached. */
void mounts_close(struct mounts *m);

struct mounts_hit {
	const char *fstype; /* owned by M; valid until mounts_close */
	const char *target; /* mountpoint as seen in the namespace searched */
	const char *source;
};

/* Find the mount of a file. With PID > 0 the search is in that process's mount
 * namespace (its /proc/PID/mountinfo), otherwise in ours. MNT_ID (from fdinfo, -1 if
 * unknown) picks the exact mount the holder used; else the first mount of DEV.
 * Returns 0 and fills HIT, -ENOENT when no mount matches (kernel-internal
 * filesystems such as the one behind memfd and SysV shm), or another negative
 * errno when the table cannot be read. */
int mounts_find(struct mounts *m, pid_t pid, dev_t dev, int mnt_id, struct mounts_hit *hit);

/* True when mount id ID (from fdinfo) is a mount of our namespace: a file opened
 * through it has a path that means the same to us. Safe to call from several threads
 * (read-only after mounts_open). */
bool mounts_is_own_id(const struct mounts *m, int id);

/* Open a directory on the filesystem of DEV in our namespace (its mountpoint),
 * for open_by_handle_at. Returns an fd or a negative errno. */
int mounts_open_fs(struct mounts *m, dev_t dev);

#endif
