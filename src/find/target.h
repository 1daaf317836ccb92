/* target: filesystems a rescued copy could be written to.
 *
 * Every mounted filesystem that is not a pseudo filesystem (proc, sysfs, cgroup,
 * devpts, ...), with free space from statvfs, read-only, RAM-backed (tmpfs, ramfs),
 * network (nfs, cifs, sshfs, ...). Whether a reflink is possible is found out by
 * trying FICLONE between two scratch O_TMPFILE files on it, never from its name.
 */
#ifndef RT_TARGET_H
#define RT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct target {
	char *mountpoint, *fstype, *source; /* malloc'ed */
	dev_t dev;                          /* st_dev of the mountpoint */
	/* statfs f_fsid as 64 bits (val[0] low); on btrfs with the subvolume's part
	 * taken out, so that it is equal across the subvolumes of one filesystem */
	uint64_t fsid;
	uint64_t size;  /* filesystem size in bytes */
	uint64_t avail; /* bytes we may still write (f_bavail * f_frsize) */
	bool readonly, ram, network;
	int reflink; /* 1 FICLONE works here, 0 it does not, -1 not tried (read-only, no
	              * O_TMPFILE, not root, network or FUSE: could hang) */
};

struct target_list {
	struct target *v;
	size_t n;
};

/* Read every candidate target from this namespace's mount table. A filesystem
 * mounted at several places (same st_dev) is listed once, at its shortest mountpoint
 * (a writable one before a read-only bind of it). Left out: overmounted mountpoints,
 * and ones that cannot be looked at (gone, no permission, a network server that does
 * not answer within 2 s). PROBE_REFLINK, as root, tries FICLONE on each writable local
 * target (it writes one 4 KiB block to an unnamed scratch file that vanishes at once).
 * Returns 0 or a negative errno (then OUT is empty); OUT is freed with
 * target_list_free. */
int target_list_read(struct target_list *out, bool probe_reflink);

/* Free the list. */
void target_list_free(struct target_list *l);

/* Is T the filesystem a file with st_dev DEV lives on? (Same device, or the same
 * filesystem id, as for btrfs subvolumes.) FSID is the file's fsid, 0 when
 * unknown (from target_fsid_of_fd). */
bool target_same_fs(const struct target *t, dev_t dev, uint64_t fsid);

/* The fsid (as in struct target) of the filesystem an open fd is on, 0 when unknown.
 * FD must not be O_PATH for the btrfs subvolume part to be taken out. */
uint64_t target_fsid_of_fd(int fd);

#endif
