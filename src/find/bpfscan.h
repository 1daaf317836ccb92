/* bpfscan: every held deleted file of the system from BPF iterators.
 *
 * Two iterator programs (find/bpf/deleted.bpf.c) walk every task's open files and
 * mappings inside the kernel and report only regular files with no name left, so
 * the /proc walk is needed for those alone: it is the candidates' source, not the
 * whole scan (scan.c adds paths, pins and process details). Needs CAP_BPF and
 * CAP_PERFMON (or root), a kernel with BTF and iter/task_vma (5.12), and the
 * initial pid namespace (the iterators speak its pids). The iterators also name
 * each file (d_path) and, on Linux 5.18 and later, give the command line of each
 * process that holds a deleted fd, so /proc is left to the pins. The programs are
 * loaded through a light skeleton, relocated by the kernel (5.18 and later: no BTF
 * parsed in user space), and through libbpf's skeleton where that fails (then
 * without the command lines before 5.18). Built only when libbpf is (RT_BPF);
 * otherwise every call says -ENOSYS.
 */
#ifndef RT_FIND_BPFSCAN_H
#define RT_FIND_BPFSCAN_H

#include "find/bpf/record.h"

#include <stddef.h>

/* Run both iterators. On success *V holds *N records (BPFREC_FD and
 * BPFREC_CMDLINE ones before BPFREC_MMAP ones), *NAMES the files' names and the
 * command lines (record C's are C->path_len bytes at *NAMES + C->path_off, without
 * a NUL; none when path_len is 0), and 0 is returned; free both with free(). Negative errno when this path is not
 * available here, the caller then walks /proc: -ENOSYS (built without libbpf, or
 * no kernel BTF), -EPERM (no privileges, or a seccomp filter), -EXDEV (another
 * pid namespace), -ENOMEM, or what loading or attaching said. Never prints
 * (libbpf's messages are silenced). */
int bpfscan_collect(struct bpfscan_rec **v, size_t *n, char **names);

/* Whether this build has the BPF path at all. */
int bpfscan_built(void);

/* What bpfscan_collect() would say before loading anything: 0 when it will most
 * likely work (built with it, root, kernel BTF, the initial pid namespace), else
 * -ENOSYS, -EPERM or -EXDEV. Costs an access() and a readlink(). */
int bpfscan_usable(void);

#endif
