/* rescuetui: the program's entry. Parses the options and hands over to one command
 * of the command line (src/cli) or to the console; it decides and prints nothing
 * else itself. */
#include "cli/cli.h"
#include "console/console.h"

#include "find/scan.h"

#include "text/fmt.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	const char *prog = program_invocation_short_name;

	fprintf(f,
	        "Usage: %s [--readonly] [--no-color] [--ascii] [--all] [--sample SECONDS]\n"
	        "       %s --list [--all] [--sample SECONDS] [--json] [FILTER]\n"
	        "       %s --targets [--json] [FILTER]\n"
	        "       %s --recover SEL --to PATH [--method METHOD] [--freeze] [--yes]\n"
	        "                 [--json] [--max-rate BYTES/S] [--retries N] [--log PATH] [FILTER]\n"
	        "       %s --reclaim SEL [--discard] [--yes] [--log PATH] [FILTER]\n"
	        "       %s --offline DEVICE|IMAGE [--deep] [--readonly] [--log PATH]\n"
	        "       %s --offline DEVICE|IMAGE [--list] [--deep] [--json]\n"
	        "       %s --offline DEVICE|IMAGE --recover INODE --to PATH\n"
	        "       %s --offline DEVICE|IMAGE --relink INODE [--name NAME] [--yes]\n"
	        "--list and --recover also take --scan auto|proc|bpf.\n"
	        "FILTER: [--only PATH]... [--pid PID[,PID...]]...\n"
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
	        "      --only PATH only files whose original path is PATH or under it (a\n"
	        "                  loop device by its backing file); repeatable. Nothing\n"
	        "                  else is looked at closely or pinned\n"
	        "      --pid PID   only files these processes hold (no loop devices);\n"
	        "                  repeatable or a comma list; with --only, both must hold\n"
	        "  -t, --targets   list the filesystems a copy could go to: free space,\n"
	        "                  read-only, RAM, network, reflink support, and the ones\n"
	        "                  that are never a target (on a deleted loop image, not\n"
	        "                  answering) with why\n"
	        "  -r, --recover SEL\n"
	        "                  rescue one file: SEL is an id from --list (MAJ:MIN:INO),\n"
	        "                  PID:FD, loopN or /dev/loopN, or the original path\n"
	        "  -o, --to PATH   a directory (keeps the original name), a new file name, or\n"
	        "                  - to stream a copy to standard output; never overwrites\n"
	        "  -m, --method METHOD\n"
	        "                  auto (the recommendation), copy, follow, sync, reflink or\n"
	        "                  relink; a method that cannot work is refused with why\n"
	        "  -f, --freeze    sync: stop every writer for the final pass (always\n"
	        "                  resumed, within 3 s even if rescuetui is stopped);\n"
	        "                  loop-mounted images: freeze that filesystem\n"
	        "  -y, --yes       do not ask for confirmation (needed without a terminal)\n"
	        "      --max-rate BYTES/S\n"
	        "                  limit the copy's speed, e.g. 50M\n"
	        "      --retries N read the ranges that failed again N times (default 1),\n"
	        "                  each after a short pause; what still fails stays a hole,\n"
	        "                  listed in RESULT.unread, and the same command later\n"
	        "                  reads only those ranges into RESULT\n"
	        "      --log PATH  append one line per action here, names as JSON strings\n"
	        "                  (default /var/log/rescuetui.log, or ~/.local/state for\n"
	        "                  users; a regular file only, created 0600)\n"
	        "      --reclaim SEL\n"
	        "                  give back the space of one held deleted file: truncate\n"
	        "                  it to 0 through its holder; only after a verified rescue\n"
	        "                  (from the log) or with --discard, never for a mapped file\n"
	        "                  or a loop device's image\n"
	        "      --discard   with --reclaim: the file's data is not wanted\n"
	        "      --scan HOW  how held deleted files are found: bpf (iterators in the\n"
	        "                  kernel: root, BTF, Linux 5.12+, the host's pid namespace),\n"
	        "                  proc (the walk of /proc), or auto (bpf where it works,\n"
	        "                  else proc; the default); --json says which was used\n"
	        "  -j, --json      the same reports as JSON (see rescuetui(8))\n"
	        "      --offline DEVICE|IMAGE\n"
	        "                  after a crash, from rescue media: the orphan inodes (deleted\n"
	        "                  files that were still open) of an UNMOUNTED ext2/3/4; a\n"
	        "                  mounted one is refused. Nothing is left after a clean\n"
	        "                  unmount, a mount or an fsck: they free the orphans.\n"
	        "                  Alone on a terminal: the console on them (c copies one\n"
	        "                  out, l relinks it); else, or with --list, the list\n"
	        "      --deep      with --offline: also walk the inode table (always on ext2)\n"
	        "      --recover INODE --to PATH\n"
	        "                  with --offline: copy the inode to another filesystem; the\n"
	        "                  device is only read\n"
	        "      --relink INODE [--name NAME]\n"
	        "                  with --offline: WRITES to the device: link the inode into\n"
	        "                  lost+found (or NAME from the root), take it off the orphan\n"
	        "                  list, run e2fsck -fn; run e2fsck -f before mounting\n"
	        "  -h, --help      show this help\n"
	        "  -V, --version   show the version\n"
	        "\n"
	        "Without --list, --json, --targets, --recover, --reclaim or --offline the\n"
	        "full-screen console starts (press ? in it for the keys); it takes --all and\n"
	        "--sample, and:\n"
	        "      --readonly  look, never act\n"
	        "      --no-color  attributes only (also when NO_COLOR is set)\n"
	        "      --ascii     ASCII lines and markers (also in a non-UTF-8 locale)\n"
	        "      --filter TEXT\n"
	        "                  start with this filter (path, command, pid)\n"
	        "      FILTER      (--only, --pid) as for the commands: the rest is never pinned\n"
	        "      --max-iterations N\n"
	        "                  stop after N turns of the main loop (for tests)\n"
	        "\n"
	        "Run as root: other users' processes, memory-only mappings and loop devices\n"
	        "can only be inspected with root privileges.\n"
	        "Exit status: 0 success, 1 failure, 2 usage error, 3 rescued but ranges of\n"
	        "the source could not be read (the result is incomplete).\n",
	        prog, prog, prog, prog, prog, prog, prog, prog, prog);
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

/* The console's own options: long only, numbered past every character. */
enum {
	OPT_READONLY = 256,
	OPT_NO_COLOR,
	OPT_ASCII,
	OPT_FILTER,
	OPT_ONLY,
	OPT_MAX_ITERATIONS,
};

/* --scan: auto, proc or bpf. */
static int parse_scan(const char *s, enum scan_method *out)
{
	static const enum scan_method all[] = {SCAN_AUTO, SCAN_PROC, SCAN_BPF};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, scan_method_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

/* --retries: a whole number of rounds, 0 to CLI_RETRIES_MAX. */
#define CLI_RETRIES_MAX 100
static int parse_retries(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > CLI_RETRIES_MAX)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* What the command line asked for. */
struct args {
	struct cli_filter filter;
	const char **only; /* every --only, as given (PATHs) */
	size_t nonly;
	struct console_opts co;
	bool console_only; /* a console option was given */
	struct recover_opts ro;
	struct list_opts lo;
	const char *reclaim; /* --reclaim SEL */
	bool discard;
	struct offline_opts oo;
	bool list, targets, sampled;
};

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
    {"reclaim", required_argument, NULL, 'C'},
    {"discard", no_argument, NULL, 'X'},
    {"offline", required_argument, NULL, 'O'},
    {"deep", no_argument, NULL, 'D'},
    {"relink", required_argument, NULL, 'K'},
    {"name", required_argument, NULL, 'N'},
    {"readonly", no_argument, NULL, OPT_READONLY},
    {"no-color", no_argument, NULL, OPT_NO_COLOR},
    {"ascii", no_argument, NULL, OPT_ASCII},
    {"filter", required_argument, NULL, OPT_FILTER},
    {"only", required_argument, NULL, OPT_ONLY},
    {"max-iterations", required_argument, NULL, OPT_MAX_ITERATIONS},
    {"scan", required_argument, NULL, 'S'},
    {"retries", required_argument, NULL, 'T'},
    {"pid", required_argument, NULL, 'P'},
    {NULL, 0, NULL, 0},
};

/* A console option C with its argument ARG into CO. -1 to go on, or 2 after saying
 * why not. */
static int console_option(struct console_opts *co, int c, const char *arg)
{
	char *end, *s;

	switch (c) {
	case OPT_READONLY:
		co->readonly = true;
		break;
	case OPT_NO_COLOR:
		co->no_color = true;
		break;
	case OPT_ASCII:
		co->ascii = true;
		break;
	case OPT_FILTER:
		co->filter = arg;
		break;
	default:
		errno = 0;
		co->max_iterations = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || *arg == '-' || co->max_iterations == 0) {
			s = cli_shown(arg, strlen(arg));
			cli_usage("--max-iterations wants a positive number, not '%s'", s);
			free(s);
			return 2;
		}
	}
	return -1;
}

/* One option C with its argument ARG into A. -1 to go on, or the exit status. */
static int take_option(struct args *a, int c, const char *arg)
{
	char *s;

	switch (c) {
	case 'r':
		a->ro.sel = arg;
		break;
	case 'O':
		a->oo.dev = arg;
		break;
	case 'D':
		a->oo.deep = true;
		break;
	case 'K':
		a->oo.relink = arg;
		break;
	case 'N':
		a->oo.name = arg;
		break;
	case 'o':
		a->ro.to = arg;
		break;
	case 'm':
		a->ro.method = arg;
		break;
	case 'f':
		a->ro.freeze = true;
		break;
	case 'y':
		a->ro.yes = true;
		break;
	case 'L':
		a->ro.log = arg;
		break;
	case 'S':
		if (parse_scan(arg, &a->lo.scan) == 0) {
			a->ro.scan = a->lo.scan;
			break;
		}
		s = cli_shown(arg, strlen(arg));
		cli_usage("--scan wants auto, proc or bpf, not '%s'", s);
		free(s);
		return 2;
	case 'R':
		if (fmt_parse_size(arg, &a->ro.max_rate) == 0 && a->ro.max_rate > 0)
			break;
		s = cli_shown(arg, strlen(arg));
		cli_usage("--max-rate wants bytes per second (e.g. 50M), not '%s'", s);
		free(s);
		return 2;
	case 's':
		if (parse_seconds(arg, &a->lo.sample) < 0) {
			s = cli_shown(arg, strlen(arg));
			cli_usage("--sample wants seconds from 0 to 60, not '%s'", s);
			free(s);
			return 2;
		}
		a->sampled = true;
		break;
	case 'T':
		if (parse_retries(arg, &a->ro.retries) < 0) {
			s = cli_shown(arg, strlen(arg));
			cli_usage("--retries wants a count from 0 to %d, not '%s'", CLI_RETRIES_MAX,
			          s);
			free(s);
			return 2;
		}
		break;
	case 'C':
		a->reclaim = arg;
		break;
	case 'X':
		a->discard = true;
		break;
	case 't':
		a->targets = true;
		break;
	case 'l':
		a->list = true;
		break;
	case 'a':
		a->lo.all = true;
		break;
	case 'j':
		a->lo.json = true;
		break;
	case OPT_READONLY:
	case OPT_NO_COLOR:
	case OPT_ASCII:
	case OPT_FILTER:
	case OPT_MAX_ITERATIONS:
		a->console_only = true;
		return console_option(&a->co, c, arg);
	case OPT_ONLY: {
		const char **nv = realloc(a->only, (a->nonly + 1) * sizeof(*nv));
		if (!nv) {
			cli_say("out of memory");
			return 2;
		}
		a->only = nv;
		a->only[a->nonly++] = arg;
		break;
	}
	case 'P':
		return cli_filter_add_pids(&a->filter, arg) ? 2 : -1;
	case 'h':
		usage(stdout);
		return 0;
	case 'V':
		cli_version(stdout);
		return cli_finish_output();
	default:
		fprintf(stderr, "Try '%s --help' for more information.\n",
		        program_invocation_short_name);
		return 2;
	}
	return -1;
}

/* --offline DEV with no command, on a terminal: the console on DEV's orphans. */
static bool offline_console(const struct args *a)
{
	return a->oo.dev && !a->ro.sel && !a->oo.relink && !a->list && !a->lo.json &&
	       isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* The console on the orphans of --offline DEV: what the console takes of it. */
static int dispatch_offline_console(struct args *a)
{
	const struct offline_opts *oo = &a->oo;

	if (oo->other || a->co.filter)
		return cli_usage("the offline console takes --deep, --log, --readonly, --no-color, "
		                 "--ascii and --max-iterations");
	if (a->ro.to)
		return cli_usage("--to goes with --recover");
	if (oo->name)
		return cli_usage("--name goes with --relink");
	if (a->ro.yes)
		return cli_usage("--yes goes with --relink");
	a->co.offline = oo->dev;
	a->co.deep = oo->deep;
	a->co.log = a->ro.log;
	return console_main(&a->co, program_invocation_short_name);
}

/* --offline: the options it shares with the online mode, then cli/offline.c (or the
 * console, on a terminal without a command). */
static int dispatch_offline(struct args *a)
{
	struct offline_opts *oo = &a->oo;

	oo->recover = a->ro.sel;
	oo->to = a->ro.to;
	oo->log = a->ro.log;
	oo->yes = a->ro.yes;
	oo->list = a->list;
	oo->json = a->lo.json;
	oo->other = a->lo.all || a->targets || a->sampled || a->ro.freeze || a->ro.max_rate ||
	            a->nonly || a->filter.npids || strcmp(a->ro.method, "auto") != 0 ||
	            a->ro.retries >= 0;
	if (offline_console(a))
		return dispatch_offline_console(a);
	return cli_offline(oo);
}

/* An unknown option or one without its argument (C is '?' or ':'); ARG is the word
 * of the command line it was found in. Returns 2. */
static int bad_option(int c, const char *arg)
{
	char *s = cli_shown(arg ? arg : "", arg ? strlen(arg) : 0);
	int r;

	if (c == ':')
		r = cli_usage("option '%s' needs an argument", s);
	else if (optopt && arg && arg[0] == '-' && arg[1] != '-')
		r = cli_usage("unknown option '-%c' in '%s'",
		              optopt >= 0x20 && optopt < 0x7f ? optopt : '?', s);
	else
		r = cli_usage("unknown option '%s'", s);
	free(s);
	return r;
}

/* --targets: the files it weighs on each target are the ones FILTER leaves. */
static int dispatch_targets(struct args *a)
{
	struct scan_opts so = {.proc = "/proc", .sys = "/sys"};

	cli_filter_apply(&a->filter, &so);
	return cli_targets(&so, a->lo.json);
}

/* --only: PATHs, resolved into the filter, which the console takes as the commands
 * do. */
static int take_only(struct args *a)
{
	for (size_t i = 0; i < a->nonly; i++)
		if (cli_filter_add_path(&a->filter, a->only[i]))
			return 2;
	a->co.only = (const char *const *)a->filter.only;
	a->co.nonly = a->filter.nonly;
	a->co.pids = a->filter.pids;
	a->co.npids = a->filter.npids;
	return 0;
}

/* Options that only make sense together; then the command. */
static int dispatch(struct args *a)
{
	struct recover_opts *ro = &a->ro;
	bool command = a->oo.dev || a->oo.deep || a->oo.relink || a->oo.name || a->reclaim ||
	               ro->sel || a->list || a->lo.json || a->targets;
	int r;

	if (a->console_only && command && !offline_console(a))
		return cli_usage(
		    "--readonly, --no-color, --ascii, --filter and --max-iterations are for the console, not the other commands");
	if ((r = take_only(a)) != 0)
		return r;
	ro->filter = &a->filter;
	a->lo.filter = &a->filter;
	if (a->oo.dev || a->oo.deep || a->oo.relink || a->oo.name)
		return dispatch_offline(a);
	if (a->reclaim) {
		if (ro->sel || ro->to || ro->freeze || a->list || a->targets || ro->max_rate ||
		    strcmp(ro->method, "auto") || ro->retries >= 0)
			return cli_usage(
			    "--reclaim goes alone (with --discard, --yes, --log, --only and --pid)");
		return cli_reclaim(&(struct reclaim_opts){.filter = &a->filter,
		                                          .sel = a->reclaim,
		                                          .log = ro->log,
		                                          .discard = a->discard,
		                                          .yes = ro->yes});
	}
	if (a->discard)
		return cli_usage("--discard goes with --reclaim");
	if (ro->sel) {
		if (a->list || a->lo.all || a->targets)
			return cli_usage("--recover goes without --list, --all and --targets");
		if (!ro->to)
			return cli_usage(
			    "--recover needs --to PATH (a directory, a new file, or - for standard output)");
		ro->json = a->lo.json;
		ro->sample = a->lo.sample;
		return cli_recover(ro);
	}
	if (ro->to || ro->freeze || ro->yes || strcmp(ro->method, "auto") || ro->retries >= 0 ||
	    ((ro->log || ro->max_rate) && (a->list || a->lo.json || a->targets)))
		return cli_usage(
		    "--to, --method, --freeze, --yes, --max-rate, --retries and --log go with --recover (--log and --max-rate with the console too)");
	if (a->targets && (a->list || a->lo.all || a->sampled))
		return cli_usage("--targets goes alone (with --json at most)");
	if (a->targets)
		return dispatch_targets(a);
	if (!a->list && !a->lo.json) {
		a->co.all = a->lo.all;
		a->co.sample = a->lo.sample;
		a->co.log = ro->log;
		a->co.max_rate = ro->max_rate;
		return console_main(&a->co, program_invocation_short_name);
	}
	return cli_list(&a->lo);
}

int main(int argc, char **argv)
{
	struct args a = {.ro = {.method = "auto", .retries = -1}, .lo = {.sample = 1}};
	int c, status;

	setlocale(LC_ALL, "");
	/* Single-threaded output: skip stdio's per-call locking, which costs more than
	 * the formatting when thousands of names are escaped byte by byte. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	/* getopt's own messages echo the argument raw: ours escape it. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":lajhVs:tr:o:m:fy", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			status = bad_option(c, argv[optind - 1]);
			goto out;
		}
		if ((status = take_option(&a, c, optarg)) >= 0)
			goto out;
	}
	if (optind < argc) {
		char *s = cli_shown(argv[optind], strlen(argv[optind]));
		cli_usage("unexpected argument '%s'", s);
		free(s);
		status = 2;
		goto out;
	}
	status = dispatch(&a);
out:
	cli_filter_free(&a.filter);
	free(a.only);
	return status;
}
