/* Commands suggested for pasting run exactly that command, whatever the file is
 * called: every quoted name is checked by running it through /bin/sh in a sandbox
 * directory, where an injected command would leave a file behind. */
#include "decide/after.h"
#include "text/esc.h"
#include "text/shq.h"
#include "testlib.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const nasty[] = {
    "plain.img",
    "vm'; touch INJECTED; echo '.qcow2",
    "$(touch INJECTED)",
    "`touch INJECTED`",
    "a\"b\\c$HOME!x",
    "line\nbreak; touch INJECTED",
    "trailing newline\n",
    "\n",
    "esc\033[31mred\033]0;title\007",
    "tab\there\r",
    "'",
    "''",
    "-n",
    "*",
    "~root",
    "bad utf8 \xff\xfe \xc3",
    "c1 \xc2\x85 bidi \xe2\x80\xae",
    "déjà vu 日本",
    "",
};

/* Run "printf %s WORD" with /bin/sh in the sandbox tl_dir; the bytes it printed into
 * OUT (LEN), their count returned. Fails the test if anything else was created. */
static size_t run_word(const char *word, char *out, size_t len)
{
	char cmd[8192], outpath[128], probe[128];
	int st;
	ssize_t got;
	int fd;

	snprintf(cmd, sizeof(cmd), "cd %s && printf %%s %s >out", tl_dir, word);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sh failed on: %s", cmd);
	snprintf(probe, sizeof(probe), "%s/INJECTED", tl_dir);
	ck_assert_msg(access(probe, F_OK) != 0, "a command was injected by: %s", cmd);
	snprintf(outpath, sizeof(outpath), "%s/out", tl_dir);
	fd = open(outpath, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	got = read(fd, out, len);
	close(fd);
	unlink(outpath);
	ck_assert_int_ge(got, 0);
	return (size_t)got;
}

START_TEST(quoted_names_run_exactly)
{
	for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		const char *name = nasty[i];
		char *q = shq_dup(name, strlen(name)), back[4096];
		size_t n;

		ck_assert_ptr_nonnull(q);
		n = run_word(q, back, sizeof(back));
		ck_assert_msg(n == strlen(name) && memcmp(back, name, n) == 0,
		              "name %zu came back as %zu other bytes from %s", i, n, q);
		free(q);
	}
}
END_TEST

/* What reaches the terminal is printable: no control byte but the newline that
 * quotes a newline, which the display escaping then shows as "\n". */
START_TEST(quoted_names_are_printable)
{
	for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		char *q = shq_dup(nasty[i], strlen(nasty[i]));
		for (const unsigned char *p = (const unsigned char *)q; *p; p++)
			ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p != 0x7f),
			              "byte 0x%02x left raw in %s", *p, q);
		free(q);
	}
}
END_TEST

/* What a face shows (the quoted word through the display escaping) pasted into a
 * shell runs nothing else; for names of printable characters but the backslash
 * (which the display doubles) it is exact. */
START_TEST(shown_words_run_nothing_else)
{
	for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		const char *name = nasty[i];
		char *q = shq_dup(name, strlen(name)), *d = esc_display(q, strlen(q)), back[4096];
		bool printable = true;
		size_t n;

		for (const unsigned char *p = (const unsigned char *)name; *p; p++)
			printable = printable && *p >= 0x20 && *p < 0x7f && *p != 0x5c;
		n = run_word(d, back, sizeof(back)); /* fails the test if INJECTED appears */
		if (printable)
			ck_assert_msg(n == strlen(name) && memcmp(back, name, n) == 0,
			              "shown %s does not name %s", d, name);
		free(q);
		free(d);
	}
}
END_TEST

START_TEST(cut_quote_is_reported)
{
	char small[8];
	size_t need = shq_quote(small, sizeof(small), "a long name", 11);

	ck_assert_uint_ge(need, sizeof(small));
	ck_assert_uint_eq(need, strlen("'a long name'"));
}
END_TEST

/* The reminder after a rescue: its command, pasted, checks exactly the result. */
START_TEST(after_command_is_safe_to_paste)
{
	char l[AFTER_MAX][AFTER_LEN], path[512], back[1024];
	const char *name = "vm'; touch INJECTED; echo '.qcow2";
	struct after_facts f = {.method = REC_COPY,
	                        .ok = true,
	                        .verified = true,
	                        .live = true,
	                        .content = CONTENT_QCOW2};
	const char *cmd = NULL;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", tl_dir, name);
	f.result = path;
	n = after_checks(&f, l);
	for (size_t i = 0; i < n && !cmd; i++)
		cmd = strstr(l[i], "qemu-img check ");
	ck_assert_ptr_nonnull(cmd);
	cmd += strlen("qemu-img check ");
	ck_assert_uint_eq(run_word(cmd, back, sizeof(back)), strlen(path));
	ck_assert(memcmp(back, path, strlen(path)) == 0);
}
END_TEST

START_TEST(stream_is_not_named_dash)
{
	char l[AFTER_MAX][AFTER_LEN];
	struct after_facts f = {.method = REC_COPY, .result = "-", .ok = true, .verified = true};
	size_t n = after_checks(&f, l);

	ck_assert_uint_eq(n, 1);
	ck_assert_msg(strncmp(l[0], "- ", 2) != 0, "%s", l[0]);
	ck_assert_ptr_nonnull(strstr(l[0], "standard output"));
}
END_TEST

static Suite *shq_suite(void)
{
	Suite *s = suite_create("shq");
	TCase *tc = tcase_create("quote");

	tcase_add_checked_fixture(tc, tl_setup, tl_teardown);
	tcase_add_test(tc, quoted_names_run_exactly);
	tcase_add_test(tc, quoted_names_are_printable);
	tcase_add_test(tc, cut_quote_is_reported);
	tcase_add_test(tc, shown_words_run_nothing_else);
	tcase_add_test(tc, after_command_is_safe_to_paste);
	tcase_add_test(tc, stream_is_not_named_dash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(shq_suite());
}
