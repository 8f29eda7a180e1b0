/* phase.h: one timed phase on every rank (barrier, spawn, wait, barrier)
 * and the gather that turns per-rank outcomes into a phase summary. */
#ifndef PHASE_H
#define PHASE_H

#include <mpi.h>

#include "base/err.h"
#include "result/result.h"
#include "proc/spawn.h"

/* Runs JOB (prepared by the caller, reusable) once on every rank of COMM
 * between two barriers. MINE gets this rank's outcome; *ELAPSED, on rank
 * 0, the longest barrier-to-barrier span of any rank. A rank that hits the
 * timeout says so on stderr; a failed child's stderr tail goes to
 * *ERRTEXT (NULL otherwise; the caller frees it). */
int phase_run(MPI_Comm comm, struct spawn_job *job, double timeout, struct child_result *mine, char **errtext,
              double *elapsed, struct err *e);
/* Like phase_run, but *ERRTEXT always gets the child's stderr (up to MAX
 * bytes): the import profile is written there. */
int phase_run_capture(MPI_Comm comm, struct spawn_job *job, double timeout, struct child_result *mine,
                      char **errtext, size_t max, double *elapsed, struct err *e);

/* Gathers every rank's record into ALL on rank 0 (ALL unused elsewhere). */
void gather_records(MPI_Comm comm, struct rank_record *mine, struct rank_record *all);
/* Fills P on rank 0 from ALL, REPEATS gathers of one record per rank, and
 * the per-repeat ELAPSED times (P gets their median). FAILED_HERE: this
 * rank failed in some repeat; the first such rank's stderr (ERRTEXT there)
 * reaches rank 0 by broadcast. Collective. */
void phase_summarize(MPI_Comm comm, enum phase_id id, int failed_here, const struct rank_record *all, int repeats,
                     const char *errtext, const double *elapsed, struct phase_summary *p);

#endif
