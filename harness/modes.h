/* modes.h: the entry points of the harness's modes other than the run,
 * and the hooks the run calls into them (staging before, recording after). */
#ifndef MODES_H
#define MODES_H

#include <json-c/json.h>
#include <mpi.h>

#include "cli.h"
#include "config.h"
#include "err.h"

/* --stage-only: rank 0 stages, the others wait at a barrier. Collective. */
int stage_only_main(MPI_Comm comm, const struct options *o, struct err *e);
/* Before a run on a staged filesystem: rank 0 stages, then the leader of
 * each node that cannot see rank 0's copy (a node-local path) stages its
 * own; *COPIES gets that count of copies (1: a shared path) on every rank,
 * and *STAGING (on rank 0) the statistics for the result. Collective. */
int stage_for_run(MPI_Comm comm, const struct config *conf, const struct machine_conf *m,
                  const struct fs_conf *fs, const struct options *o, json_object **staging, int *copies,
                  struct err *e);

/* --db-init, --reserve, --mark-failed, --flush-spool, --sweep, --report. */
int results_main(const struct options *o, struct err *e);
/* After a run, on rank 0: records RESULT into the row --result-id (or a
 * new row) when a database is configured; spools it when unreachable. */
int results_record(const struct config *conf, const struct options *o, json_object *result, struct err *e);

/* --gen-jobs. */
int gen_jobs_main(const struct options *o, struct err *e);
/* --checks-only: the run's set-up checks in this one process, no MPI. */
int checks_only_main(const struct options *o, struct err *e);

#endif
