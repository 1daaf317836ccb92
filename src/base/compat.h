/* compat: system calls that glibc wraps and musl 1.2.3 (the static build's C library,
 * Debian 12's musl-tools) does not: renameat2, close_range and statx. With glibc this
 * header adds nothing. The wrappers below behave like glibc's: -1 and errno set on
 * failure, and ENOSYS where the kernel is too old, which the callers already handle.
 *
 * Include it as "base/compat.h" in each file that uses one of these calls; it brings
 * the system headers it needs itself. */
#ifndef RT_BASE_COMPAT_H
#define RT_BASE_COMPAT_H

#ifndef __GLIBC__

#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Numbers from the x86_64 and generic tables, for a musl whose <sys/syscall.h> is
 * older than the call. */
#ifndef SYS_renameat2
#if defined(__x86_64__)
#define SYS_renameat2 316
#else
#define SYS_renameat2 276
#endif
#endif
#ifndef SYS_statx
#if defined(__x86_64__)
#define SYS_statx 332
#else
#define SYS_statx 291
#endif
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434 /* the same number on every architecture */
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef AT_STATX_DONT_SYNC
#define AT_STATX_DONT_SYNC 0x4000 /* statx: what is cached, without asking */
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* renameat2(2): rename OLD to NEW (both relative to their directory fds); with
 * RENAME_NOREPLACE it fails with EEXIST instead of replacing NEW. */
static inline int rt_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                               unsigned int flags)
{
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}
#define renameat2(...) rt_renameat2(__VA_ARGS__)

/* close_range(2): close every fd from FIRST to LAST (inclusive). */
static inline int rt_close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
#define close_range(...) rt_close_range(__VA_ARGS__)

/* statx(2). musl 1.2.3 has neither the call nor the structure; <linux/stat.h> has the
 * structure but clashes with musl's <sys/stat.h> over the S_IF* macros, so the parts
 * rescuetui reads are declared here, laid out as the kernel's ABI fixes them. */
#ifndef STATX_TYPE
#define STATX_TYPE        0x00000001U
#define STATX_MODE        0x00000002U
#define STATX_NLINK       0x00000004U
#define STATX_INO         0x00000100U
#define STATX_SIZE        0x00000200U
#define STATX_BLOCKS      0x00000400U
#define STATX_BASIC_STATS 0x000007ffU
#define STATX_MNT_ID      0x00001000U

struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t statx_reserved;
};

struct statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t statx_pad1;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major;
	uint32_t stx_rdev_minor;
	uint32_t stx_dev_major;
	uint32_t stx_dev_minor;
	uint64_t stx_mnt_id;
	uint64_t statx_spare[13];
};
_Static_assert(sizeof(struct statx) == 256, "struct statx as the kernel lays it out");
#endif

/* statx(2): what fstatat gives and more (here: the mount id), for the fields in
 * MASK; the kernel says in stx_mask which it filled. */
static inline int rt_statx(int dirfd, const char *path, int flags, unsigned int mask,
                           struct statx *stx)
{
	return (int)syscall(SYS_statx, dirfd, path, flags, mask, stx);
}
#define statx(...) rt_statx(__VA_ARGS__)

#endif /* !__GLIBC__ */

#endif
