/* launch.h: launch_s and original_s, the original series' figures, from
 * --launch-start and the import phase's wall-clock stamps. */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <mpi.h>

#include "result/result.h"
#include "proc/spawn.h"

/* Collective. With LAUNCH_START > 0 sets R's launch figures on rank 0
 * from every rank's first import phase; otherwise leaves them absent. */
void launch_figures(MPI_Comm comm, double launch_start, const struct child_result *import_phase,
                    struct run_result *r);

#endif
