/* The few kernel types the BPF iterators read, written by hand instead of a
 * generated vmlinux.h: only the fields used, each relocated by name against the
 * running kernel's BTF when the program is loaded (CO-RE), so neither their order
 * nor the structs' sizes here matter. Unions the kernel wraps some of them in
 * (i_nlink, vm_flags, f_path) are looked through by the relocation. */
#ifndef RT_FIND_BPF_TYPES_H
#define RT_FIND_BPF_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

/* enum bpf_map_type of include/uapi/linux/bpf.h (kernel ABI). */
#define BPF_MAP_TYPE_ARRAY 2

/* bpf_helper_defs.h names these in prototypes; they are never dereferenced. */
struct seq_file;

#define RT_CORE __attribute__((preserve_access_index))

struct super_block {
	__u32 s_dev; /* the kernel's dev_t: major << 20 | minor */
} RT_CORE;

struct inode {
	__u16 i_mode;
	unsigned int i_nlink;
	unsigned long i_ino;
	__s64 i_size;
	struct super_block *i_sb;
} RT_CORE;

struct vfsmount {
	struct super_block *mnt_sb;
} RT_CORE;

/* The mount a vfsmount is embedded in: its id is what fdinfo calls mnt_id. */
struct mount {
	struct vfsmount mnt;
	int mnt_id;
} RT_CORE;

struct path {
	struct vfsmount *mnt;
} RT_CORE;

struct file {
	unsigned int f_mode;
	unsigned int f_flags;
	struct inode *f_inode;
	struct path f_path;
	__s64 f_pos;
} RT_CORE;

struct mm_struct {
	struct file *exe_file;
	unsigned long arg_start, arg_end, env_end;
} RT_CORE;

typedef struct {
	unsigned int val;
} kuid_t;

struct cred {
	kuid_t euid;
} RT_CORE;

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	unsigned int __state; /* "state" before Linux 5.14: see task_struct___old */
	int exit_state;
	const struct cred *cred;
	struct mm_struct *mm;
	struct task_struct *group_leader;
} RT_CORE;

struct task_struct___old {
	long state;
} RT_CORE;

struct vm_area_struct {
	unsigned long vm_start;
	unsigned long vm_end;
	unsigned long vm_flags;
	struct file *vm_file;
} RT_CORE;

struct bpf_iter_meta {
	struct seq_file *seq;
	__u64 session_id;
	__u64 seq_num;
} RT_CORE;

/* The contexts of iter/task_file (5.8) and iter/task_vma (5.12). */
struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
} RT_CORE;

struct bpf_iter__task_vma {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	struct vm_area_struct *vma;
} RT_CORE;

#endif
