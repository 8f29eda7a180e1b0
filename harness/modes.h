/* modes.h: the entry points of the harness's modes, one per concern's
 * folder; main.c maps each command-line mode to one of them. */
#ifndef MODES_H
#define MODES_H

#include <mpi.h>

#include "cli.h"
#include "base/err.h"

/* run/run.c: the benchmark (the default mode). Collective over COMM. */
int run_benchmark(MPI_Comm comm, const struct options *o, struct err *e);
/* fs/stage_mode.c: --stage-only. COMM is MPI_COMM_NULL for one process
 * without MPI; else rank 0 stages while the others wait. */
int stage_only_main(MPI_Comm comm, const struct options *o, struct err *e);
/* run/checks_mode.c: --checks-only: the set-up checks in this one process. */
int checks_only_main(const struct options *o, struct err *e);
/* db/db_mode.c: --db-init, --reserve, --mark-failed, --flush-spool,
 * --sweep, --report. */
int results_main(const struct options *o, struct err *e);
/* jobgen/gen_jobs.c: --gen-jobs. */
int gen_jobs_main(const struct options *o, struct err *e);
/* config/suite.c: --suite-packages. */
int suite_packages_main(const struct options *o, struct err *e);

#endif
