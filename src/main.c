/* rescuetui: the command line edge. Parses options, runs the layers below, and turns
 * their errors into messages that say what to do next. */
#include "report.h"
#include "scan.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static const char *prog = "rescuetui";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [--list [--all] [--json]]\n"
		"Find deleted files that processes or loop devices still hold, and keep them\n"
		"alive while you rescue them.\n"
		"\n"
		"  -l, --list      report every held deleted file: id, size, allocated\n"
		"                  bytes, kind, holders, original path; loop devices whose\n"
		"                  image is deleted come with a warning not to detach them\n"
		"  -a, --all       include memfd and shared-memory objects\n"
		"  -j, --json      the same report as JSON (see rescuetui(8))\n"
		"  -h, --help      show this help\n"
		"  -V, --version   show the version\n"
		"\n"
		"Without options the full-screen console starts; it is not built yet, so\n"
		"for now this runs --list.\n"
		"\n"
		"Run as root: other users' processes, memory-only mappings and loop devices\n"
		"can only be inspected with root privileges.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n",
		prog);
}

static unsigned term_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

static int cmd_list(bool all, bool json)
{
	struct scan_opts o = {.all = all, .proc = "/proc", .sys = "/sys"};
	struct scan_result r;
	int err = scan_run(&o, &r);

	if (err < 0) {
		fprintf(stderr, "%s: cannot scan for held deleted files: %s\n", prog,
			strerror(-err));
		if (err == -ENOENT)
			fprintf(stderr, "%s: is /proc mounted? (mount -t proc proc /proc)\n", prog);
		return 1;
	}
	if (json)
		report_json(stdout, &r);
	else
		report_table(stdout, &r, isatty(STDOUT_FILENO) ? term_width() : 0);
	report_notes(stderr, &r, prog);
	scan_free(&r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the report: %s\n", prog, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", no_argument, NULL, 'l'},    {"all", no_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},    {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0},
	};
	bool list = false, all = false, json = false;
	int c;

	setlocale(LC_ALL, "");
	/* Single-threaded output: skip stdio's per-call locking, which costs more than
	 * the formatting when thousands of names are escaped byte by byte. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	while ((c = getopt_long(argc, argv, "lajhV", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 'a':
			all = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rescuetui %s\n", RT_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", prog);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help' for more information.\n",
			prog, argv[optind], prog);
		return 2;
	}
	if (!list && !all && !json && isatty(STDERR_FILENO))
		fprintf(stderr, "%s: the full-screen console is not built yet; showing --list.\n",
			prog);
	return cmd_list(all, json);
}
