/* Mappings of deleted files are found the same way through PROCMAP_QUERY (Linux
 * 6.11; the kernel names only the file of each region, and a file seen once with a
 * name is not looked at again) and through the text of /proc/PID/maps (older
 * kernels, and without root): the same entries, holders, mapped bytes, write flag
 * and exact path. */
#include "find/pin.h"
#include "find/scan.h"
#include "testlib.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A file that is mapped under its name by one process and deleted afterwards while
 * another still maps it: the first scan sees the name and remembers the file as
 * live; a later scan must not (the memory of live files lasts one scan). */
START_TEST(live_file_memory_is_per_scan)
{
	char path[128], spec[160];
	struct scan_result r;
	struct tl_holder h;
	ino_t ino;

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
	tcase_add_test(tc, query_and_text_agree);
	tcase_add_test(tc, live_file_memory_is_per_scan);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
