/* launch.h: launch_s and original_s, the original series' figures, from
 * --launch-start and the import phase's wall-clock stamps. */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <mpi.h>

#include "base/err.h"
#include "result/result.h"
#include "proc/spawn.h"

/* Clocks of different nodes may differ by this much (NTP) without a
 * stamp being wrong. */
#define LAUNCH_CLOCK_SLACK_S 1.0

/* Collective, as soon as the run starts (after MPI_Init): a LAUNCH_START
 * later than this rank's clock, by more than the slack, was not taken
 * before the launcher; every rank agrees on the refusal (EXIT_USAGE). */
int launch_check(MPI_Comm comm, double launch_start, struct err *e);
/* Collective. With LAUNCH_START > 0 sets R's launch figures on rank 0
 * from every rank's first import phase; otherwise leaves them absent. */
void launch_figures(MPI_Comm comm, double launch_start, const struct child_result *import_phase,
                    struct run_result *r);

#endif
