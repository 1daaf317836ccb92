/* BPF iterators over every task's open files and mappings: one record
 * (find/bpf/record.h) for each regular file whose last name is gone (nlink 0).
 * iter/task_file visits a thread only when it has an fd table of its own (one
 * that called unshare(CLONE_FILES)), so those files are seen too. */
#include "find/bpf/types.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "find/bpf/record.h"

char LICENSE[] SEC("license") = "GPL";

/* RT_BPF_PART 1: only the programs over fds, 2: only the one over mappings, each
 * for a light skeleton of its own (loaded in a thread of its own: the kernel
 * verifies and relocates the two at once); 0: all of them, for libbpf's skeleton. */
#ifndef RT_BPF_PART
#define RT_BPF_PART 0
#endif
#define WANT_FDS  (RT_BPF_PART != 2)
#define WANT_MAPS (RT_BPF_PART != 1)

/* A record and its name, made in a scratch slot (too big for the stack) and
 * written out in one piece. Each program has a slot of its own: one reader runs
 * each iterator, and the sleepable one may be preempted in the middle of a
 * record while the other runs on the same CPU. */
struct out {
	struct bpfscan_rec r;
	char path[BPFREC_PATH_MAX];
};

#define SCRATCH(name)                                                                              \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);                                                  \
		__uint(max_entries, 1);                                                            \
		__type(key, __u32);                                                                \
		__type(value, struct out);                                                         \
	} name SEC(".maps")

#if RT_BPF_OLD_KERNELS
SCRATCH(fds_slot);
#endif
#if WANT_FDS
SCRATCH(fds_cmd_slot);
#endif
#if WANT_MAPS
SCRATCH(maps_slot);
#endif

static __always_inline struct out *scratch_slot(void *map)
{
	__u32 zero = 0;
	struct out *o = bpf_map_lookup_elem(map, &zero);

	if (o)
		__builtin_memset(&o->r, 0, sizeof(o->r));
	return o;
}

/* The process whose command line deleted_fds_cmd wrote last: a process's fds
 * come one after another, so each is written once (at most once more for a
 * thread with an fd table of its own, visited later). */
#if WANT_FDS
int cmd_tgid;
#endif

/* Name O's file (d_path, as readlink of /proc/PID/fd/N does) and write the record
 * with its name. */
static __always_inline void emit(struct seq_file *seq, struct out *o, struct path *path)
{
	long n = bpf_d_path(path, o->path, sizeof(o->path));
	__u32 len = n > 1 && n <= BPFREC_PATH_MAX ? (__u32)n - 1 : 0;

	o->r.path_len = len;
	bpf_seq_write(seq, o, sizeof(o->r) + BPFREC_PADDED(len));
}

#define S_IFMT  0170000
#define S_IFREG 0100000

/* The task states of include/linux/sched.h that /proc reports, and the letters
 * fs/proc/array.c gives them: the index is the highest bit set. */
#define TASK_REPORT          0x7f
#define TASK_IDLE_BITS       0x402 /* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
#define TASK_RTLOCK_WAIT     0x1000
#define TASK_UNINTERRUPTIBLE 0x2
#define STATE_REPORT_IDLE    0x80

static __always_inline char state_letter(struct task_struct *t)
{
	const char letters[] = "RSDTtXZPI";
	unsigned int st, s;
	int i = 0;

	if (bpf_core_field_exists(t->__state))
		st = BPF_CORE_READ(t, __state);
	else
		st = (unsigned int)BPF_CORE_READ((struct task_struct___old *)t, state);
	s = (st | (unsigned int)BPF_CORE_READ(t, exit_state)) & TASK_REPORT;
	if ((st & TASK_IDLE_BITS) == TASK_IDLE_BITS)
		s = STATE_REPORT_IDLE;
	if (st == TASK_RTLOCK_WAIT)
		s = TASK_UNINTERRUPTIBLE;
	while (s && i < 9) {
		s >>= 1;
		i++;
	}
	return letters[i < 9 ? i : 8];
}

/* Who the process is, as /proc/PID/stat and status say it: its leader's name,
 * state and effective uid (a thread's record speaks for the whole process). */
static __always_inline void describe(struct task_struct *task, struct bpfscan_rec *r)
{
	struct task_struct *lead = BPF_CORE_READ(task, group_leader);

	if (!lead)
		lead = task;
	r->tgid = BPF_CORE_READ(task, tgid);
	r->tid = BPF_CORE_READ(task, pid);
	r->euid = BPF_CORE_READ(lead, cred, euid.val);
	r->state = state_letter(lead);
	BPF_CORE_READ_STR_INTO(&r->comm, lead, comm);
}

/* Is FILE a regular file whose last name is gone? */
static __always_inline bool unlinked(struct file *file)
{
	struct inode *inode = file->f_inode;

	return inode && (inode->i_mode & S_IFMT) == S_IFREG && inode->i_nlink == 0;
}

/* A deleted regular file: fill what R says about its inode. */
static __always_inline bool deleted(struct file *file, struct bpfscan_rec *r)
{
	struct inode *inode = file->f_inode;

	if (!unlinked(file))
		return false;
	r->ino = inode->i_ino;
	r->size = (unsigned long long)inode->i_size;
	r->dev = inode->i_sb->s_dev;
	return true;
}

/* The id of the mount FILE was opened through, as fdinfo's mnt_id gives it. */
static __always_inline int mount_id(struct file *file)
{
	struct vfsmount *mnt = file->f_path.mnt;

	/* container_of(mnt, struct mount, mnt), with the offset of this kernel */
	return BPF_CORE_READ(
	    (struct mount *)((char *)mnt - bpf_core_field_offset(struct mount, mnt)), mnt_id);
}

/* The record of one deleted fd; false when the file is none. */
static __always_inline bool fd_record(struct bpf_iter__task_file *ctx, struct out *o)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;

	if (!task || !file || !o || !deleted(file, &o->r))
		return false;
	o->r.kind = BPFREC_FD;
	describe(task, &o->r);
	o->r.fd = (int)ctx->fd;
	o->r.pos = (unsigned long long)file->f_pos;
	o->r.flags = file->f_flags;
	o->r.mnt_id = mount_id(file);
	emit(ctx->meta->seq, o, &file->f_path);
	return true;
}

#if RT_BPF_OLD_KERNELS
/* Only in the object libbpf's skeleton loads, for kernels before 5.18. */
SEC("iter/task_file")
int deleted_fds(struct bpf_iter__task_file *ctx)
{
	if (ctx->file && unlinked(ctx->file))
		fd_record(ctx, scratch_slot(&fds_slot));
	return 0;
}
#endif

/* The same, and before the first record of each process its command line as
 * get_mm_cmdline() of fs/proc/base.c gives it in the plain case: the bytes from
 * arg_start to arg_end when the last of them is still a NUL. Reading another
 * process's memory may sleep: Linux 5.18 and later (bpf_copy_from_user_task). */
#if WANT_FDS
SEC("iter.s/task_file")
int deleted_fds_cmd(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct mm_struct *mm;
	unsigned long start, end;
	struct out *o;
	__u32 len;

	/* only for a process that holds a deleted file (fd_record says which) */
	if (!file || !unlinked(file) || !task)
		return 0;
	if (task->tgid == cmd_tgid || !(o = scratch_slot(&fds_cmd_slot)))
		goto fd;
	cmd_tgid = task->tgid;
	mm = task->mm;
	if (!mm || !mm->env_end)
		goto fd;
	start = mm->arg_start;
	end = mm->arg_end;
	if (end <= start || end - start >= BPFREC_PATH_MAX)
		goto fd;
	len = (__u32)(end - start);
	if (bpf_copy_from_user_task(o->path, len & (BPFREC_PATH_MAX - 1), (void *)start, task, 0) ||
	    o->path[(len - 1) & (BPFREC_PATH_MAX - 1)] != '\0')
		goto fd;
	o->r.kind = BPFREC_CMDLINE;
	o->r.tgid = task->tgid;
	o->r.tid = task->pid;
	o->r.fd = -1;
	o->r.path_len = len;
	bpf_seq_write(ctx->meta->seq, o, sizeof(o->r) + BPFREC_PADDED(len));
fd:
	fd_record(ctx, scratch_slot(&fds_cmd_slot));
	return 0;
}
#endif

#if WANT_MAPS
SEC("iter/task_vma")
int deleted_maps(struct bpf_iter__task_vma *ctx)
{
	struct task_struct *task = ctx->task;
	struct vm_area_struct *vma = ctx->vma;
	struct file *file;
	struct out *o;

	/* nearly every mapping is of a file with a name (or of none): that is told
	 * before anything else is read or cleared */
	if (!vma || !(file = vma->vm_file) || !unlinked(file) || !task)
		return 0;
	/* threads share the leader's mappings: those of the leader are enough */
	if (task->pid != task->tgid && task->group_leader && task->group_leader->mm)
		return 0;
	if (!(o = scratch_slot(&maps_slot)) || !deleted(file, &o->r))
		return 0;
	o->r.kind = BPFREC_MMAP;
	describe(task, &o->r);
	o->r.fd = -1;
	o->r.pos = vma->vm_start;
	o->r.end = vma->vm_end;
	o->r.flags = vma->vm_flags;
	/* what /proc would be asked: the mount (is the name ours?) and the executable */
	o->r.mnt_id = mount_id(file);
	o->r.exe = BPF_CORE_READ(task, mm, exe_file, f_inode) == file->f_inode;
	emit(ctx->meta->seq, o, &file->f_path);
	return 0;
}
#endif
