/* report: the non-interactive --list output, as a table for people or JSON.
 *
 * Both read a scan result and write to a FILE; neither scans nor decides anything.
 */
#ifndef RT_REPORT_H
#define RT_REPORT_H

#include <stdio.h>

struct scan_result;

/* Write the JSON document of DESIGN.md's contract ({"files": [...], ...}) to F. */
void report_json(FILE *f, const struct scan_result *r);

/* Write a table to F, WIDTH columns wide (0: no limit, paths are never cut), and the
 * notes that go with it (loop devices to keep attached, unreadable tails, names from
 * other mount namespaces) below it. */
void report_table(FILE *f, const struct scan_result *r, unsigned width);

/* Write to F, once each, what the scan could not see and why (not root, processes
 * that vanished, mappings that need root, hidden memfd/shm). PROG prefixes lines. */
void report_notes(FILE *f, const struct scan_result *r, const char *prog);

#endif
