/* rescuetui: the command line edge. Parses options, runs the layers below, and turns
 * their errors into messages that say what to do next. */
#include "decide/advise.h"
#include "cli/cli.h"
#include "text/fmt.h"
#include "find/rate.h"
#include "cli/report.h"
#include "find/scan.h"
#include "find/target.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
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
	        "Usage: %s [--list [--all] [--sample SECONDS] [--json]]\n"
	        "       %s --targets [--json]\n"
	        "       %s --recover SEL --to PATH [--method METHOD] [--freeze] [--yes]\n"
	        "                 [--json] [--max-rate BYTES/S] [--log PATH]\n"
	        "Find deleted files that processes or loop devices still hold, keep them\n"
	        "alive, and say how to rescue each.\n"
	        "\n"
	        "  -l, --list      report every held deleted file: id, size, allocated\n"
	        "                  bytes, kind, how it changes, holders, original path, and\n"
	        "                  the recommended method with its target and reason\n"
	        "  -a, --all       include memfd and shared-memory objects\n"
	        "  -s, --sample SECONDS\n"
	        "                  watch files that have a writer for this long, all at once,\n"
	        "                  to tell quiet, appending and randomly written files apart\n"
	        "                  (default 1; 0 turns it off)\n"
	        "  -t, --targets   list the filesystems a copy could go to: free space,\n"
	        "                  read-only, RAM, network, reflink support\n"
	        "  -r, --recover SEL\n"
	        "                  rescue one file: SEL is an id from --list (MAJ:MIN:INO),\n"
	        "                  PID:FD, loopN or /dev/loopN, or the original path\n"
	        "  -o, --to PATH   a directory (keeps the original name), a new file name, or\n"
	        "                  - to stream a copy to standard output; never overwrites\n"
	        "  -m, --method METHOD\n"
	        "                  auto (the recommendation), copy, follow, sync, reflink or\n"
	        "                  relink; a method that cannot work is refused with why\n"
	        "  -f, --freeze    sync: stop the writers for the final pass (always\n"
	        "                  resumed); loop-mounted images: freeze that filesystem\n"
	        "  -y, --yes       do not ask for confirmation (needed without a terminal)\n"
	        "      --max-rate BYTES/S\n"
	        "                  limit the copy's speed, e.g. 50M\n"
	        "      --log PATH  append one line per action here (default\n"
	        "                  /var/log/rescuetui.log, or ~/.local/state for users)\n"
	        "  -j, --json      the same reports as JSON (see rescuetui(8))\n"
	        "  -h, --help      show this help\n"
	        "  -V, --version   show the version\n"
	        "\n"
	        "Without options the full-screen console starts; it is not built yet, so\n"
	        "for now this runs --list.\n"
	        "\n"
	        "Run as root: other users' processes, memory-only mappings and loop devices\n"
	        "can only be inspected with root privileges.\n"
	        "Exit status: 0 success, 1 failure, 2 usage error.\n",
	        prog, prog, prog);
}

static unsigned term_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

/* Bytes sampling may read per round over all files: bounded I/O on a busy box. */
#define SAMPLE_BUDGET (64ull << 20)

static int scan_or_say(bool all, struct scan_result *r)
{
	struct scan_opts o = {.all = all, .proc = "/proc", .sys = "/sys"};
	int err = scan_run(&o, r);

	if (err < 0) {
		fprintf(stderr, "%s: cannot scan for held deleted files: %s\n", prog,
		        strerror(-err));
		if (err == -ENOENT)
			fprintf(stderr, "%s: is /proc mounted? (mount -t proc proc /proc)\n", prog);
	}
	return err;
}

static int targets_or_say(struct target_list *tl)
{
	/* Probing reflink writes a scratch block: only as root, where it is reliable. */
	int err = target_list_read(tl, geteuid() == 0);

	if (err < 0)
		fprintf(stderr, "%s: cannot read the mount table: %s\n", prog, strerror(-err));
	return err;
}

static int finish_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write the report: %s\n", prog, strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_list(bool all, bool json, double sample)
{
	struct scan_result r;
	struct target_list tl = {0};
	struct advice *adv = NULL;
	int rc;

	if (scan_or_say(all, &r) < 0)
		return 1;
	if (rate_sample_all(&r, sample, SAMPLE_BUDGET) < 0 || targets_or_say(&tl) < 0) {
		scan_free(&r);
		return 1;
	}
	adv = adv_all(&r, &tl, REC_COPY_BPS_DEFAULT);
	if (!adv && r.n) {
		fprintf(stderr, "%s: out of memory\n", prog);
		scan_free(&r);
		target_list_free(&tl);
		return 1;
	}
	if (json)
		report_json(stdout, &r, &tl, adv);
	else
		report_table(stdout, &r, adv, &tl, isatty(STDOUT_FILENO) ? term_width() : 0);
	rc = finish_output();
	report_notes(stderr, &r, prog);
	free(adv);
	target_list_free(&tl);
	scan_free(&r);
	return rc;
}

static int cmd_targets(bool json)
{
	struct scan_result r;
	struct target_list tl = {0};
	struct advice *adv;

	if (targets_or_say(&tl) < 0)
		return 1;
	if (json) {
		/* same_fs_as names the held files on each target. */
		if (scan_or_say(false, &r) < 0) {
			target_list_free(&tl);
			return 1;
		}
		adv = adv_all(&r, &tl, REC_COPY_BPS_DEFAULT);
		report_targets_json(stdout, &tl, &r, adv);
		free(adv);
		scan_free(&r);
	} else {
		report_targets_table(stdout, &tl, isatty(STDOUT_FILENO) ? term_width() : 0);
	}
	target_list_free(&tl);
	return finish_output();
}

/* --sample: a number of seconds, 0 to 60. */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0 || v > 60)
		return -EINVAL;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"list", no_argument, NULL, 'l'},
	    {"all", no_argument, NULL, 'a'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"sample", required_argument, NULL, 's'},
	    {"targets", no_argument, NULL, 't'},
	    {"recover", required_argument, NULL, 'r'},
	    {"to", required_argument, NULL, 'o'},
	    {"method", required_argument, NULL, 'm'},
	    {"freeze", no_argument, NULL, 'f'},
	    {"yes", no_argument, NULL, 'y'},
	    {"max-rate", required_argument, NULL, 'R'},
	    {"log", required_argument, NULL, 'L'},
	    {NULL, 0, NULL, 0},
	};
	struct recover_opts ro = {.method = "auto"};
	bool list = false, all = false, json = false, targets = false, sampled = false;
	double sample = 1;
	int c;

	setlocale(LC_ALL, "");
	/* Single-threaded output: skip stdio's per-call locking, which costs more than
	 * the formatting when thousands of names are escaped byte by byte. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	while ((c = getopt_long(argc, argv, "lajhVs:tr:o:m:fy", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			ro.sel = optarg;
			break;
		case 'o':
			ro.to = optarg;
			break;
		case 'm':
			ro.method = optarg;
			break;
		case 'f':
			ro.freeze = true;
			break;
		case 'y':
			ro.yes = true;
			break;
		case 'L':
			ro.log = optarg;
			break;
		case 'R':
			if (fmt_parse_size(optarg, &ro.max_rate) < 0 || ro.max_rate == 0) {
				fprintf(
				    stderr,
				    "%s: --max-rate wants bytes per second (e.g. 50M), not '%s'\n"
				    "Try '%s --help' for more information.\n",
				    prog, optarg, prog);
				return 2;
			}
			break;
		case 's':
			if (parse_seconds(optarg, &sample) < 0) {
				fprintf(stderr,
				        "%s: --sample wants seconds from 0 to 60, not '%s'\n"
				        "Try '%s --help' for more information.\n",
				        prog, optarg, prog);
				return 2;
			}
			sampled = true;
			break;
		case 't':
			targets = true;
			break;
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
		fprintf(stderr,
		        "%s: unexpected argument '%s'\nTry '%s --help' for more information.\n",
		        prog, argv[optind], prog);
		return 2;
	}
	if (ro.sel) {
		if (list || all || targets) {
			fprintf(stderr, "%s: --recover goes without --list, --all and --targets\n",
			        prog);
			return 2;
		}
		if (!ro.to) {
			fprintf(stderr,
			        "%s: --recover needs --to PATH (a directory, a new file, or - for "
			        "standard output)\n",
			        prog);
			return 2;
		}
		ro.json = json;
		ro.sample = sample;
		return cli_recover(&ro, prog);
	}
	if (ro.to || ro.freeze || ro.yes || ro.log || ro.max_rate || strcmp(ro.method, "auto")) {
		fprintf(stderr,
		        "%s: --to, --method, --freeze, --yes, --max-rate and --log go with "
		        "--recover\n",
		        prog);
		return 2;
	}
	if (targets && (list || all || sampled)) {
		fprintf(stderr, "%s: --targets goes alone (with --json at most)\n", prog);
		return 2;
	}
	if (targets)
		return cmd_targets(json);
	if (!list && !all && !json && !sampled && isatty(STDERR_FILENO))
		fprintf(stderr, "%s: the full-screen console is not built yet; showing --list.\n",
		        prog);
	return cmd_list(all, json, sample);
}
