/* rescuetui --targets: the filesystems a rescue could write to, with free space,
 * read-only, RAM, network and reflink facts, and what held deleted files keep
 * allocated on each (the space df counts and du cannot find). */
#include "cli/cli.h"
#include "cli/report.h"

#include "decide/advise.h"
#include "decide/rec.h"
#include "find/scan.h"
#include "find/target.h"

#include <stdio.h>
#include <stdlib.h>

int cli_targets(const struct scan_opts *so, bool json)
{
	struct scan_result r;
	struct target_list tl = {0};
	struct advisor av;
	int rc;

	if (cli_read_targets(&tl) < 0)
		return 1;
	/* the held files on each target: same_fs_as and the bytes they hold */
	if (cli_scan(so, &r) < 0) {
		target_list_free(&tl);
		return 1;
	}
	/* only the filesystem ids: nothing here is recommended */
	if (advisor_init(&av, &r, &tl, REC_COPY_BPS_DEFAULT) < 0) {
		cli_say("out of memory");
		scan_free(&r);
		target_list_free(&tl);
		return 1;
	}
	if (json)
		report_targets_json(stdout, &tl, &r, &av);
	else
		report_targets_table(stdout, &tl, &r, &av, cli_term_width());
	rc = cli_finish_output();
	advisor_free(&av);
	scan_free(&r);
	target_list_free(&tl);
	return rc;
}
