/* loopdev: loop devices whose backing file was deleted.
 *
 * No process holds such a file, so /proc shows nothing and lsof misses it; the
 * kernel's loop driver is the only holder. sysfs gives the backing path (not cut at
 * 64 bytes like LOOP_GET_STATUS64's lo_file_name), offset, sizelimit and autoclear;
 * the ioctl gives the backing file's device and inode.
 */
#ifndef RT_LOOPDEV_H
#define RT_LOOPDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop_dev {
	char name[32]; /* "loop3" */
	char path[48]; /* "/dev/loop3" */
	dev_t devno;   /* the loop device's own number (7:3) */
	char *backing; /* backing path, " (deleted)" removed; malloc'ed */
	size_t backing_len;
	uint64_t offset, sizelimit;
	bool autoclear, readonly;
	dev_t file_dev;    /* backing file's st_dev (lo_device) */
	uint64_t file_ino; /* backing file's inode (lo_inode) */
};

/* Find every attached loop device whose backing file has no name left. SYSROOT is
 * "/sys" (tests may point elsewhere for the sysfs part). Fills *OUT (malloc'ed array,
 * free with loop_free) and *N. A device that detaches while we look is skipped.
 * *DENIED counts devices whose ioctl was refused (needs root). Returns 0 or a
 * negative errno when /sys/block cannot be read at all. */
int loop_find_deleted(const char *sysroot, struct loop_dev **out, size_t *n, unsigned *denied);

/* Free what loop_find_deleted returned. */
void loop_free(struct loop_dev *v, size_t n);

#endif
