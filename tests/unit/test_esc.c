/* Unit tests for esc: what a name looks like on the terminal and in JSON. */
#include "text/esc.h"
#include "testlib.h"

#include <check.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

/* A literal and its length, embedded NULs included. */
#define LIT(s) (s), (sizeof(s) - 1)

static void use_locale(const char *name)
{
	ck_assert_msg(setlocale(LC_CTYPE, name) != NULL, "locale %s is not available", name);
}

/* Build the locale NAME from glibc's sources into a private LOCPATH and switch
 * LC_CTYPE to it, for locales a test machine rarely has installed. The directory is
 * gone again on return (the loaded locale stays mapped), so a failing test leaves
 * nothing behind. Returns false (the test then skips, tl_skip) when localedef or the
 * sources are missing. */
static bool use_built_locale(const char *input, const char *charmap, const char *name)
{
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096], cmd[8192];
	snprintf(dir, sizeof(dir), "%s/rt-test-locale.XXXXXX", tmpdir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "localedef -i %s -f %s '%s/%s' >/dev/null 2>&1", input, charmap,
	         dir, name);
	/* localedef exits 1 on mere warnings, so judge by whether the locale loads. */
	bool ok = system(cmd) != -1 && setenv("LOCPATH", dir, 1) == 0 &&
	          setlocale(LC_CTYPE, name) != NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	return ok;
}

static void check_display(const char *in, size_t len, const char *want)
{
	char *got = esc_display(in, len);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

/* What esc_put_width writes, as a string. */
static char *put_width(const char *s, size_t width, int left_cut)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	ck_assert_ptr_nonnull(f);
	esc_put_width(f, s, width, left_cut);
	fclose(f);
	return buf;
}

static void check_put(const char *s, size_t width, int left_cut, const char *want)
{
	char *got = put_width(s, width, left_cut);
	ck_assert_msg(strcmp(got, want) == 0, "put_width(\"%s\", %zu, %d) = \"%s\", want \"%s\"", s,
	              width, left_cut, got, want);
	ck_assert_uint_eq(esc_width(got), width);
	free(got);
}

static char *json_of(const char *s, size_t len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	ck_assert_ptr_nonnull(f);
	esc_json(f, s, len);
	fclose(f);
	return buf;
}

static void check_json(const char *in, size_t len, const char *want)
{
	char *got = json_of(in, len);
	ck_assert_str_eq(got, want);
	free(got);
}

/* Undo esc_display, to show that no two names look the same. Returns the length. */
static size_t unescape(const char *s, char *out)
{
	size_t n = 0;
	while (*s) {
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case '\\':
			out[n++] = '\\';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'e':
			out[n++] = 0x1b;
			break;
		case 'x': {
			char hex[3] = {s[1], s[2], 0};
			out[n++] = (char)strtoul(hex, NULL, 16);
			s += 2;
			break;
		}
		default:
			ck_abort_msg("unknown escape \\%c", *s);
		}
		s++;
	}
	return n;
}

/* A small fixed-seed generator, so a failure can be reproduced. */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* Random bytes, mostly the interesting ones: controls, C1 lead bytes, UTF-8 lead and
 * continuation bytes, surrogate and overlong leads. */
static size_t random_name(char *buf, size_t max)
{
	static const unsigned char pick[] = {0x00, 0x07, 0x0a, 0x1b, 0x20, '"',  '\\', 'a',
	                                     'z',  0x7f, 0x80, 0x9b, 0xa0, 0xbf, 0xc0, 0xc2,
	                                     0xc3, 0xe0, 0xe2, 0xe6, 0xed, 0xf0, 0xf4, 0xf5,
	                                     0xff, 0x80, 0x85, 0xa9, 0xbc, 0x9f, 0x90, 0x8f};
	size_t len = rng() % (max + 1);
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(rng() % 4 == 0 ? (unsigned char)(rng() & 0xff)
		                               : pick[rng() % sizeof(pick)]);
	return len;
}

START_TEST(display_ascii_and_controls)
{
	use_locale("C.UTF-8");
	check_display(LIT("report-2024.log"), "report-2024.log");
	check_display(LIT(""), "");
	check_display(LIT("two\nlines"), "two\\nlines");
	check_display(LIT("tab\there\r"), "tab\\there\\r");
	check_display(LIT("\x1b[31mred\x1b[0m"), "\\e[31mred\\e[0m");
	check_display(LIT("\x1b]0;title\x07"), "\\e]0;title\\x07");
	check_display(LIT("back\\slash"), "back\\\\slash");
	check_display(LIT("del\x7f"), "del\\x7f");
	check_display(LIT("\x01\x1f"), "\\x01\\x1f");
}
END_TEST

START_TEST(display_embedded_nul_and_len)
{
	use_locale("C.UTF-8");
	check_display(LIT("a\0b"), "a\\x00b");
	check_display(LIT("\0"), "\\x00");
	/* Only LEN bytes count, even when more follow. */
	check_display("abcdef", 3, "abc");
}
END_TEST

START_TEST(display_utf8_valid)
{
	use_locale("C.UTF-8");
	check_display(LIT("caf\xc3\xa9"), "caf\xc3\xa9");
	check_display(LIT("\xe6\xbc\xa2\xe5\xad\x97.txt"), "\xe6\xbc\xa2\xe5\xad\x97.txt");
	check_display(LIT("smile \xf0\x9f\x98\x80"), "smile \xf0\x9f\x98\x80");
	/* A combining accent is printable and stays with its letter. */
	check_display(LIT("e\xcc\x81"), "e\xcc\x81");
}
END_TEST

START_TEST(display_c1_and_bidi)
{
	use_locale("C.UTF-8");
	/* U+0085 NEL and U+009B CSI: controls for some terminals. */
	check_display(LIT("a\xc2\x85z"), "a\\xc2\\x85z");
	check_display(LIT("\xc2\x9b"
	                  "31m"),
	              "\\xc2\\x9b"
	              "31m");
	check_display(LIT("\xc2\x80\xc2\x9f"), "\\xc2\\x80\\xc2\\x9f");
	/* U+00A0, the first character after the C1 block, is printable. */
	check_display(LIT("\xc2\xa0"), "\xc2\xa0");
	/* U+202E RIGHT-TO-LEFT OVERRIDE would make "exe.txt" read "txt.exe". */
	check_display(LIT("\xe2\x80\xae"
	                  "txt.exe"),
	              "\\xe2\\x80\\xae"
	              "txt.exe");
}
END_TEST

START_TEST(display_utf8_invalid)
{
	use_locale("C.UTF-8");
	check_display(LIT("\xff"), "\\xff");
	check_display(LIT("a\xff"
	                  "b"),
	              "a\\xff"
	              "b");
	/* Truncated at the end of the name. */
	check_display(LIT("x\xe6\xbc"), "x\\xe6\\xbc");
	/* A broken sequence does not swallow the character after it. */
	check_display(LIT("\xe6\xbc"
	                  "A"),
	              "\\xe6\\xbc"
	              "A");
	check_display(LIT("\xe6\xbc\xc3\xa9"), "\\xe6\\xbc\xc3\xa9");
	/* Overlong '/', an encoded surrogate, a code point above U+10FFFF. */
	check_display(LIT("\xc0\xaf"), "\\xc0\\xaf");
	check_display(LIT("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	check_display(LIT("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	/* A lone continuation byte. */
	check_display(LIT("\x80"), "\\x80");
}
END_TEST

START_TEST(display_c_locale)
{
	use_locale("C");
	check_display(LIT("plain name"), "plain name");
	check_display(LIT("caf\xc3\xa9"), "caf\\xc3\\xa9");
	check_display(LIT("\xe6\xbc\xa2"), "\\xe6\\xbc\\xa2");
	check_display(LIT("\x1b[1m\\\n"), "\\e[1m\\\\\\n");
	/* Every byte: printable ASCII passes, everything else is an escape. */
	for (unsigned c = 0; c < 256; c++) {
		char in = (char)c, want[8];
		if (c == '\\')
			strcpy(want, "\\\\");
		else if (c == '\n')
			strcpy(want, "\\n");
		else if (c == '\t')
			strcpy(want, "\\t");
		else if (c == '\r')
			strcpy(want, "\\r");
		else if (c == 0x1b)
			strcpy(want, "\\e");
		else if (c >= 0x20 && c < 0x7f)
			snprintf(want, sizeof(want), "%c", (int)c);
		else
			snprintf(want, sizeof(want), "\\x%02x", c);
		check_display(&in, 1, want);
	}
}
END_TEST

START_TEST(display_latin1_locale)
{
	/* In an 8-bit locale every byte is a character, but a UTF-8 name shown as
	 * Latin-1 would be a different, plausible name: bytes >= 0x80 are escaped. */
	if (!use_built_locale("en_US", "ISO-8859-1", "en_US.ISO-8859-1"))
		tl_skip("cannot build locale en_US.ISO-8859-1 (needs localedef and glibc's "
		        "locale sources)");
	check_display(LIT("caf\xe9"), "caf\\xe9");
	check_display(LIT("caf\xc3\xa9"), "caf\\xc3\\xa9");
	check_display(LIT("plain\x85\n"), "plain\\x85\\n");
	ck_assert_uint_eq(esc_width("caf\\xe9"), 7);
}
END_TEST

/* Whatever the bytes, the result is safe to print and unambiguous. */
static void check_display_safe_random(void)
{
	char in[32], back[32 * 4 + 1];
	for (int round = 0; round < 20000; round++) {
		size_t len = random_name(in, sizeof(in));
		char *out = esc_display(in, len);
		ck_assert_ptr_nonnull(out);
		size_t n = strlen(out);
		ck_assert_uint_le(n, 4 * len);
		mbstate_t st;
		memset(&st, 0, sizeof(st));
		for (size_t i = 0; i < n;) {
			wchar_t wc;
			size_t r = mbrtowc(&wc, out + i, n - i, &st);
			ck_assert_msg(r != (size_t)-1 && r != (size_t)-2 && r != 0,
			              "output does not decode at byte %zu", i);
			ck_assert_msg(iswprint((wint_t)wc), "unprintable U+%04X in output",
			              (unsigned)wc);
			i += r;
		}
		ck_assert_uint_eq(unescape(out, back), len);
		ck_assert_mem_eq(back, in, len);
		free(out);
	}
}

START_TEST(display_random_utf8)
{
	use_locale("C.UTF-8");
	check_display_safe_random();
}
END_TEST

START_TEST(display_random_c)
{
	use_locale("C");
	check_display_safe_random();
}
END_TEST

START_TEST(width_basic)
{
	use_locale("C.UTF-8");
	ck_assert_uint_eq(esc_width(""), 0);
	ck_assert_uint_eq(esc_width("abc"), 3);
	ck_assert_uint_eq(esc_width("\\e[31m"), 6);
	ck_assert_uint_eq(esc_width("caf\xc3\xa9"), 4);
	ck_assert_uint_eq(esc_width("\xe6\xbc\xa2\xe5\xad\x97"), 4);
	ck_assert_uint_eq(esc_width("\xf0\x9f\x98\x80"), 2);
	ck_assert_uint_eq(esc_width("e\xcc\x81"), 1);
	/* What esc_display made of a broken name is as wide as it looks. */
	char *e = esc_display(LIT("\xff\xe6\xbc\xa2"));
	ck_assert_str_eq(e, "\\xff\xe6\xbc\xa2");
	ck_assert_uint_eq(esc_width(e), 6);
	free(e);
}
END_TEST

START_TEST(width_c_locale)
{
	use_locale("C");
	char *e = esc_display(LIT("\xe6\xbc\xa2"));
	ck_assert_uint_eq(esc_width(e), 12);
	free(e);
	ck_assert_uint_eq(esc_width("plain"), 5);
}
END_TEST

START_TEST(put_pad_and_cut_ascii)
{
	use_locale("C.UTF-8");
	check_put("abc", 6, 0, "abc   ");
	check_put("abc", 6, 1, "abc   ");
	check_put("abcdef", 6, 0, "abcdef");
	check_put("abcdefg", 6, 0, "abcde~");
	check_put("abcdefg", 6, 1, "~cdefg");
	check_put("/var/log/app/current.log", 12, 1, "~current.log");
	check_put("/var/log/app/current.log", 12, 0, "/var/log/ap~");
	check_put("abc", 1, 0, "~");
	check_put("abc", 1, 1, "~");
	check_put("", 3, 0, "   ");
	check_put("abc", 0, 0, "");
	check_put("abc", 0, 1, "");
}
END_TEST

START_TEST(put_wide_chars)
{
	use_locale("C.UTF-8");
	/* "漢字漢字", 8 columns. */
	const char *kanji = "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2\xe5\xad\x97";
	check_put(kanji, 8, 0, kanji);
	check_put(kanji, 9, 0, "\xe6\xbc\xa2\xe5\xad\x97\xe6\xbc\xa2\xe5\xad\x97 ");
	check_put(kanji, 5, 0, "\xe6\xbc\xa2\xe5\xad\x97~");
	/* The third character would need columns 3-4: a space fills column 3. */
	check_put(kanji, 4, 0, "\xe6\xbc\xa2 ~");
	check_put(kanji, 4, 1, "~ \xe5\xad\x97");
	check_put(kanji, 5, 1, "~\xe6\xbc\xa2\xe5\xad\x97");
	check_put(kanji, 2, 0, " ~");
	check_put(kanji, 2, 1, "~ ");
	check_put(kanji, 1, 0, "~");
	check_put("a\xe6\xbc\xa2\xe5\xad\x97", 4, 0, "a\xe6\xbc\xa2~");
	check_put("a\xe6\xbc\xa2\xe5\xad\x97", 4, 1, "~ \xe5\xad\x97");
	check_put("\xe6\xbc\xa2\xe5\xad\x97z", 4, 1, "~\xe5\xad\x97z");
	check_put("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 3, 0, "\xf0\x9f\x98\x80~");
}
END_TEST

START_TEST(put_combining)
{
	use_locale("C.UTF-8");
	/* The accent stays with its 'e' on either side of a cut. */
	check_put("e\xcc\x81xyz", 2, 0, "e\xcc\x81~");
	check_put("abe\xcc\x81", 2, 1, "~e\xcc\x81");
	check_put("ae\xcc\x81"
	          "b",
	          2, 1, "~b");
}
END_TEST

START_TEST(put_escaped_names)
{
	use_locale("C.UTF-8");
	/* The way callers use it: escape, then fit. */
	char *e = esc_display(LIT("\x1b[31mred\n"));
	check_put(e, 8, 0, "\\e[31mr~");
	check_put(e, 8, 1, "~1mred\\n");
	free(e);

	use_locale("C");
	e = esc_display(LIT("caf\xc3\xa9"));
	check_put(e, 6, 0, "caf\\x~");
	check_put(e, 6, 1, "~3\\xa9");
	free(e);
}
END_TEST

START_TEST(json_plain_and_escapes)
{
	use_locale("C.UTF-8");
	check_json(LIT(""), "\"\"");
	check_json(LIT("plain name.txt"), "\"plain name.txt\"");
	check_json(LIT("say \"hi\" \\ bye"), "\"say \\\"hi\\\" \\\\ bye\"");
	check_json(LIT("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
	check_json(LIT("\x01\x1b[0m\x1f"), "\"\\u0001\\u001b[0m\\u001f\"");
	check_json(LIT("a\0b"), "\"a\\u0000b\"");
	check_json(LIT("del\x7f"), "\"del\\u007f\"");
	check_json(LIT("/tmp/x"), "\"/tmp/x\"");
}
END_TEST

START_TEST(json_utf8)
{
	/* The C locale on purpose: JSON is UTF-8 whatever the terminal is. */
	use_locale("C");
	check_json(LIT("caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80"),
	           "\"caf\xc3\xa9 \xe6\xbc\xa2 \xf0\x9f\x98\x80\"");
	check_json(LIT("\xc2\x85\xc2\x9f\xc2\xa0"), "\"\\u0085\\u009f\xc2\xa0\"");
	check_json(LIT("\xe2\x80\xae"
	               "txt"),
	           "\"\\u202etxt\"");
	check_json(LIT("\xef\xbf\xbf\xf4\x8f\xbf\xbf"), "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
}
END_TEST

START_TEST(json_invalid_bytes)
{
	use_locale("C.UTF-8");
	check_json(LIT("\xff"), "\"\\udcff\"");
	check_json(LIT("a\x80z"), "\"a\\udc80z\"");
	check_json(LIT("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
	check_json(LIT("\xe0\x80\xaf"), "\"\\udce0\\udc80\\udcaf\"");
	check_json(LIT("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
	check_json(LIT("\xed\xb2\x80"), "\"\\udced\\udcb2\\udc80\"");
	check_json(LIT("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
	check_json(LIT("\xf5\xbf"), "\"\\udcf5\\udcbf\"");
	check_json(LIT("end\xe6\xbc"), "\"end\\udce6\\udcbc\"");
	check_json(LIT("\xe6\xbc"
	               "A"),
	           "\"\\udce6\\udcbcA\"");
	check_json(LIT("\xe6\xbc\xc3\xa9"), "\"\\udce6\\udcbc\xc3\xa9\"");
}
END_TEST

/* Run SCRIPT under python3 with the file IN as stdin; returns its stdout (malloc'ed,
 * length in *LEN), or NULL when python3 is not installed. */
static char *python_filter(const char *script, const char *in, size_t in_len, size_t *len)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		return NULL;
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/rt-test-esc.XXXXXX", tmpdir);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, in, in_len), (ssize_t)in_len);
	close(fd);

	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' < '%s'", script, path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char *out = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			out = realloc(out, cap);
			ck_assert_ptr_nonnull(out);
		}
		size_t r = fread(out + n, 1, cap - n, p);
		if (r == 0)
			break;
		n += r;
	}
	int status = pclose(p);
	unlink(path);
	ck_assert_msg(status == 0, "python3 failed (status %d) on: %.*s", status, (int)in_len, in);
	*len = n;
	return out;
}

START_TEST(json_python_round_trip)
{
	tl_need_cmd("python3");
	use_locale("C.UTF-8");
	static const char tricky[] = "ctl\x01\x1b[31m\n\t\x7f bad\xff\xfe\xc0\xaf\xed\xa0\x80"
	                             " q\"uo\"te back\\slash caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97"
	                             " \xf0\x9f\x98\x80 c1\xc2\x85 nul\0end trunc\xe6\xbc";
	char *doc = json_of(LIT(tricky));
	size_t n;
	char *back =
	    python_filter("import json,sys; s=json.load(sys.stdin); "
	                  "sys.stdout.buffer.write(s.encode(\"utf-8\",\"surrogateescape\"))",
	                  doc, strlen(doc), &n);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(n, sizeof(tricky) - 1);
	ck_assert_mem_eq(back, tricky, n);
	free(back);
	free(doc);
}
END_TEST

START_TEST(json_python_round_trip_random)
{
	tl_need_cmd("python3");
	/* Many random names in one document, each read back with its length in front
	 * so that a byte moving from one name to the next is caught too. */
	use_locale("C.UTF-8");
	char *doc = NULL, *want = NULL;
	size_t doc_len = 0, want_len = 0;
	FILE *d = open_memstream(&doc, &doc_len);
	FILE *w = open_memstream(&want, &want_len);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(w);
	fputc('[', d);
	for (int i = 0; i < 3000; i++) {
		char in[24];
		size_t len = random_name(in, sizeof(in));
		if (i > 0)
			fputc(',', d);
		esc_json(d, in, len);
		fprintf(w, "%zu:", len);
		fwrite(in, 1, len, w);
	}
	/* Every single byte on its own as well. */
	for (unsigned c = 0; c < 256; c++) {
		char in = (char)c;
		fputc(',', d);
		esc_json(d, &in, 1);
		fprintf(w, "1:");
		fputc(in, w);
	}
	fputc(']', d);
	fclose(d);
	fclose(w);

	size_t n;
	char *back =
	    python_filter("import json,sys; l=json.load(sys.stdin); "
	                  "sys.stdout.buffer.write(b\"\".join(b\"%d:\" % len(b) + b for b in "
	                  "(s.encode(\"utf-8\",\"surrogateescape\") for s in l)))",
	                  doc, doc_len, &n);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(n, want_len);
	ck_assert_mem_eq(back, want, n);
	free(back);
	free(doc);
	free(want);
}
END_TEST

/* esc_json_mem into little room at a time gives what one call with room for all
 * does: whole characters only (a multibyte character or escape is never cut), and
 * at least one per call with ESC_JSON_CHAR_MAX of room. */
START_TEST(json_mem_in_pieces)
{
	for (int i = 0; i < 3000; i++) {
		char in[40], whole[40 * ESC_JSON_CHAR_MAX], pieces[40 * ESC_JSON_CHAR_MAX];
		size_t len = random_name(in, sizeof(in)), used, n, got = 0, at = 0;
		size_t room = ESC_JSON_CHAR_MAX + (size_t)(i % 7);

		n = esc_json_mem(whole, sizeof(whole), in, len, &used);
		ck_assert_uint_eq(used, len);
		while (at < len) {
			size_t k = esc_json_mem(pieces + got, room, in + at, len - at, &used);
			ck_assert_uint_gt(used, 0);
			ck_assert_uint_le(k, room);
			got += k;
			at += used;
		}
		ck_assert_uint_eq(got, n);
		ck_assert_msg(memcmp(whole, pieces, n) == 0, "pieces differ (room %zu)", room);
		/* and esc_json writes the same between its quotes */
		char *f = json_of(in, len);
		ck_assert_uint_eq(strlen(f), n + 2);
		ck_assert_msg(memcmp(f + 1, whole, n) == 0, "esc_json differs");
		free(f);
	}
	/* too little room for the next character: nothing taken */
	{
		char out[8];
		size_t used = 9;
		ck_assert_uint_eq(esc_json_mem(out, 5, "\x01", 1, &used), 0);
		ck_assert_uint_eq(used, 0);
		ck_assert_uint_eq(esc_json_mem(out, 6, "\x01", 1, &used), 6);
		ck_assert_uint_eq(used, 1);
		ck_assert_mem_eq(out, "\\u0001", 6);
	}
}
END_TEST

static Suite *esc_suite(void)
{
	Suite *s = suite_create("esc");

	TCase *tc = tcase_create("display");
	tcase_add_test(tc, display_ascii_and_controls);
	tcase_add_test(tc, display_embedded_nul_and_len);
	tcase_add_test(tc, display_utf8_valid);
	tcase_add_test(tc, display_c1_and_bidi);
	tcase_add_test(tc, display_utf8_invalid);
	tcase_add_test(tc, display_c_locale);
	tcase_add_test(tc, display_latin1_locale);
	tcase_add_test(tc, display_random_utf8);
	tcase_add_test(tc, display_random_c);
	suite_add_tcase(s, tc);

	tc = tcase_create("width");
	tcase_add_test(tc, width_basic);
	tcase_add_test(tc, width_c_locale);
	tcase_add_test(tc, put_pad_and_cut_ascii);
	tcase_add_test(tc, put_wide_chars);
	tcase_add_test(tc, put_combining);
	tcase_add_test(tc, put_escaped_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, json_plain_and_escapes);
	tcase_add_test(tc, json_utf8);
	tcase_add_test(tc, json_invalid_bytes);
	tcase_add_test(tc, json_python_round_trip);
	tcase_add_test(tc, json_python_round_trip_random);
	tcase_add_test(tc, json_mem_in_pieces);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(esc_suite());
}
