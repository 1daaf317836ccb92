/* prepare: the target of a new job. */
#ifndef RT_RESCUE_PREPARE_H
#define RT_RESCUE_PREPARE_H

#include "rescue/state.h"

/* Split DEST, open its directory, then create the .partial (O_EXCL, 0600), resume a
 * matching one from its journal, or clone into it (reflink). 0, or a negative errno:
 * -EEXIST when DEST or a .partial that is not ours exists, -EXDEV for a relink onto
 * another filesystem. What it created is removed again on failure. */
int job_prepare_target(struct job *j);

#endif
