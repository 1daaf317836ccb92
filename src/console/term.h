/* term: the terminal under curses. Start and restore (on quit, signals and crashes),
 * colours or attributes, ASCII or Unicode lines, and cells of text that are always
 * escaped and cut by display width. Main thread only: ncurses is not thread-safe.
 */
#ifndef RT_CONSOLE_TERM_H
#define RT_CONSOLE_TERM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* Below this the screen says "terminal too small" instead of drawing. */
#define TERM_MIN_COLS  80
#define TERM_MIN_LINES 24

/* What a piece of text is, so that it looks right in colour and in monochrome. */
enum term_role {
	ROLE_NORMAL,
	ROLE_TITLE,   /* the top line */
	ROLE_COLHEAD, /* column headings */
	ROLE_SEL,     /* the selected row */
	ROLE_WARN,    /* never do this: a loop-mounted deleted image */
	ROLE_GONE,    /* a file that went away */
	ROLE_KEY,     /* a key in the key bar */
	ROLE_GOOD,    /* feasible, fits */
	ROLE_BAD,     /* not feasible, does not fit */
	ROLE_HEAD,    /* a section heading in a page */
	ROLE_N
};

struct tty {
	bool color;       /* colours in use (else attributes only) */
	bool ascii;       /* ASCII lines and markers */
	char note[160];   /* what the start had to work around (an unknown TERM) */
	int saved_stderr; /* stderr while curses owns the screen goes to a temp file */
	int err_fd;
	bool up;
};

/* Start curses on the controlling terminal. NO_COLOR and ASCII force attributes and
 * ASCII lines (as do the NO_COLOR variable, a terminal without colours and a locale
 * that is not UTF-8). An unknown TERM falls back to "linux", then "vt100", with a
 * note in T->note. Returns 0, or -ENOTTY when stdin/stdout is not a terminal or TERM
 * is unset or "dumb" (nothing was started; the caller says to use --list). */
int term_start(struct tty *t, bool no_color, bool ascii);

/* Restore the terminal (endwin) and copy what was written to stderr meanwhile to
 * the real stderr. Safe to call twice. */
void term_stop(struct tty *t);

/* The SIGINT/SIGTERM/SIGHUP received, or 0: the handlers only set it. */
extern volatile sig_atomic_t term_signal;

enum { TERM_WOKEN = 1, TERM_INPUT = 2 };

/* Wait up to TIMEOUT_MS for a key or for WAKE_FD (drained). Returns TERM_WOKEN when
 * WAKE_FD fired, | TERM_INPUT when the terminal has input (or hung up); 0 on timeout
 * or a signal. Keys are read with getch afterwards. */
int term_wait(int wake_fd, int timeout_ms);

/* The curses attribute for ROLE. */
int term_attr(const struct tty *t, enum term_role role);

/* Draw the already escaped string S at Y, X in exactly WIDTH columns (cut with '~',
 * padded with spaces; LEFT_CUT keeps the end) with ROLE's attribute. */
void term_cell(const struct tty *t, int y, int x, int width, const char *s, bool left_cut,
               enum term_role role);

/* The same for LEN raw bytes from the system (a name, a command line): escaped
 * first (esc_display). */
void term_raw(const struct tty *t, int y, int x, int width, const char *raw, size_t len,
              bool left_cut, enum term_role role);

/* A horizontal line across the screen at Y. */
void term_hline(const struct tty *t, int y);

/* The marker in front of the selected row: "▶" or ">". */
const char *term_marker(const struct tty *t);

/* Is the screen smaller than TERM_MIN_COLS x TERM_MIN_LINES? */
bool term_too_small(void);

/* Draw the "terminal too small" screen (fits any size down to 1x1). */
void term_draw_too_small(const struct tty *t);

#endif
