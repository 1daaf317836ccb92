/* console: the full-screen face (ncursesw). Started by main() when rescuetui runs
 * without --list, --targets or --recover. */
#ifndef RT_CONSOLE_H
#define RT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct console_opts {
	bool all;                     /* show memfd and shared-memory objects from the start */
	bool readonly;                /* look, never act (no key that changes anything) */
	bool no_color;                /* attributes only */
	bool ascii;                   /* ASCII lines and markers whatever the locale */
	double sample;                /* seconds per change-sampling round; 0 turns sampling off */
	unsigned long max_iterations; /* stop after this many turns of the main loop; 0 never */
	const char *filter;           /* start with this filter text, or NULL */
	/* The scan filter, as for the commands (--only PATH..., --pid PID...): what it
	 * leaves out is never pinned. Must outlive the console. */
	const char *const *only;
	size_t nonly;
	const int *pids;
	size_t npids;
	const char *log;              /* the action log (NULL: the default), as --log */
	uint64_t max_rate;            /* rescues: bytes per second, 0 for no limit */
	const char *offline;          /* --offline DEV: the orphan inodes of DEV instead */
	bool deep;                    /* with OFFLINE: walk the inode table too */
};

/* Run the console until the user quits. Returns the exit status: 0 after q, 1 when
 * the scan could not start (offline: the device is mounted, is no ext filesystem or
 * cannot be read; said on stderr before the screen is touched), 2 when the terminal
 * cannot be used (a one-line message naming --list is printed on stderr then). PROG
 * prefixes messages. */
int console_main(const struct console_opts *o, const char *prog);

#endif
