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
	              * O_TMPFILE, not root, network or FUSE, or it did not answer) */
	/* false: looking at it (statfs) or probing it (the reflink scratch write) did not
	 * answer within TARGET_TIMEOUT_MS: frozen (fsfreeze, a backup tool, our own
	 * --freeze), or a dead server. Sizes are then 0. Never a place to write to. */
	bool answering;
	/* The storage under it reaches a loop device whose backing file is deleted (loop
	 * over loop, dm or md over loop, partitions of one, followed through
	 * /sys/block/X/slaves and loop backing files): it vanishes when that loop
	 * device is detached. DOOM_LOOP is that loop device ("/dev/loop3"), NULL when
	 * it is not doomed. Malloc'ed. */
	char *doom_loop;
	/* The loop backing files the storage under it reaches (deleted or not): a file
	 * among them must never be rescued onto this target. Malloc'ed. */
	struct target_backing {
		dev_t dev;
		uint64_t ino;
		char loop[32]; /* "loop3" */
	} *backing;
	size_t nbacking;
};

/* How long a look at one target, or its reflink probe, may take. */
#define TARGET_TIMEOUT_MS 2000

struct target_list {
	struct target *v;
	size_t n;
};

/* Read every candidate target from this namespace's mount table. A filesystem
 * mounted at several places (same st_dev) is listed once, at its shortest mountpoint
 * (a writable one before a read-only bind of it). Left out: overmounted mountpoints,
 * and ones that cannot be looked at (gone, no permission). Every look runs in a child
 * process, all at once, given up after TARGET_TIMEOUT_MS: a frozen filesystem or a
 * dead server is listed with ANSWERING false instead of hanging the caller (a child
 * stuck in the kernel is left behind, orphaned, and ends when the filesystem
 * answers). PROBE_REFLINK, as root, tries FICLONE on each writable local target (it
 * writes one 4 KiB block to an unnamed scratch file that vanishes at once), with
 * the same deadline. The storage under each target is walked for deleted loop
 * backing files (DOOM_LOOP, BACKING).
 * Returns 0 or a negative errno (then OUT is empty); OUT is freed with
 * target_list_free. */
int target_list_read(struct target_list *out, bool probe_reflink);

/* Free the list. */
void target_list_free(struct target_list *l);

/* Does the storage under T reach the file DEV:INO (a loop device backed by it)?
 * Returns that loop device's name ("loop3"), or NULL. */
const char *target_on_file(const struct target *t, dev_t dev, uint64_t ino);

/* Walk the storage under block device DEVNO in the sysfs tree SYS ("/sys"): every
 * loop device reached (through partitions and slaves) is added to *BACKING (its
 * backing file's device and inode when LOOP_GET_STATUS64 tells, else 0:0), and the
 * first one whose backing file is deleted is put in DOOM ("/dev/loopN", DOOM_LEN
 * bytes; left empty when none). Cycles and depths past TARGET_CHAIN_DEPTH end the
 * walk. Returns 0 or -ENOMEM. */
#define TARGET_CHAIN_DEPTH 16
int target_walk_storage(const char *sys, dev_t devno, struct target_backing **backing, size_t *n,
                        char *doom, size_t doom_len);

/* Is T the filesystem a file with st_dev DEV lives on? (Same device, or the same
 * filesystem id, as for btrfs subvolumes.) FSID is the file's fsid, 0 when
 * unknown (from target_fsid_of_fd). */
bool target_same_fs(const struct target *t, dev_t dev, uint64_t fsid);

/* The fsid (as in struct target) of the filesystem an open fd is on, 0 when unknown.
 * FD must not be O_PATH for the btrfs subvolume part to be taken out. */
uint64_t target_fsid_of_fd(int fd);

#endif
