/* term: curses start, restore and drawing helpers. See term.h. */
#include "console/term.h"

#include "text/esc.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

/* Esc alone waits this long for the rest of a sequence (ncurses: 1 s; htop: 25). */
#define ESC_DELAY_MS 25

volatile sig_atomic_t term_signal;

static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
static struct sigaction old_crash[sizeof(crash_signals) / sizeof(crash_signals[0])];
static volatile sig_atomic_t curses_up;
/* The real stderr and the file that stands in for it, for the crash handler. */
static volatile sig_atomic_t crash_stderr = -1, crash_errfile = -1;

static void on_quit_signal(int sig)
{
	term_signal = sig;
}

/* The one handler that does more than set a flag: after a crash nothing else will
 * restore the terminal. endwin is not async-signal-safe, but the process is dying
 * anyway, and an admin left with a raw terminal at an emergency shell is worse. The
 * previous handler (the default, or a sanitizer's) then gets the signal again. */
static void on_crash(int sig)
{
	static const char msg[] =
	    "rescuetui: crashed; the terminal was restored. Please report this with the core file.\n";

	char buf[1024];
	ssize_t n;

	if (curses_up) {
		endwin();
		curs_set(1);
	}
	/* Back to the real stderr, with what was said meanwhile (read and write are
	 * async-signal-safe). */
	if (crash_stderr >= 0 && dup2(crash_stderr, STDERR_FILENO) >= 0 && crash_errfile >= 0 &&
	    lseek(crash_errfile, 0, SEEK_SET) == 0)
		while ((n = read(crash_errfile, buf, sizeof(buf))) > 0)
			if (write(STDERR_FILENO, buf, (size_t)n) < 0)
				break;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell it to */
	}
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &old_crash[i], NULL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll() returns at once and the loop sees the flag. */
	sa.sa_handler = on_quit_signal;
	for (size_t i = 0; i < sizeof(quit_signals) / sizeof(quit_signals[0]); i++)
		sigaction(quit_signals[i], &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		sigaction(crash_signals[i], &sa, &old_crash[i]);
}

static void restore_signals(void)
{
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		sigaction(crash_signals[i], &old_crash[i], NULL);
}

/* A terminfo entry for NAME exists (setupterm with an error pointer never exits). */
static bool known_term(const char *name)
{
	int err = 0;

	if (setupterm(name, STDOUT_FILENO, &err) != OK)
		return false;
	del_curterm(cur_term);
	return true;
}

static const char *pick_term(struct tty *t)
{
	static const char *const fallback[] = {"linux", "vt100"};
	const char *name = getenv("TERM");

	if (known_term(name))
		return name;
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (known_term(fallback[i])) {
			snprintf(t->note, sizeof(t->note),
			         "terminal type is unknown here; drawing as \"%s\"", fallback[i]);
			return fallback[i];
		}
	return NULL;
}

/* F1, Home and End arrive differently from the Linux console, xterm and tmux. */
static void define_alternatives(void)
{
	static const struct {
		const char *seq;
		int key;
	} alt[] = {
	    {"\033OP", KEY_F(1)},  {"\033[11~", KEY_F(1)},  {"\033[[A", KEY_F(1)},
	    {"\033[H", KEY_HOME},  {"\033OH", KEY_HOME},    {"\033[1~", KEY_HOME},
	    {"\033[7~", KEY_HOME}, {"\033[F", KEY_END},     {"\033OF", KEY_END},
	    {"\033[4~", KEY_END},  {"\033[8~", KEY_END},    {"\033[15~", KEY_F(5)},
	    {"\033[[E", KEY_F(5)}, {"\033[21~", KEY_F(10)},
	};

	for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++)
		define_key(alt[i].seq, alt[i].key);
}

static void start_colors(struct tty *t, bool no_color)
{
	const char *nc = getenv("NO_COLOR");
	short bg = COLOR_BLACK;

	t->color = !no_color && !(nc && *nc) && has_colors() && start_color() == OK;
	if (!t->color)
		return;
	if (use_default_colors() == OK)
		bg = -1;
	/* Never bold on a black foreground: the Linux console shows it grey. */
	init_pair(ROLE_TITLE, COLOR_WHITE, COLOR_BLUE);
	init_pair(ROLE_COLHEAD, COLOR_BLACK, COLOR_CYAN);
	init_pair(ROLE_SEL, COLOR_BLACK, COLOR_WHITE);
	init_pair(ROLE_WARN, COLOR_RED, bg);
	init_pair(ROLE_GONE, COLOR_YELLOW, bg);
	init_pair(ROLE_KEY, COLOR_BLACK, COLOR_CYAN);
	init_pair(ROLE_GOOD, COLOR_GREEN, bg);
	init_pair(ROLE_BAD, COLOR_RED, bg);
	init_pair(ROLE_HEAD, COLOR_CYAN, bg);
}

int term_start(struct tty *t, bool no_color, bool ascii)
{
	const char *name = getenv("TERM");
	const char *cs = nl_langinfo(CODESET);
	int fd;

	memset(t, 0, sizeof(*t));
	t->saved_stderr = t->err_fd = -1;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || !name || !*name ||
	    strcmp(name, "dumb") == 0)
		return -ENOTTY;
	name = pick_term(t);
	if (!name)
		return -ENOTTY;
	t->ascii = ascii || !cs || strcmp(cs, "UTF-8") != 0;
	/* A library's message must not smear the screen: stderr goes to a file. */
	fd = open(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC,
	          0600);
	if (fd >= 0) {
		t->saved_stderr = dup(STDERR_FILENO);
		if (t->saved_stderr >= 0 && dup2(fd, STDERR_FILENO) >= 0)
			t->err_fd = fd;
		else
			close(fd);
	}
	if (!newterm(name, stdout, stdin)) {
		term_stop(t);
		return -ENOTTY;
	}
	t->up = true;
	curses_up = 1;
	crash_stderr = t->saved_stderr;
	crash_errfile = t->err_fd;
	install_signals();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(ESC_DELAY_MS);
	curs_set(0);
	define_alternatives();
	start_colors(t, no_color);
	return 0;
}

void term_stop(struct tty *t)
{
	char buf[4096];
	ssize_t n;

	if (t->up) {
		curs_set(1);
		endwin();
		curses_up = 0;
		crash_stderr = crash_errfile = -1;
		restore_signals();
		t->up = false;
	}
	if (t->saved_stderr >= 0) {
		dup2(t->saved_stderr, STDERR_FILENO);
		close(t->saved_stderr);
		t->saved_stderr = -1;
	}
	if (t->err_fd >= 0) {
		lseek(t->err_fd, 0, SEEK_SET);
		while ((n = read(t->err_fd, buf, sizeof(buf))) > 0)
			if (write(STDERR_FILENO, buf, (size_t)n) < 0)
				break;
		close(t->err_fd);
		t->err_fd = -1;
	}
}

int term_wait(int wake_fd, int timeout_ms)
{
	struct pollfd p[2] = {{.fd = STDIN_FILENO, .events = POLLIN},
	                      {.fd = wake_fd, .events = POLLIN}};
	uint64_t v;
	int got = 0;

	if (poll(p, 2, timeout_ms) <= 0)
		return 0;
	if (p[1].revents & POLLIN) {
		if (read(wake_fd, &v, sizeof(v)) < 0) {
			/* nonblocking: nothing there after all */
		}
		got |= TERM_WOKEN;
	}
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
		got |= TERM_INPUT;
	return got;
}

int term_attr(const struct tty *t, enum term_role role)
{
	/* Monochrome: the meaning has to survive in attributes alone. */
	static const int mono[ROLE_N] = {
	    [ROLE_TITLE] = A_REVERSE, [ROLE_COLHEAD] = A_UNDERLINE, [ROLE_SEL] = A_REVERSE,
	    [ROLE_WARN] = A_BOLD,     [ROLE_GONE] = A_DIM,          [ROLE_KEY] = A_REVERSE,
	    [ROLE_BAD] = A_BOLD,      [ROLE_HEAD] = A_BOLD,
	};

	if (!t->color || role == ROLE_NORMAL)
		return mono[role];
	if (role == ROLE_WARN || role == ROLE_HEAD)
		return (int)COLOR_PAIR(role) | A_BOLD;
	return (int)COLOR_PAIR(role);
}

void term_cell(const struct tty *t, int y, int x, int width, const char *s, bool left_cut,
               enum term_role role)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	f = open_memstream(&buf, &len);
	if (!f)
		return;
	esc_put_width(f, s, (size_t)width, left_cut);
	if (fclose(f) == 0 && buf) {
		attrset(term_attr(t, role));
		mvaddstr(y, x, buf);
		attrset(A_NORMAL);
	}
	free(buf);
}

void term_raw(const struct tty *t, int y, int x, int width, const char *raw, size_t len,
              bool left_cut, enum term_role role)
{
	char *e = esc_display(raw ? raw : "", raw ? len : 0);

	if (e)
		term_cell(t, y, x, width, e, left_cut, role);
	free(e);
}

void term_hline(const struct tty *t, int y)
{
	if (t->ascii)
		mvhline(y, 0, '-', COLS);
	else
		mvhline_set(y, 0, WACS_HLINE, COLS);
}

const char *term_marker(const struct tty *t)
{
	return t->ascii ? ">" : "\u25ba";
}

bool term_too_small(void)
{
	return COLS < TERM_MIN_COLS || LINES < TERM_MIN_LINES;
}

void term_draw_too_small(const struct tty *t)
{
	char l1[64], l2[64];

	snprintf(l1, sizeof(l1), "terminal too small (needs %dx%d)", TERM_MIN_COLS, TERM_MIN_LINES);
	snprintf(l2, sizeof(l2), "now %dx%d: enlarge it, or press q to quit", COLS, LINES);
	erase();
	term_cell(t, LINES / 2 - 1, 0, COLS, l1, false, ROLE_WARN);
	term_cell(t, LINES / 2, 0, COLS, l2, false, ROLE_NORMAL);
}
