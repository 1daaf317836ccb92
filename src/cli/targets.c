/* rescuetui --targets: the filesystems a rescue could write to, with free space,
 * read-only, RAM, network and reflink facts. */
#include "cli/cli.h"
#include "cli/report.h"

#include "decide/advise.h"
#include "decide/rec.h"
#include "find/scan.h"
#include "find/target.h"

#include <stdio.h>
#include <stdlib.h>

int cli_targets(bool json)
{
	struct scan_opts so = {.proc = "/proc", .sys = "/sys"};
	struct scan_result r;
	struct target_list tl = {0};
	struct advice *adv;

	if (cli_read_targets(&tl) < 0)
		return 1;
	if (json) {
		/* same_fs_as names the held files on each target. */
		if (cli_scan(&so, &r) < 0) {
			target_list_free(&tl);
			return 1;
		}
		adv = adv_all(&r, &tl, REC_COPY_BPS_DEFAULT);
		report_targets_json(stdout, &tl, &r, adv);
		free(adv);
		scan_free(&r);
	} else {
		report_targets_table(stdout, &tl, cli_term_width());
	}
	target_list_free(&tl);
	return cli_finish_output();
}
