/* verify: the final comparison of source and result. */
#ifndef RT_RESCUE_VERIFY_H
#define RT_RESCUE_VERIFY_H

#include "rescue/state.h"

/* Verification, then the move to PH_FINISH. */
int job_verify_step(struct job *j, int64_t deadline);

#endif
