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
	dev_t dev;        /* st_dev of the mountpoint */
	uint64_t fsid;    /* statvfs f_fsid: equal across btrfs subvolumes */
	uint64_t size;    /* filesystem size in bytes */
	uint64_t avail;   /* bytes we may still write (f_bavail * f_frsize) */
	bool readonly, ram, network;
	int reflink; /* 1 FICLONE works here, 0 it does not, -1 not tried (read-only, no
		      * O_TMPFILE, not root) */
};

struct target_list {
	struct target *v;
	size_t n;
};

/* Read every candidate target from this namespace's mount table. A filesystem
 * mounted at several places is listed once, at its shortest mountpoint; overmounted
 * mountpoints are skipped. PROBE_REFLINK tries FICLONE on each writable target (it
 * writes one 4 KiB block to an unnamed scratch file that vanishes at once). Returns
 * 0 or a negative errno; OUT is freed with target_list_free. */
int target_list_read(struct target_list *out, bool probe_reflink);

/* Free the list. */
void target_list_free(struct target_list *l);

/* Is T the filesystem a file with st_dev DEV lives on? (Same device, or the same
 * filesystem id, as for btrfs subvolumes.) FSID is the file's statvfs fsid, 0 when
 * unknown. */
bool target_same_fs(const struct target *t, dev_t dev, uint64_t fsid);

/* The statvfs fsid of the filesystem an open fd is on, 0 when unknown. */
uint64_t target_fsid_of_fd(int fd);

#endif
