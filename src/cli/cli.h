/* cli: the commands of the non-interactive face, called from main(). Each returns
 * the exit status: 0 success, 1 failure, 2 usage error. */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <stdbool.h>
#include <stdint.h>

struct recover_opts {
	const char *sel;    /* id, PID:FD, loopN, /dev/loopN or original path */
	const char *to;     /* directory, new file name, or "-" for stdout */
	const char *method; /* "auto" or a method name */
	const char *log;    /* action log; NULL for the default */
	bool freeze, yes, json;
	uint64_t max_rate; /* bytes per second, 0 for no limit */
	double sample;     /* seconds of change sampling for auto */
};

/* rescuetui --recover. */
int cli_recover(const struct recover_opts *o, const char *prog);

#endif
