/* rescuetui --list: every held deleted file with how it changes, who holds it and
 * the recommended rescue, as a table or JSON. */
#include "cli/cli.h"
#include "cli/report.h"

#include "decide/advise.h"
#include "decide/rec.h"
#include "find/rate.h"
#include "find/scan.h"
#include "find/target.h"

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Bytes sampling may read per round over all files: bounded I/O on a busy box. */
#define SAMPLE_BUDGET (64ull << 20)
/* stdout's buffer for a report that does not go to a terminal (glibc would size
 * one it allocates itself by the file's block size, whatever setvbuf asked). */
static char report_buf[1u << 20];

/* The targets, read in a thread of their own beside the scan. */
struct targets_job {
	struct target_list *tl;
	pthread_t tid;
	bool started, threaded;
	int err;
};

static void *targets_main(void *arg)
{
	struct targets_job *j = arg;

	j->err = cli_read_targets(j->tl);
	return NULL;
}

/* The scan knows which processes it looks at: the probes, which fork, may start
 * (scan_opts.listed); where no thread can be had, the targets are read here. */
static void targets_start(void *arg)
{
	struct targets_job *j = arg;

	j->started = true;
	j->threaded = pthread_create(&j->tid, NULL, targets_main, j) == 0;
	if (!j->threaded)
		targets_main(j);
}

int cli_list(const struct list_opts *o)
{
	struct scan_opts so = {.all = o->all, .proc = "/proc", .sys = "/sys", .method = o->scan};
	struct scan_result r;
	struct target_list tl = {0};
	struct advisor av = {0};
	struct targets_job tj = {.tl = &tl};
	int rc = 1, se;

	cli_filter_apply(o->filter, &so);
	/* The targets are read beside the scan: their probes mostly wait for the
	 * children that look (statfs, a reflink tried), which the scan need not.
	 * The pins' room first, while this is the only thread. */
	scan_reserve();
	so.listed = targets_start;
	so.listed_arg = &tj;
	se = cli_scan(&so, &r);
	if (tj.threaded)
		pthread_join(tj.tid, NULL);
	else if (se == 0 && !tj.started)
		targets_main(&tj); /* a scan that never said so: the targets all the same */
	if (se < 0 || tj.err < 0) {
		if (se == 0)
			scan_free(&r);
		target_list_free(&tl);
		return 1;
	}
	if (rate_sample_all(&r, o->sample, SAMPLE_BUDGET) < 0)
		goto out;
	/* Each file is advised on as it is written: no array of advice to fault in. */
	if (advisor_init(&av, &r, &tl, REC_COPY_BPS_DEFAULT) < 0) {
		cli_say("out of memory");
		goto out;
	}
	/* A report of thousands of files is megabytes: written in large pieces, not
	 * in a system call per 4 KiB (a terminal keeps its line buffering). */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, report_buf, _IOFBF, sizeof(report_buf));
	if (o->json)
		report_json(stdout, &r, &tl, &av);
	else
		report_table(stdout, &r, &av, &tl, cli_term_width());
	rc = cli_finish_output();
	report_notes(stderr, &r, program_invocation_short_name);
out:
	advisor_free(&av);
	target_list_free(&tl);
	scan_free(&r);
	return rc;
}
