/* The recommendation table: every rule of the issue, and its edge cases. */
#include "decide/rec.h"
#include "testlib.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* Targets used across cases. */
static struct rec_target own_ext4(void)
{
	return (struct rec_target){.mountpoint = "/var",
	                           .fstype = "ext4",
	                           .size = 100 * GiB,
	                           .avail = 50 * GiB,
	                           .same_fs = true,
	                           .reflink = 0};
}
static struct rec_target own_btrfs(void)
{
	return (struct rec_target){.mountpoint = "/srv",
	                           .fstype = "btrfs",
	                           .size = 100 * GiB,
	                           .avail = 50 * GiB,
	                           .same_fs = true,
	                           .reflink = 1};
}
static struct rec_target other_disk(uint64_t avail)
{
	return (struct rec_target){.mountpoint = "/backup",
	                           .fstype = "xfs",
	                           .size = 500 * GiB,
	                           .avail = avail,
	                           .reflink = 1};
}
static struct rec_target ram(uint64_t avail)
{
	return (struct rec_target){.mountpoint = "/dev/shm",
	                           .fstype = "tmpfs",
	                           .size = avail,
	                           .avail = avail,
	                           .ram = true,
	                           .reflink = 0};
}

static struct rec_file file(enum rate_class c, bool writer)
{
	return (struct rec_file){.size = 64 * MiB,
	                         .allocated = 64 * MiB,
	                         .kind = KIND_FILE,
	                         .pinned = true,
	                         .unreadable = 0,
	                         .writer = writer,
	                         .fd_holder = true,
	                         .change = c};
}

static const struct rec_option *find(const struct rec_result *r, enum rec_method m)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->opt[i].method == m)
			return &r->opt[i];
	ck_abort_msg("method %s missing", rec_method_name(m));
	return NULL;
}

/* Every result lists each method once, feasible ones first, debugfs never. */
static void check_shape(const struct rec_result *r)
{
	bool seen[REC_NMETHODS] = {0};
	bool infeasible_seen = false;

	ck_assert_uint_eq(r->n, REC_NMETHODS);
	for (size_t i = 0; i < r->n; i++) {
		ck_assert(!seen[r->opt[i].method]);
		seen[r->opt[i].method] = true;
		ck_assert_msg(r->opt[i].reason[0], "%s has no reason",
		              rec_method_name(r->opt[i].method));
		if (!r->opt[i].feasible)
			infeasible_seen = true;
		else
			ck_assert_msg(!infeasible_seen, "feasible after infeasible");
	}
	ck_assert(!find(r, REC_DEBUGFS)->feasible);
	ck_assert_ptr_nonnull(strstr(find(r, REC_DEBUGFS)->reason, "corrupts"));
	ck_assert_int_eq(r->recommended, r->opt[0].feasible);
}

static void decide(const struct rec_file *f, const struct rec_target *t, size_t nt,
                   struct rec_result *r)
{
	rec_decide(f, t, nt, REC_COPY_BPS_DEFAULT, r);
	check_shape(r);
}

START_TEST(tmpfile_relinks)
{
	struct rec_file f = file(CHANGE_RANDOM, true);
	struct rec_target t[] = {other_disk(100 * GiB), own_ext4()};
	struct rec_result r;

	f.kind = KIND_TMPFILE;
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_RELINK);
	ck_assert(r.recommended);
	ck_assert_int_eq(r.opt[0].target, 1);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "/var"));
	/* Read-only filesystem: no linkat there. */
	t[1].readonly = true;
	decide(&f, t, 2, &r);
	ck_assert(!find(&r, REC_RELINK)->feasible);
	ck_assert_int_eq(r.opt[0].method, REC_SYNC);
	/* An ordinary deleted file cannot be relinked, and the reason says why. */
	f.kind = KIND_FILE;
	decide(&f, t, 2, &r);
	ck_assert(!find(&r, REC_RELINK)->feasible);
	ck_assert_ptr_nonnull(strstr(find(&r, REC_RELINK)->reason, "O_TMPFILE"));
}
END_TEST

START_TEST(static_reflinks_where_possible)
{
	struct rec_file f = file(CHANGE_STATIC, false);
	struct rec_target t[] = {other_disk(100 * GiB), own_btrfs()};
	struct rec_result r;

	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_REFLINK);
	ck_assert_int_eq(r.opt[0].target, 1);
	ck_assert_int_eq(r.opt[0].risk, RISK_LOW);
	ck_assert_int_eq(r.opt[1].method, REC_COPY);
	ck_assert_int_eq(r.opt[1].target, 0); /* copies go to another filesystem */
	ck_assert(!r.freeze_suggested);
}
END_TEST

START_TEST(static_on_ext4_copies_elsewhere)
{
	struct rec_file f = file(CHANGE_STATIC, false);
	/* The own filesystem has more room, yet the copy goes to the other disk. */
	struct rec_target t[] = {own_ext4(), other_disk(1 * GiB)};
	struct rec_result r;

	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_COPY);
	ck_assert_int_eq(r.opt[0].target, 1);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "nobody can write"));
	ck_assert(!find(&r, REC_REFLINK)->feasible);
	ck_assert_ptr_nonnull(
	    strstr(find(&r, REC_REFLINK)->reason, "ext4 on /var does not support FICLONE"));
}
END_TEST

START_TEST(quiet_copies_with_a_note)
{
	struct rec_file f = file(CHANGE_QUIET, true);
	struct rec_target t[] = {own_ext4(), other_disk(10 * GiB)};
	struct rec_result r;

	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_COPY);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "wrote nothing"));
	ck_assert_int_eq(r.opt[0].risk, RISK_MEDIUM);
}
END_TEST

START_TEST(append_follows)
{
	struct rec_file f = file(CHANGE_APPEND, true);
	struct rec_target t[] = {own_btrfs(), other_disk(10 * GiB)};
	struct rec_result r;

	f.growth_bps = 1e6;
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_FOLLOW);
	ck_assert_int_eq(r.opt[0].target, 1);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "grows at the end"));
	/* Not sampled, but every writer has O_APPEND: follow too. */
	f.change = CHANGE_UNKNOWN;
	f.append_writers = true;
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_FOLLOW);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "O_APPEND"));
}
END_TEST

START_TEST(random_syncs_and_suggests_freeze_when_fast)
{
	struct rec_file f = file(CHANGE_RANDOM, true);
	struct rec_target t[] = {own_ext4(), other_disk(10 * GiB)};
	struct rec_result r;

	f.rate_bps = 2e6; /* 2 MB/s against 100 MB/s: slow */
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_SYNC);
	ck_assert(!r.freeze_suggested);
	ck_assert_ptr_null(strstr(r.opt[0].reason, "--freeze"));
	ck_assert_int_eq(find(&r, REC_COPY)->risk, RISK_HIGH);
	f.rate_bps = 40e6; /* 40 MB/s: fast compared with the copy */
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_SYNC);
	ck_assert(r.freeze_suggested);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "--freeze"));
	/* With a reflink-capable own filesystem: reflink first, then sync passes. */
	t[0] = own_btrfs();
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_REFLINK);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "sync passes"));
	ck_assert_int_eq(r.opt[1].method, REC_SYNC);
}
END_TEST

START_TEST(unknown_writer_syncs)
{
	struct rec_file f = file(CHANGE_UNKNOWN, true);
	struct rec_target t[] = {other_disk(10 * GiB)};
	struct rec_result r;

	decide(&f, t, 1, &r);
	ck_assert_int_eq(r.opt[0].method, REC_SYNC);
	ck_assert_ptr_nonnull(strstr(find(&r, REC_COPY)->reason, "may change it"));
}
END_TEST

START_TEST(loop_mounted_warns_and_freezes)
{
	struct rec_file f = file(CHANGE_UNKNOWN, true);
	struct rec_target t[] = {own_ext4(), other_disk(10 * GiB)};
	struct rec_result r;

	f.fd_holder = false;
	f.loop_dev = "/dev/loop3";
	f.loop_mountpoint = "/mnt/iso";
	f.loop_autoclear = true;
	decide(&f, t, 2, &r);
	ck_assert(r.recommended);
	ck_assert(r.freeze_suggested);
	ck_assert_ptr_nonnull(strstr(r.warning, "never unmount /mnt/iso"));
	ck_assert_ptr_nonnull(strstr(r.warning, "fsfreeze -f /mnt/iso"));
	/* Without autoclear the danger is detaching. */
	f.loop_autoclear = false;
	decide(&f, t, 2, &r);
	ck_assert_ptr_nonnull(strstr(r.warning, "never detach /dev/loop3"));
	/* Not mounted: still never detach it. */
	f.loop_mountpoint = NULL;
	decide(&f, t, 2, &r);
	ck_assert_ptr_nonnull(strstr(r.warning, "never detach /dev/loop3 (losetup -d)"));
}
END_TEST

START_TEST(loop_partial_pin_and_no_pin)
{
	struct rec_file f = file(CHANGE_UNKNOWN, true);
	struct rec_target t[] = {other_disk(10 * GiB)};
	struct rec_result r;

	f.fd_holder = false;
	f.loop_dev = "/dev/loop3";
	f.pin_partial = true;
	f.unreadable = 300;
	f.allocated = 0;
	decide(&f, t, 1, &r);
	ck_assert(r.recommended);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "300 bytes are lost"));
	ck_assert_int_eq(r.opt[0].risk, RISK_MEDIUM);
	ck_assert(!find(&r, REC_REFLINK)->feasible);
	f.unreadable = -1;
	decide(&f, t, 1, &r);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "up to 511 bytes"));
	/* A loop without any pin fd: nothing can be copied. */
	f.pinned = false;
	f.pin_partial = false;
	decide(&f, t, 1, &r);
	ck_assert(!r.recommended);
	ck_assert_ptr_nonnull(strstr(find(&r, REC_COPY)->reason, "not pinned"));
	ck_assert_ptr_nonnull(strstr(r.warning, "never detach /dev/loop3"));
}
END_TEST

START_TEST(nothing_fits_says_numbers)
{
	struct rec_file f = file(CHANGE_STATIC, false);
	struct rec_target t[] = {ram(16 * MiB)};
	struct rec_result r;
	struct rec_fit fit;

	rec_fit(&f, &t[0], REC_COPY_BPS_DEFAULT, &fit);
	ck_assert(!fit.fits);
	ck_assert_str_eq(fit.why, "needs 80M (64M data + 16M margin); 16M free");
	decide(&f, t, 1, &r);
	ck_assert(!r.recommended);
	ck_assert_ptr_nonnull(strstr(find(&r, REC_COPY)->reason, "no target fits"));
	ck_assert_ptr_nonnull(strstr(find(&r, REC_COPY)->reason, "16M free"));
	ck_assert_ptr_nonnull(strstr(r.warning, "--to -"));
	ck_assert_ptr_nonnull(strstr(r.warning, "pin"));
}
END_TEST

START_TEST(own_fs_keeps_the_writer_room)
{
	struct rec_file f = file(CHANGE_RANDOM, true);
	struct rec_target own = own_ext4();
	struct rec_fit fit;
	struct rec_result r;

	own.size = 1 * GiB;
	own.avail = 150 * MiB; /* 80M copy + 102M for the writer does not fit */
	rec_fit(&f, &own, REC_COPY_BPS_DEFAULT, &fit);
	ck_assert(!fit.fits);
	ck_assert_uint_eq(fit.keep_free, GiB / 10);
	ck_assert_ptr_nonnull(strstr(fit.why, "must leave 102M free for the live writer"));
	decide(&f, &own, 1, &r);
	ck_assert(!r.recommended);
	/* Plenty of room: it fits, but another disk is still preferred. */
	own.avail = 500 * MiB;
	rec_fit(&f, &own, REC_COPY_BPS_DEFAULT, &fit);
	ck_assert(fit.fits);
	/* A fast grower needs more than 10%: growth over the copy time counts. */
	f.allocated = 10 * GiB;
	f.growth_bps = 50e6; /* 10 GiB at 100 MB/s is ~107 s: ~5.4 GB of growth */
	own.size = 100 * GiB;
	own.avail = 25 * GiB;
	rec_fit(&f, &own, REC_COPY_BPS_DEFAULT, &fit);
	ck_assert_uint_eq(fit.keep_free, 10 * GiB); /* 10% of 100G is larger here */
	f.growth_bps = 200e6;
	rec_fit(&f, &own, REC_COPY_BPS_DEFAULT, &fit);
	ck_assert_uint_eq(fit.keep_free, 20 * GiB); /* 10 GiB / 100 MB/s * 200 MB/s */
	ck_assert(!fit.fits);
}
END_TEST

START_TEST(edge_cases)
{
	struct rec_file f = file(CHANGE_STATIC, false);
	struct rec_target t[] = {other_disk(10 * GiB), ram(64 * GiB)};
	struct rec_target ro = other_disk(100 * GiB);
	struct rec_result r;

	/* Zero-size file: still a plain copy. */
	f.size = f.allocated = 0;
	decide(&f, t, 2, &r);
	ck_assert_int_eq(r.opt[0].method, REC_COPY);
	ck_assert_int_eq(r.opt[0].target, 0); /* disk before RAM, even with less room */
	/* No targets at all. */
	decide(&f, NULL, 0, &r);
	ck_assert(!r.recommended);
	ck_assert_ptr_nonnull(strstr(find(&r, REC_COPY)->reason, "no writable filesystem"));
	/* Only RAM: allowed, with the reboot caveat and a medium risk. */
	f.size = f.allocated = 64 * MiB;
	decide(&f, &t[1], 1, &r);
	ck_assert_int_eq(r.opt[0].method, REC_COPY);
	ck_assert_ptr_nonnull(strstr(r.opt[0].reason, "RAM-backed"));
	ck_assert_int_eq(r.opt[0].risk, RISK_MEDIUM);
	/* A read-only target is never chosen. */
	ro.readonly = true;
	decide(&f, &ro, 1, &r);
	ck_assert(!r.recommended);
	/* Names and parsing. */
	ck_assert_int_eq(rec_method_parse("sync"), REC_SYNC);
	ck_assert_int_eq(rec_method_parse("auto"), -1);
	ck_assert_str_eq(rec_risk_name(RISK_HIGH), "high");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rec");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, tmpfile_relinks);
	tcase_add_test(tc, static_reflinks_where_possible);
	tcase_add_test(tc, static_on_ext4_copies_elsewhere);
	tcase_add_test(tc, quiet_copies_with_a_note);
	tcase_add_test(tc, append_follows);
	tcase_add_test(tc, random_syncs_and_suggests_freeze_when_fast);
	tcase_add_test(tc, unknown_writer_syncs);
	tcase_add_test(tc, loop_mounted_warns_and_freezes);
	tcase_add_test(tc, loop_partial_pin_and_no_pin);
	tcase_add_test(tc, nothing_fits_says_numbers);
	tcase_add_test(tc, own_fs_keeps_the_writer_room);
	tcase_add_test(tc, edge_cases);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
