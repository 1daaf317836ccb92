/* report: the non-interactive --list output, as a table for people or JSON.
 *
 * Both read a scan result and write to a FILE; neither scans nor decides anything.
 */
#ifndef RT_REPORT_H
#define RT_REPORT_H

#include <stdio.h>

struct scan_result;
struct target_list;
struct advisor;

/* Write the JSON document that rescuetui(8) describes under JSON ({"files": [...], "targets":
 * [...], "scan": {...}}) to F. AV (advise.h) advises on R's files against TL, one at a
 * time as they are written. */
void report_json(FILE *f, const struct scan_result *r, const struct target_list *tl,
                 struct advisor *av);

/* Write a table to F, WIDTH columns wide (0: no limit, paths are never cut): a row
 * per file with the recommended method and its reason below it, then the warnings
 * (loop devices to keep attached, no room anywhere) and names from other mount
 * namespaces. */
void report_table(FILE *f, const struct scan_result *r, struct advisor *av,
                  const struct target_list *tl, unsigned width);

/* The targets alone: JSON ({"targets": [...]}) or a table. R, with AV's filesystem
 * ids of its files, gives the files each target holds: same_fs_as, and the bytes
 * held deleted there. */
void report_targets_json(FILE *f, const struct target_list *tl, const struct scan_result *r,
                         const struct advisor *av);
void report_targets_table(FILE *f, const struct target_list *tl, const struct scan_result *r,
                          const struct advisor *av, unsigned width);

/* Write to F, once each, what the scan could not see and why (not root, processes
 * that vanished, mappings that need root, hidden memfd/shm). PROG prefixes lines. */
void report_notes(FILE *f, const struct scan_result *r, const char *prog);

#endif
