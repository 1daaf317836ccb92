/* rescuetui --reclaim SEL: give back the space a held deleted file occupies, by
 * truncating it to 0 through its holder, in steps: select the file, judge
 * (decide/reclaim.h), say and confirm, truncate, report and log. */
#include "cli/cli.h"

#include "decide/reclaim.h"
#include "find/scan.h"
#include "rescue/reclaim.h"
#include "text/fmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reclaim {
	const struct reclaim_opts *o;
	struct scan_result r;
	struct entry *e;
	char id[64];
	struct reclaim_facts facts;
	enum reclaim_verdict verdict;
	char why[400];
};

/* The facts the verdict needs beyond the scan: a running job, the filesystem, the log. */
static void gather(struct reclaim *rc)
{
	reclaim_gather(rc->e, rc->id, rc->o->log, &rc->facts);
}

/* The file, its size and every holder, on stderr, before anything is done. */
static void say_plan(const struct reclaim *rc)
{
	const struct entry *e = rc->e;
	char sz[16], al[16];
	char *p = cli_shown(e->path, e->path_len);

	fprintf(stderr, "reclaim %s (%s): truncate it to 0 bytes, %s in size, %s allocated\n", p,
	        rc->id, fmt_size(sz, sizeof(sz), e->size), fmt_size(al, sizeof(al), e->allocated));
	free(p);
	for (size_t i = 0; i < e->nholders; i++) {
		const struct holder *h = &e->holders[i];
		char *c;
		if (h->type != HOLDER_FD || h->others_pin)
			continue;
		c = cli_shown(h->comm ? h->comm : "?", h->comm ? strlen(h->comm) : 1);
		fprintf(stderr, "  held by %s[%d] fd %d%s\n", c, (int)h->pid, h->fd,
		        h->append ? " (appends: goes on writing from 0)" : "");
		free(c);
	}
	fprintf(stderr, "  %s%s\n", rc->verdict == RECLAIM_OK ? "" : "--discard: ", rc->why);
}

/* Judge; refuse with the reason (1), or go on (0). */
static int judge(struct reclaim *rc)
{
	rc->verdict = reclaim_judge(&rc->facts, rc->why, sizeof(rc->why));
	if (rc->verdict == RECLAIM_REFUSED) {
		cli_say("will not reclaim %s: %s", rc->id, rc->why);
		return 1;
	}
	if (rc->verdict == RECLAIM_NEEDS_DISCARD && !rc->o->discard) {
		cli_say("will not reclaim %s: %s; add --discard if its data is not wanted", rc->id,
		        rc->why);
		return 1;
	}
	return 0;
}

static void log_reclaim(const struct reclaim *rc, uint64_t freed, const char *result)
{
	int err = reclaim_log(rc->o->log, rc->e, rc->id, freed, result);

	if (err < 0)
		cli_say("cannot append to the action log: %s",
		        err == -EINVAL ? "not a regular file" : strerror(-err));
}

/* Truncate, then say what was freed. */
static int run(struct reclaim *rc)
{
	struct reclaim_result res;
	char a[16], b[16], c[16];
	int err = reclaim_truncate(rc->e, &res);

	if (err < 0) {
		const char *why = err == -ESTALE ? "the holder's fd no longer is this deleted file"
		                  : err == -ENOENT ? "no holder has it open any more"
		                                   : strerror(-err);
		cli_say("cannot truncate %s: %s", rc->id, why);
		log_reclaim(rc, 0, why);
		return 1;
	}
	printf("Reclaimed %s: %s freed (free space %s -> %s); %d keeps its fd %d\n", rc->id,
	       fmt_size(a, sizeof(a), res.freed), fmt_size(b, sizeof(b), res.free_before),
	       fmt_size(c, sizeof(c), res.free_after), (int)res.pid, res.fd);
	log_reclaim(rc, res.freed, "ok");
	return cli_finish_output();
}

int cli_reclaim(const struct reclaim_opts *o)
{
	struct scan_opts so = {.all = true, .proc = "/proc", .sys = "/sys"};
	struct reclaim rc = {.o = o};
	long idx;
	int status = 1;

	if (!o->yes && !isatty(STDIN_FILENO))
		return cli_usage("no terminal to confirm on: add --yes to run without asking");
	cli_filter_apply(o->filter, &so);
	if (cli_scan(&so, &rc.r) < 0)
		return 1;
	idx = scan_select(&rc.r, o->sel);
	if (idx < 0) {
		char *s = cli_shown(o->sel, strlen(o->sel));
		cli_say("no held deleted file matches %s%s (see %s --list)", s,
		        idx == -ENOTUNIQ ? " alone: choose one by id" : "",
		        program_invocation_short_name);
		free(s);
		goto out;
	}
	rc.e = &rc.r.v[idx];
	scan_entry_id(rc.e, rc.id, sizeof(rc.id));
	gather(&rc);
	if (judge(&rc) != 0)
		goto out;
	say_plan(&rc);
	if (!o->yes && !cli_ask("Truncate it?")) {
		cli_say("nothing done");
		goto out;
	}
	status = run(&rc);
out:
	scan_free(&rc.r);
	return status;
}
