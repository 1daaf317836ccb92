/* One held deleted file as the BPF iterators report it: the record both the BPF
 * programs (find/bpf/deleted.bpf.c) and their reader (find/bpfscan.c) use, laid out
 * with fixed-size fields only so that both compilers agree on it. */
#ifndef RT_FIND_BPF_RECORD_H
#define RT_FIND_BPF_RECORD_H

#define BPFREC_FD   1 /* an open fd: FD, POS, FLAGS (f_flags), MNT_ID */
#define BPFREC_MMAP 2 /* a mapping: [START, END), FLAGS (the VMA's flags) */

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
};

#endif
