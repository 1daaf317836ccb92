/* scan: find every deleted file that something still holds.
 *
 * One entry per inode, with all of its holders: open fds (/proc/PID/fd), memory
 * mappings (/proc/PID/maps), and loop devices (/sys/block/loop*). A file counts as
 * deleted only when the opened inode has st_nlink == 0, never on the " (deleted)"
 * suffix alone. Every entry is pinned (see pin.h) so its data outlives its holders
 * for as long as the scan result lives. The scan knows nothing of who consumes it:
 * the CLI report and the console both read the same result.
 */
#ifndef RT_SCAN_H
#define RT_SCAN_H

#include "find/pin.h"
#include "find/rate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum scan_kind {
	KIND_FILE,    /* an ordinary file that lost its last name */
	KIND_TMPFILE, /* opened with O_TMPFILE: never had a name */
	KIND_MEMFD,   /* memfd_create(): anonymous memory with a file face */
	KIND_SHM,     /* shared memory: /dev/shm, SysV segments, shared anonymous maps */
};

enum holder_type { HOLDER_FD, HOLDER_MMAP, HOLDER_LOOP };

struct holder {
	enum holder_type type;
	/* fd and mmap holders */
	pid_t pid;
	bool other_mntns;            /* the holder lives in another mount namespace */
	char *comm, *user, *cmdline; /* from libproc2; NULL when the process is gone */
	char state;
	uid_t uid; /* effective uid, when uid_known */
	bool uid_known;
	bool others_pin; /* a pin (pin_flags_match) of another rescuetui or a program
	                  * using this library: kept only when nothing else holds the
	                  * file */
	/* fd holders */
	pid_t tid; /* the thread whose own fd table (unshare(CLONE_FILES)) holds FD;
	            * 0: the process's table */
	int fd;
	unsigned access; /* PARSE_ACC_R | PARSE_ACC_W */
	bool append;
	uint64_t pos;
	unsigned flags; /* raw f_flags from fdinfo */
	int mnt_id;
	/* mmap holders: all mappings of the file in one process */
	bool map_write; /* some mapping is shared and writable: writes reach the file */
	bool exe;       /* the process's own executable */
	uint64_t map_bytes;
	/* loop holders */
	char loop_dev[48]; /* "/dev/loop3" */
	uint64_t offset, sizelimit;
	bool autoclear, readonly;
	char *loop_mountpoint; /* where the filesystem on the loop device is mounted */
	char *loop_fstype;
};

struct entry {
	dev_t dev;
	ino_t ino;
	char *path; /* original name as a holder sees it, suffix removed; bytes */
	size_t path_len;
	bool path_other_ns; /* PATH is from another mount namespace */
	bool path_from_pin; /* PATH is how another rescuetui's pin names it */
	enum scan_kind kind;
	uint64_t size, allocated;
	bool size_known; /* false for a loop file we could not open: SIZE is a floor */
	struct timespec mtime;
	char *fstype, *mountpoint; /* NULL when the filesystem is kernel-internal */
	struct holder *holders;
	size_t nholders;
	struct pin pin;
	/* A loop file pinned only through /dev/loopN: bytes the device cannot give (the
	 * offset before it, the tail past the last whole sector). -1 when not known. */
	int64_t unreadable;
	/* Re-opening /proc/PID/fd/N failed with this (negative errno), so the pin is a
	 * duplicate of a holder's own open file (PIN_GETFD), or there is none; 0 when
	 * re-opening worked or was not tried. */
	int reopen_err;
	/* How it changes: filled by rate_sample_all(); CHANGE_UNKNOWN until then. */
	struct rate_result change;
};

struct scan_stats {
	unsigned procs;       /* processes looked at */
	unsigned fds;         /* fds looked at */
	unsigned denied;      /* processes we were not allowed to inspect */
	unsigned vanished;    /* processes or fds gone while we looked */
	unsigned unconfirmed; /* deleted mappings we could not open (need root) */
	unsigned loop_denied; /* loop devices we could not query */
	unsigned unpinned;    /* entries we could not pin */
	unsigned dup_pinned;  /* entries that could not be re-opened, pinned by pidfd_getfd */
	unsigned hidden;      /* memfd/shm entries left out without --all */
	unsigned no_fds;      /* opens refused for want of fds (EMFILE/ENFILE) */
	unsigned described;   /* holding processes described while walked (or by BPF) */
	unsigned threads;     /* threads with an fd table of their own looked at */
};

/* How the candidates were found: BPF iterators, or the walk of /proc. */
enum scan_method { SCAN_AUTO, SCAN_PROC, SCAN_BPF };

struct scan_result {
	struct entry *v;
	size_t n;
	struct scan_stats st;
	bool root; /* ran with full privileges */
	enum scan_method method; /* SCAN_BPF or SCAN_PROC: the path taken */
	int bpf_err;             /* why SCAN_AUTO walked /proc (negative errno, see bpfscan.h); 0 */
	double bpf_ms;           /* time the BPF iterators took, loading included */
};

struct scan_opts {
	bool all;         /* keep memfd and shm entries */
	const char *proc; /* "/proc" */
	const char *sys;  /* "/sys" */
	bool text_maps;   /* read the text of maps even where PROCMAP_QUERY works */
	/* SCAN_AUTO: BPF iterators where the kernel allows them, else /proc;
	 * SCAN_PROC: /proc only; SCAN_BPF: BPF or fail (scan_run says why). */
	enum scan_method method;
	/* Only files whose original path, as a holder names it, is PATH or under it for
	 * one of the NONLY paths (absolute, no trailing slash needed); a loop device
	 * counts by its backing file's path. None: every file. */
	const char *const *only;
	size_t nonly;
	/* Only files held by one of these NPIDS processes (loop devices are held by no
	 * process: none of them then). None: every process. With both filters a file
	 * must pass both. Whatever a filter leaves out is never pinned nor counted. */
	const pid_t *pids;
	size_t npids;
	/* Called once (when not NULL) with LISTED_ARG, from scan_run's thread, when the
	 * processes to look at are known and before any is looked at (the BPF path:
	 * before loading, as it names only tasks holding deleted files): work beside
	 * the scan that starts processes (the targets' probes fork) starts there, so
	 * that the scan neither walks nor counts them. Not called when scan_run fails
	 * before. */
	void (*listed)(void *arg);
	void *listed_arg;
};

/* Scan the system. Fills R (free with scan_free; that also releases the pins).
 * Returns 0, or a negative errno when /proc cannot be read at all or memory runs out,
 * or (O->method SCAN_BPF only) what kept the BPF path from working (bpfscan.h);
 * vanishing processes and permission problems are counted in R->st, not errors. */
int scan_run(const struct scan_opts *o, struct scan_result *r);

/* Make room for the pins of a scan of the whole machine while the caller is still
 * one thread: a face calls it before it starts any. The room is that of scan_run
 * for as many processes as there are tasks now (threads count, so it is never too
 * little). scan_run makes room again, which then costs nothing; made there, beside
 * another thread, it would wait for an RCU grace period (8 ms measured on a 2-CPU
 * VM). Returns how many more fds may be opened (pin_reserve). */
size_t scan_reserve(void);

/* Is the path P (LEN bytes) DIR itself or below it? "/" holds every absolute path;
 * a trailing slash of DIR does not matter. */
bool scan_path_under(const char *p, size_t len, const char *dir);

/* Release every pin and free the result. */
void scan_free(struct scan_result *r);

/* "auto", "proc", "bpf". */
const char *scan_method_name(enum scan_method m);

/* "file", "tmpfile", "memfd", "shm". */
const char *scan_kind_name(enum scan_kind k);

/* The entry's id as "MAJ:MIN:INO" into BUF. Returns BUF. */
char *scan_entry_id(const struct entry *e, char *buf, size_t len);

/* Find the entry SEL names (the selectors of rescuetui(8)): an id "MAJ:MIN:INO", "PID:FD" of an fd
 * holder, "loopN" or "/dev/loopN", or the original path when exactly one entry has
 * it. Returns the index, -ENOENT when nothing matches, -ENOTUNIQ when a path names
 * several entries (use the id then). */
long scan_select(const struct scan_result *r, const char *sel);

/* Union of the access of every holder that can change the data (fd holders with
 * write access, shared writable mappings, loop devices that are not read-only). */
bool scan_entry_writable(const struct entry *e);

#endif
