/* One held deleted file as the BPF iterators report it: the record both the BPF
 * programs (find/bpf/deleted.bpf.c) and their reader (find/bpfscan.c) use, laid out
 * with fixed-size fields only so that both compilers agree on it. */
#ifndef RT_FIND_BPF_RECORD_H
#define RT_FIND_BPF_RECORD_H

#define BPFREC_FD   1 /* an open fd: FD, POS, FLAGS (f_flags), MNT_ID */
#define BPFREC_MMAP 2 /* a mapping: [START, END), FLAGS (the VMA's flags), MNT_ID, EXE */
/* The command line of process TGID, what /proc/TGID/cmdline reads, in place of
 * a name: only where that is the plain argument area (not one setproctitle
 * rewrote), not empty and shorter than BPFREC_PATH_MAX; otherwise there is no
 * such record and /proc is read. */
#define BPFREC_CMDLINE 3

struct bpfscan_rec {
	unsigned long long ino;
	unsigned long long size;
	unsigned long long pos;   /* BPFREC_FD: the file position; BPFREC_MMAP: START */
	unsigned long long end;   /* BPFREC_MMAP: the end of the mapping */
	unsigned long long flags; /* f_flags or vm_flags */
	unsigned int dev;         /* the kernel's dev_t: major << 20 | minor */
	int kind;                 /* BPFREC_FD or BPFREC_MMAP */
	int tgid, tid;            /* process and thread, in the initial pid namespace */
	int fd;
	int mnt_id;
	unsigned int euid; /* the process's effective uid */
	char state;        /* its state letter, as /proc/PID/stat shows it */
	char comm[16];     /* its name, as /proc/PID/stat shows it */
	/* Set by the reader, not the kernel: this fd is the one its file is named and
	 * pinned through (a file held by many fds is looked up once). */
	unsigned char lead;
	/* BPFREC_MMAP: 1 when the file is the process's executable (its mm's exe_file) */
	unsigned char exe;
	/* The file's name as /proc/PID/fd/N (or map_files) would read it, " (deleted)"
	 * included, PATH_LEN bytes without a NUL (0: the kernel could not say, the
	 * name is read from /proc). The kernel writes BPFREC_PADDED(PATH_LEN) bytes
	 * after the record, the name first; the reader keeps the names elsewhere,
	 * this one PATH_OFF bytes into its buffer of names. */
	unsigned int path_len;
	unsigned long long path_off;
};

/* Room for a name: d_path's limit, a page. */
#define BPFREC_PATH_MAX 4096
/* What follows a record with a name of LEN bytes (LEN < BPFREC_PATH_MAX): the
 * name and 1 to 8 bytes more, so that the next record starts at a multiple of 8;
 * never more than BPFREC_PATH_MAX, in a way the verifier can see. */
#define BPFREC_PADDED(len) (((len) & (BPFREC_PATH_MAX - 8)) + 8)

#endif
