/* say: how every command of the command line tells the user something: one prefix,
 * one hint to --help, names always escaped, and the common "could not even start"
 * messages written once. */
#include "cli/cli.h"

#include "find/scan.h"
#include "find/target.h"
#include "text/esc.h"

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <unistd.h>

void cli_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
	return 2;
}

char *cli_shown(const char *s, size_t len)
{
	char *e = esc_display(s ? s : "", s ? len : 0);

	return e ? e : strdup("?");
}

void cli_say_shown(const char *prefix, const char *s)
{
	char *e = cli_shown(s, strlen(s));

	cli_say("%s%s", prefix, e);
	free(e);
}

void cli_put_shown(FILE *f, const char *prefix, const char *s)
{
	char *e = cli_shown(s, strlen(s));

	fprintf(f, "%s%s\n", prefix, e);
	free(e);
}

void cli_filter_apply(const struct cli_filter *f, struct scan_opts *o)
{
	if (!f)
		return;
	o->only = (const char *const *)f->only;
	o->nonly = f->nonly;
	o->pids = f->pids;
	o->npids = f->npids;
}

int cli_filter_add_path(struct cli_filter *f, const char *arg)
{
	char real[PATH_MAX], *p, **nv;

	/* A relative path means what it means here; the original directory of a
	 * deleted file may be gone too, so an absolute path is taken as it is. */
	if (realpath(arg, real))
		p = strdup(real);
	else if (arg[0] == '/')
		p = strdup(arg);
	else {
		char *s = cli_shown(arg, strlen(arg));
		cli_usage("--only wants an absolute path or one that exists, not '%s'", s);
		free(s);
		return 2;
	}
	nv = p ? realloc(f->only, (f->nonly + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(p);
		cli_say("out of memory");
		return 2;
	}
	f->only = nv;
	f->only[f->nonly++] = p;
	return 0;
}

int cli_filter_add_pids(struct cli_filter *f, const char *arg)
{
	const char *s = arg;

	for (;;) {
		char *end;
		long v;
		int *nv;

		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || end == s || v <= 0 || v > INT_MAX || (*end && *end != ',')) {
			char *sh = cli_shown(arg, strlen(arg));
			cli_usage("--pid wants process ids (e.g. 123 or 123,456), not '%s'", sh);
			free(sh);
			return 2;
		}
		nv = realloc(f->pids, (f->npids + 1) * sizeof(*nv));
		if (!nv) {
			cli_say("out of memory");
			return 2;
		}
		f->pids = nv;
		f->pids[f->npids++] = (int)v;
		/* Not an error (it may have held a file a moment ago), but said: an empty
		 * list must not read as "that process holds nothing deleted". */
		if (kill((pid_t)v, 0) < 0 && errno == ESRCH)
			cli_say("no process %ld (it exited, or the pid is wrong)", v);
		if (!*end)
			return 0;
		s = end + 1;
	}
}

void cli_filter_free(struct cli_filter *f)
{
	for (size_t i = 0; i < f->nonly; i++)
		free(f->only[i]);
	free(f->only);
	free(f->pids);
	*f = (struct cli_filter){0};
}

int cli_scan(const struct scan_opts *o, struct scan_result *r)
{
	int err = scan_run(o, r);

	if (err < 0 && o->method == SCAN_BPF && r->bpf_err == err) {
#if !(defined(RT_BPF) && RT_BPF)
		if (err == -ENOSYS)
			cli_say("this build has no BPF scan (it was built without libbpf, as the "
			        "static one is); --scan proc walks /proc instead");
		else
#endif
			cli_say("the BPF scan does not work here: %s; --scan proc walks /proc instead",
			        strerror(-err));
	} else if (err < 0) {
		cli_say("cannot scan for held deleted files: %s", strerror(-err));
		if (err == -ENOENT)
			cli_say("is /proc mounted? (mount -t proc proc /proc)");
	}
	return err;
}

int cli_read_targets(struct target_list *tl)
{
	/* Probing reflink writes a scratch block: only as root, where it is reliable. */
	int err = target_list_read(tl, geteuid() == 0);

	if (err < 0)
		cli_say("cannot read the mount table: %s", strerror(-err));
	return err;
}

bool cli_ask(const char *question)
{
	char line[16];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0;
}

int cli_finish_output(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_say("cannot write the report: %s", strerror(errno));
		return 1;
	}
	return 0;
}

unsigned cli_term_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

void cli_json_result_begin(struct json *j, FILE *out, bool ok, const char *method)
{
	json_init(j, out);
	json_obj_begin(j);
	json_key(j, "result");
	json_obj_begin(j);
	json_key(j, "ok");
	json_bool(j, ok);
	json_key(j, "method");
	json_str(j, method);
}

void cli_json_checks(struct json *j, char lines[][AFTER_LEN], size_t n)
{
	json_key(j, "checks");
	json_arr_begin(j);
	for (size_t i = 0; i < n; i++)
		json_str(j, lines[i]);
	json_arr_end(j);
	json_obj_end(j);
}
