/* Mappings of deleted files are found the same way through PROCMAP_QUERY (Linux
 * 6.11; the kernel names only the file of each region, and a file seen once with a
 * name is not looked at again) and through the text of /proc/PID/maps (older
 * kernels, and without root): the same entries, holders, mapped bytes, write flag
 * and exact path. */
#include "find/pin.h"
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PROCMAP_QUERY as the kernel defines it (Linux 6.11): the probe needs only its
 * size for the ioctl number. */
struct probe_query {
	uint64_t size, query_flags, query_addr;
	uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PROBE_PROCMAP_QUERY _IOWR('f', 17, struct probe_query)

/* need_procmap_query(): skip unless the scan's fast path runs here: PROCMAP_QUERY in the kernel, and root
 * for map_files. Without them both scans read the text of maps, and comparing the
 * two would compare the text with itself. */
static bool have_procmap_query(void)
{
	struct probe_query q = {.size = sizeof(q), .query_flags = 0x10 /* COVERING_OR_NEXT */};
	int fd, r;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	r = ioctl(fd, PROBE_PROCMAP_QUERY, &q);
	close(fd);
	return r == 0;
}

#define need_procmap_query()                                                                       \
	do {                                                                                       \
		tl_need_root();                                                                    \
		if (!have_procmap_query())                                                         \
			tl_skip("the kernel has no PROCMAP_QUERY (Linux 6.11): only the text of "  \
			        "maps can be read");                                               \
	} while (0)

static void scan_with(struct scan_result *r, bool text)
{
	struct scan_opts o = tl_scan_opts();

	o.text_maps = text;

	ck_assert_int_eq(scan_run(&o, r), 0);
}

/* The mmap holder of PID in E; fails when there is none. */
static const struct holder *mmap_holder(const struct entry *e, pid_t pid)
{
	for (size_t i = 0; i < e->nholders; i++)
		if (e->holders[i].type == HOLDER_MMAP && e->holders[i].pid == pid)
			return &e->holders[i];
	ck_abort_msg("no mapping holder for pid %d", (int)pid);
	return NULL;
}

static void check_mapped(const struct scan_result *r, ino_t ino, const char *path,
                         const struct tl_holder *h, int spec, bool write)
{
	const struct entry *e = tl_find(r, ino);

	ck_assert_str_eq(e->path, path);
	ck_assert_uint_eq(e->nholders, (size_t)h->n);
	ck_assert_int_eq(e->pin.kind, PIN_MAP);
	for (int i = 0; i < h->n; i++) {
		const struct holder *m = mmap_holder(e, h->pids[i]);
		ck_assert_uint_eq(m->map_bytes, h->map_end[spec] - h->map_start[spec]);
		ck_assert_int_eq(m->map_write, write);
		ck_assert(!m->exe);
	}
}

/* A read-only and a shared writable mapping, each held by two processes (the fd is
 * closed: only the mapping holds the file), one of them under a name with a newline,
 * which the text of maps shows as "\012". */
START_TEST(query_and_text_agree)
{
	char ro[128], rw[160], spec_ro[192], spec_rw[192];
	ino_t ino_ro, ino_rw;
	struct tl_holder h;

	need_procmap_query();
	snprintf(ro, sizeof(ro), "%s/mapped", tl_dir);
	snprintf(rw, sizeof(rw), "%s/shared\nwritable", tl_dir);
	free(tl_random_file(ro, 3 * 4096 + 1));
	free(tl_random_file(rw, 5 * 4096));
	ino_ro = tl_ino(ro);
	ino_rw = tl_ino(rw);
	snprintf(spec_ro, sizeof(spec_ro), "m:%s", ro);
	snprintf(spec_rw, sizeof(spec_rw), "mw:%s", rw);
	tl_holder_start(&h, "-c", "2", spec_ro, spec_rw, NULL);
	for (int text = 0; text <= 1; text++) {
		struct scan_result r;

		scan_with(&r, text);
		check_mapped(&r, ino_ro, ro, &h, 0, false);
		check_mapped(&r, ino_rw, rw, &h, 1, true);
		scan_free(&r);
	}
}
END_TEST

/* The text of maps alone (older kernels, and without root), checked against what
 * the holder mapped: the path with "\012" decoded, holders, bytes, write flag. */
START_TEST(text_maps_exact)
{
	char ro[128], rw[160], spec_ro[192], spec_rw[192];
	ino_t ino_ro, ino_rw;
	struct tl_holder h;
	struct scan_result r;

	tl_need_root(); /* map_files confirms the file is deleted */
	snprintf(ro, sizeof(ro), "%s/mapped", tl_dir);
	snprintf(rw, sizeof(rw), "%s/shared\nwritable", tl_dir);
	free(tl_random_file(ro, 2 * 4096 + 7));
	free(tl_random_file(rw, 3 * 4096));
	ino_ro = tl_ino(ro);
	ino_rw = tl_ino(rw);
	snprintf(spec_ro, sizeof(spec_ro), "m:%s", ro);
	snprintf(spec_rw, sizeof(spec_rw), "mw:%s", rw);
	tl_holder_start(&h, "-c", "2", spec_ro, spec_rw, NULL);
	scan_with(&r, true);
	check_mapped(&r, ino_ro, ro, &h, 0, false);
	check_mapped(&r, ino_rw, rw, &h, 1, true);
	scan_free(&r);
}
END_TEST

/* A file that is mapped under its name by one process and deleted afterwards while
 * another still maps it: the first scan sees the name and remembers the file as
 * live; a later scan must not (the memory of live files lasts one scan). */
START_TEST(live_file_memory_is_per_scan)
{
	char path[128], spec[160];
	struct scan_result r;
	struct tl_holder h;
	ino_t ino;

	need_procmap_query();
	snprintf(path, sizeof(path), "%s/later", tl_dir);
	free(tl_random_file(path, 8192));
	ino = tl_ino(path);
	tl_sh("ln '%s' '%s.keep'", path, path);
	snprintf(spec, sizeof(spec), "m:%s", path);
	tl_holder_start(&h, spec, NULL);
	scan_with(&r, false);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_msg(r.v[i].ino != ino, "a file with a name left was reported");
	scan_free(&r);
	tl_sh("rm '%s.keep'", path);
	scan_with(&r, false);
	check_mapped(&r, ino, path, &h, 0, false);
	scan_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scan_maps");
	TCase *tc = tcase_create("maps");

	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_add_test(tc, text_maps_exact);
	tcase_add_test(tc, query_and_text_agree);
	tcase_add_test(tc, live_file_memory_is_per_scan);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
